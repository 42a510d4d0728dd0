using System.Net;
using System.Text.Json;
using Whistle.Api.Features.Access;
using Whistle.Api.Features.Seeding;
using Whistle.Api.Tests.Infrastructure;
using Whistle.Domain.Geo;

namespace Whistle.Api.Tests.Geo;

/// <summary>The demo seeded: where the story begins.</summary>
public sealed class SeededDemoApp : WhistleApp
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await SeedOrders.SeedAsync(ConnectionString, new SeedOrders.Options(400, 2025, 14), TimeProvider.System, _ => { }, default);
    }
}

/// <summary>
/// Issue 14's "done when", end to end through the API: a new user seeds the demo, files by position
/// only (WGS 84 and GCJ-02) and lands in the right grid, sees a possible duplicate of an order filed
/// 20 m away, merges them, and sees one problem in the figures and on the map's counts.
/// </summary>
public class DoneWhenTests(SeededDemoApp app) : IClassFixture<SeededDemoApp>
{
    [Fact]
    public async Task Seed_file_by_position_in_WGS84_and_GCJ02_see_the_duplicate_merge_and_count_one_problem()
    {
        // Two delivery riders of the community's grid team, and the community's desk.
        var rider = app.ClientAs(Role.GridWorker, community: "ST12-C03", name: "Rider Li");
        var another = app.ClientAs(Role.GridWorker, community: "ST12-C03", name: "Rider Zhao");
        var community = app.ClientAs(Role.Community, community: "ST12-C03", name: "Community ST12-C03");
        var here = GeoSteps.CentreOf("ST12-C03-G04");

        // By GPS (WGS 84), no grid code: the right grid.
        var first = await rider.FileAt(here, category: "manhole-cover");
        Assert.Equal("ST12-C03-G04", first.GridCode);
        Assert.Empty(first.PossibleDuplicates!);

        // From a phone's Amap (GCJ-02), 20 m further north: the same grid, and the first order named as a possible duplicate.
        var second = await another.FileAt(ChineseCoordinates.Wgs84ToGcj02(here.Moved(20)), category: "manhole-cover", system: "gcj02");
        Assert.Equal("ST12-C03-G04", second.GridCode);
        var duplicate = Assert.Single(second.PossibleDuplicates!);
        Assert.Equal(first.Id, duplicate.Id);
        Assert.InRange(duplicate.DistanceMeters, 19.5, 20.5);

        // The community whistles both, then merges the repeat into the first.
        await community.Whistle(first.Id);
        await community.Whistle(second.Id);
        var merge = await community.Post($"/api/v1/orders/{second.Id}/merge", new { intoOrderId = first.Code });
        Assert.Equal(HttpStatusCode.OK, merge.StatusCode);
        Assert.Equal(first.Id, (await merge.Read<PlacedOrder>()).MergedInto);

        // One problem in the figures: two dispatched, one valid, one open.
        var admin = app.CreateClient();
        var today = (await admin.Summary("?from=2026-03-02&to=2026-03-02&communityCode=ST12-C03")).Figures;
        Assert.Equal(2, today.DispatchedOrders);
        Assert.Equal(1, today.ValidOrders);
        Assert.Equal(1, today.OpenBacklog);

        // And on the map: the grid has one open order.
        var map = await app.ClientAs(Role.Dashboard).GetAsync("/api/v1/grids/boundaries?counts=true");
        using var boundaries = JsonDocument.Parse(await map.Content.ReadAsStringAsync());
        var grid = boundaries.RootElement.GetProperty("features").EnumerateArray().Single(f => f.GetProperty("id").GetString() == "ST12-C03-G04");
        Assert.Equal(1, grid.GetProperty("properties").GetProperty("openOrders").GetInt32());
    }
}
