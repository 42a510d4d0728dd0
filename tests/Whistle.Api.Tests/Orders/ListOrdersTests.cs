using System.Net;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Orders;

/// <summary>25 orders over three communities and two categories; every third whistled.</summary>
public sealed class ListingApp : WhistleApp
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var client = CreateClient();
        for (var i = 0; i < 25; i++)
        {
            var grid = (i % 3) switch { 0 => "ST01-C01-G01", 1 => "ST01-C02-G01", _ => "ST05-C01-G02" };
            var order = await client.File(category: i % 2 == 0 ? "garbage" : "noise", grid: grid);
            if (i % 3 == 0)
            {
                await client.Whistle(order.Id);
            }
        }
    }
}

/// <summary>Listing: newest first, filters, keyset pages that neither skip nor repeat.</summary>
public class ListOrdersTests(ListingApp app) : IClassFixture<ListingApp>
{
    private readonly HttpClient _client = app.CreateClient();

    private async Task<List<Order>> All(string filters)
    {
        var all = new List<Order>();
        string? cursor = null;
        do
        {
            var response = await _client.GetAsync($"/api/v1/orders?limit=4{filters}{(cursor is null ? "" : "&cursor=" + cursor)}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var page = await response.Read<OrderPage>();
            Assert.True(page.Items.Length <= 4);
            all.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return all;
    }

    [Fact]
    public async Task Pages_walk_every_order_newest_first_exactly_once()
    {
        var all = (await All("")).Where(o => o.StreetCode != "ST39").ToList(); // ST39: filed while paging

        Assert.Equal(25, all.Count);
        Assert.Equal(all.Count, all.Select(o => o.Id).Distinct().Count());
        Assert.Equal(all.OrderByDescending(o => o.Code, StringComparer.Ordinal).Select(o => o.Code), all.Select(o => o.Code));
    }

    [Fact]
    public async Task An_order_filed_while_paging_does_not_shift_the_pages()
    {
        var first = await (await _client.GetAsync("/api/v1/orders?limit=5")).Read<OrderPage>();
        var newcomer = await _client.File(category: "greenery", grid: "ST39-C01-G01");
        var second = await (await _client.GetAsync($"/api/v1/orders?limit=5&cursor={first.NextCursor}")).Read<OrderPage>();

        Assert.DoesNotContain(second.Items, o => o.Id == newcomer.Id);
        Assert.Empty(first.Items.Select(o => o.Id).Intersect(second.Items.Select(o => o.Id)));
        Assert.True(string.CompareOrdinal(first.Items[^1].Code, second.Items[0].Code) > 0);
    }

    [Fact]
    public async Task Filters_narrow_and_combine()
    {
        var whistled = await All("&state=whistled");
        Assert.Equal(9, whistled.Count); // the one filed while paging (ST39) stays discovered
        Assert.All(whistled, o => Assert.Equal("whistled", o.State));

        var garbageInC01 = await All("&categoryCode=garbage&communityCode=ST01-C01");
        Assert.Equal(5, garbageInC01.Count); // i = 0, 6, 12, 18, 24
        Assert.All(garbageInC01, o => Assert.Equal(("garbage", "ST01-C01"), (o.CategoryCode, o.CommunityCode)));

        var sanitation = await All("&departmentCode=sanitation");
        Assert.Equal(5, sanitation.Count); // whistled garbage: i = 0, 6, 12, 18, 24
        Assert.Equal(9 - 5, (await All("&departmentCode=ecology")).Count);

        Assert.Equal(8, (await All("&streetCode=ST05")).Count);
        Assert.Equal(8, (await All("&gridCode=ST05-C01-G02")).Count);
        Assert.Equal(16, (await All("&state=discovered,cancelled")).Count(o => o.State == "discovered" && o.StreetCode != "ST39"));
        Assert.Empty(await All("&communityCode=ST38-C01"));
    }

    [Theory]
    [InlineData("?limit=abc", "limit")]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=201", "limit")]
    [InlineData("?state=open", "state")]
    [InlineData("?cursor=bm90LWEtY3Vyc29y", "cursor")]
    [InlineData("?cursor=%%%", "cursor")]
    public async Task Bad_paging_or_filters_are_a_400(string query, string field)
    {
        var response = await _client.GetAsync("/api/v1/orders" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal([field], (await response.Read<Problem>()).Errors!.Keys);
    }

    [Fact]
    public async Task The_default_page_is_twenty()
    {
        var page = await (await _client.GetAsync("/api/v1/orders")).Read<OrderPage>();

        Assert.Equal(20, page.Items.Length);
        Assert.NotNull(page.NextCursor);
    }
}
