using System.Net;
using Whistle.Api.Features.Access;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Orders;

public sealed record OrderCounts(int Total, int Overdue, Dictionary<string, int> ByState);

/// <summary>GET /api/v1/orders/counts: the list's filters and scope, counted (a desk's tabs and badges).</summary>
public class CountOrdersTests(DeskApp app) : IClassFixture<DeskApp>
{
    private static readonly string[] States =
    [
        "discovered", "whistled", "acknowledged", "resolved", "closed", "returned", "handled-locally", "cancelled",
        "return-under-review", "merged",
    ];

    private static async Task<List<Order>> All(HttpClient client, string filters)
    {
        var all = new List<Order>();
        string? cursor = null;
        do
        {
            var page = await (await client.GetAsync($"/api/v1/orders?limit=200{filters}{(cursor is null ? "" : "&cursor=" + cursor)}")).Read<OrderPage>();
            all.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return all;
    }

    private static async Task<OrderCounts> Counts(HttpClient client, string filters)
    {
        var response = await client.GetAsync("/api/v1/orders/counts?" + filters.TrimStart('&'));
        Assert.True(HttpStatusCode.OK == response.StatusCode, await response.Content.ReadAsStringAsync());
        return await response.Read<OrderCounts>();
    }

    [Theory]
    [InlineData("")]
    [InlineData("&gridCode=" + DeskApp.Queue)]
    [InlineData("&state=whistled,acknowledged")]
    [InlineData("&communityCode=ST01-C02&q=lamp")]
    [InlineData("&categoryCode=garbage&streetCode=ST01")]
    [InlineData("&departmentCode=sanitation")]
    public async Task The_counts_agree_with_the_list(string filters)
    {
        var client = app.CreateClient();

        var counts = await Counts(client, filters);
        var list = await All(client, filters);
        var overdue = await All(client, filters + "&overdue=true");

        Assert.Equal(list.Count, counts.Total);
        Assert.Equal(overdue.Count, counts.Overdue);
        // Every state is named, those with no order too.
        Assert.Equal(States.Order(StringComparer.Ordinal), counts.ByState.Keys.Order(StringComparer.Ordinal));
        Assert.All(States, state => Assert.Equal(list.Count(o => o.State == state), counts.ByState[state]));
    }

    [Fact]
    public async Task The_queue_counts_its_overdue_and_each_state()
    {
        var counts = await Counts(app.CreateClient(), "&gridCode=" + DeskApp.Queue);

        Assert.Equal((7, 2), (counts.Total, counts.Overdue));
        Assert.Equal((2, 3, 1, 1, 0), (counts.ByState["discovered"], counts.ByState["whistled"], counts.ByState["acknowledged"],
            counts.ByState["cancelled"], counts.ByState["closed"]));
    }

    [Fact]
    public async Task Each_caller_counts_only_what_it_may_list()
    {
        var community = app.ClientAs(Role.Community, community: "ST01-C02", name: "community C02");
        var department = app.ClientAs(Role.Department, department: "sanitation", name: "sanitation desk");

        Assert.Equal((await All(community, "")).Count, (await Counts(community, "")).Total);
        Assert.Equal(6, (await Counts(community, "")).Total); // the texts only
        Assert.Equal((await All(department, "")).Count, (await Counts(department, "")).Total);
        Assert.Equal((0, 4), ((await Counts(department, "")).ByState["discovered"], (await Counts(department, "&state=whistled,acknowledged")).Total));
        var dashboard = await app.ClientAs(Role.Dashboard, name: "wall screen").GetAsync("/api/v1/orders/counts");
        Assert.Equal(HttpStatusCode.Forbidden, dashboard.StatusCode);
    }

    [Fact]
    public async Task Bad_filters_are_the_lists_400s()
    {
        var response = await app.CreateClient().GetAsync("/api/v1/orders/counts?state=lost&q=");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(["q", "state"], (await response.Read<Problem>()).Errors!.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_poll_with_the_counts_etag_is_304_until_they_change()
    {
        var client = app.CreateClient();
        var path = "/api/v1/orders/counts?gridCode=" + DeskApp.Polled;
        var first = await client.GetAsync(path);
        var etag = first.Headers.ETag!.ToString();

        var unchanged = await Poll(client, path, etag);
        await client.File(grid: DeskApp.Polled);
        var changed = await Poll(client, path, etag);

        Assert.Equal(HttpStatusCode.NotModified, unchanged.StatusCode);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal((await first.Read<OrderCounts>()).Total + 1, (await changed.Read<OrderCounts>()).Total);
    }

    private static Task<HttpResponseMessage> Poll(HttpClient client, string path, string ifNoneMatch)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        return client.SendAsync(request);
    }
}
