using System.Net;
using Whistle.Api.Features.Access;
using Whistle.Api.Tests.Infrastructure;
using Whistle.Domain.Geo;

namespace Whistle.Api.Tests.Geo;

/// <summary>Orders near a point, and the possible duplicates a filing is told about.</summary>
public class NearbyTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    private readonly HttpClient _client = app.CreateClient();

    [Fact]
    public async Task A_filing_20_m_from_an_open_order_of_its_category_names_it_as_a_possible_duplicate()
    {
        var here = GeoSteps.CentreOf("ST11-C02-G03");
        var first = await _client.FileAt(here, category: "road-damage");
        await _client.FileAt(here.Moved(5), category: "noise"); // another category: not a duplicate
        var far = await _client.FileAt(here.Moved(-120), category: "road-damage"); // too far

        var second = await _client.FileAt(here.Moved(20), category: "road-damage");

        var duplicate = Assert.Single(second.PossibleDuplicates!);
        Assert.Equal(first.Id, duplicate.Id);
        Assert.Equal(first.Code, duplicate.Code);
        Assert.Equal("discovered", duplicate.State);
        Assert.InRange(duplicate.DistanceMeters, 19.5, 20.5);
        Assert.DoesNotContain(second.PossibleDuplicates!, d => d.Id == far.Id);
        Assert.Empty(first.PossibleDuplicates!);

        // A finished order is no longer a duplicate to worry about.
        await _client.Cancel(first.Id, "withdrawn");
        var third = await _client.FileAt(here.Moved(10), category: "road-damage");
        Assert.Equal([second.Id], third.PossibleDuplicates!.Select(d => d.Id));
    }

    [Fact]
    public async Task With_more_orders_in_the_radius_than_a_page_nearby_answers_the_nearest_in_order()
    {
        // 30 orders in a ring of distances, filed in a shuffled order: more than a page of 5 (and its margin),
        // so the answer comes through the index's nearest-first walk, not the sort of a few.
        var here = GeoSteps.CentreOf("ST21-C03-G02");
        var metres = Enumerable.Range(1, 30).Select(i => i * 7).OrderBy(m => (m * 37) % 31).ToList();
        var filed = new Dictionary<Guid, int>();
        foreach (var m in metres)
        {
            filed[(await _client.FileAt(m % 2 == 0 ? here.Moved(m) : here.Moved(0, m), category: "garbage")).Id] = m;
        }

        var page = await Get($"latitude={here.Latitude}&longitude={here.Longitude}&radius=400&limit=5");

        Assert.Equal([7, 14, 21, 28, 35], page.Items.Select(i => filed[i.Order.Id]));
        Assert.All(page.Items, i => Assert.InRange(i.DistanceMeters, filed[i.Order.Id] - 0.5, filed[i.Order.Id] + 0.5));
    }

    [Fact]
    public async Task Nearby_lists_the_orders_within_the_radius_nearest_first_with_their_distance()
    {
        var here = GeoSteps.CentreOf("ST20-C05-G02");
        var at100 = await _client.FileAt(here.Moved(100), category: "garbage");
        var at30 = await _client.FileAt(here.Moved(0, 30), category: "garbage");
        var at300 = await _client.FileAt(here.Moved(-300), category: "noise");

        var within = await Get($"latitude={here.Latitude}&longitude={here.Longitude}&radius=200");
        Assert.Equal([at30.Id, at100.Id], within.Items.Select(i => i.Order.Id));
        Assert.InRange(within.Items[0].DistanceMeters, 29.5, 30.5);
        Assert.InRange(within.Items[1].DistanceMeters, 99.5, 100.5);

        var wider = await Get($"latitude={here.Latitude}&longitude={here.Longitude}&radius=500");
        Assert.Equal([at30.Id, at100.Id, at300.Id], wider.Items.Select(i => i.Order.Id));
        var noise = await Get($"latitude={here.Latitude}&longitude={here.Longitude}&radius=500&categoryCode=noise&state=discovered");
        Assert.Equal([at300.Id], noise.Items.Select(i => i.Order.Id));

        // Asked in GCJ-02, answered in GCJ-02: the same orders at the same distances.
        var gcj = ChineseCoordinates.Wgs84ToGcj02(here);
        var chinese = await Get($"latitude={gcj.Latitude}&longitude={gcj.Longitude}&radius=200&coordinateSystem=gcj02");
        Assert.Equal([at30.Id, at100.Id], chinese.Items.Select(i => i.Order.Id));
        Assert.All(chinese.Items, i => Assert.Equal("gcj02", i.Order.Location.CoordinateSystem));
        Assert.InRange(chinese.Items[0].DistanceMeters, 29.5, 30.5);
    }

    [Fact]
    public async Task Nearby_keeps_to_the_callers_scope()
    {
        var here = GeoSteps.CentreOf("ST30-C01-G01");
        var order = await _client.FileAt(here);
        var otherCommunity = app.ClientAs(Role.Community, community: "ST31-C01");
        var own = app.ClientAs(Role.Community, community: "ST30-C01");
        var query = $"/api/v1/orders/nearby?latitude={here.Latitude}&longitude={here.Longitude}&radius=100";

        Assert.Empty((await (await otherCommunity.GetAsync(query)).Read<Nearby>()).Items);
        Assert.Equal([order.Id], (await (await own.GetAsync(query)).Read<Nearby>()).Items.Select(i => i.Order.Id));
        Assert.Equal(HttpStatusCode.Forbidden, (await app.ClientAs(Role.Dashboard).GetAsync(query)).StatusCode);
    }

    [Theory]
    [InlineData("longitude=111.7&radius=100")]
    [InlineData("latitude=91&longitude=111.7")]
    [InlineData("latitude=40.8&longitude=111.7&radius=0")]
    [InlineData("latitude=40.8&longitude=111.7&radius=50001")]
    [InlineData("latitude=40.8&longitude=111.7&state=open")]
    public async Task Bad_parameters_are_400(string query)
    {
        var response = await _client.GetAsync($"/api/v1/orders/nearby?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    private async Task<Nearby> Get(string query)
    {
        var response = await _client.GetAsync($"/api/v1/orders/nearby?{query}");
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await response.Read<Nearby>();
    }
}
