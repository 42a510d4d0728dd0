using System.Globalization;
using System.Net;
using System.Text.Json;
using Whistle.Api.Features.Access;
using Whistle.Api.Features.Geo;
using Whistle.Api.Tests.Infrastructure;
using Whistle.Domain.Geo;

namespace Whistle.Api.Tests.Geo;

/// <summary>Filing by position: the grid found from the boundaries, in any of the three coordinate systems.</summary>
public class LocatingTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    private readonly HttpClient _client = app.CreateClient();

    [Theory]
    [InlineData(null)]
    [InlineData("wgs84")]
    [InlineData("gcj02")]
    [InlineData("bd09")]
    public async Task A_position_without_a_grid_code_lands_in_the_grid_that_contains_it_and_is_stored_in_WGS84(string? system)
    {
        var wgs = GeoSteps.CentreOf("ST07-C04-G05");
        var sent = ChineseCoordinates.FromWgs84(wgs, system is null ? CoordinateSystem.Wgs84 : Whistle.Domain.Orders.WireName.Parse<CoordinateSystem>(system));

        var order = await _client.FileAt(sent, system: system);

        Assert.Equal("ST07-C04-G05", order.GridCode);
        Assert.Equal("ST07-C04", order.CommunityCode);
        Assert.Equal("wgs84", order.Location.CoordinateSystem);
        Assert.True(ChineseCoordinates.MetresBetween(wgs, new LatLon(order.Location.Latitude, order.Location.Longitude)) < 0.001);
    }

    [Fact]
    public async Task A_GCJ02_position_read_as_WGS84_would_land_hundreds_of_metres_away_in_another_grid()
    {
        var wgs = GeoSteps.CentreOf("ST07-C04-G05");
        var order = await _client.FileAt(ChineseCoordinates.Wgs84ToGcj02(wgs));
        Assert.NotEqual("ST07-C04-G05", order.GridCode);
    }

    [Fact]
    public async Task An_order_answers_in_GCJ02_when_asked_and_in_WGS84_otherwise()
    {
        var wgs = GeoSteps.CentreOf("ST02-C01-G01");
        var order = await _client.FileAt(wgs);

        var gcj = await (await _client.GetAsync($"/api/v1/orders/{order.Id}?coordinateSystem=gcj02")).Read<PlacedOrder>();
        Assert.Equal("gcj02", gcj.Location.CoordinateSystem);
        var expected = ChineseCoordinates.Wgs84ToGcj02(wgs);
        Assert.True(ChineseCoordinates.MetresBetween(expected, new LatLon(gcj.Location.Latitude, gcj.Location.Longitude)) < 0.001);

        var plain = await (await _client.GetAsync($"/api/v1/orders/{order.Id}")).Read<PlacedOrder>();
        Assert.Equal("wgs84", plain.Location.CoordinateSystem);
        Assert.Equal(wgs.Latitude, plain.Location.Latitude, 9);

        var refused = await _client.GetAsync($"/api/v1/orders/{order.Id}?coordinateSystem=mercator");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("coordinateSystem", await refused.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_position_in_no_grid_is_refused_naming_the_nearest_grid_and_its_distance()
    {
        // 3 km north of the area's northern edge, above one grid's middle.
        var top = BuiltInBoundaries.Grids.Where(g => g.Value.North == BuiltInBoundaries.North).OrderBy(g => g.Value.West).First();
        var outside = new LatLon(BuiltInBoundaries.North + 3000 / 111_195.0, (top.Value.West + top.Value.East) / 2);

        var response = await _client.Post("/api/v1/orders", GeoSteps.ByPosition(outside));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var message = problem.RootElement.GetProperty("errors").GetProperty("location")[0].GetString()!;
        Assert.Contains($"the nearest is '{top.Key}'", message);
        var metres = double.Parse(message.Split(", ")[^1].Split(' ')[0], CultureInfo.InvariantCulture);
        Assert.InRange(metres, 2990, 3010);
    }

    [Fact]
    public async Task A_grid_worker_filing_by_position_in_another_grid_is_refused_as_with_a_grid_code()
    {
        var worker = app.ClientAs(Role.GridWorker, grids: ["ST01-C01-G01"]);
        var mine = await worker.FileAt(GeoSteps.CentreOf("ST01-C01-G01"));
        Assert.Equal("ST01-C01-G01", mine.GridCode);

        var response = await worker.Post("/api/v1/orders", GeoSteps.ByPosition(GeoSteps.CentreOf("ST03-C02-G02")));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task A_grid_code_given_with_a_position_is_taken_as_given()
    {
        var body = GeoSteps.ByPosition(GeoSteps.CentreOf("ST03-C02-G02"));
        body["gridCode"] = "ST01-C01-G01";
        var response = await _client.Post("/api/v1/orders", body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("ST01-C01-G01", (await response.Read<PlacedOrder>()).GridCode);
    }
}
