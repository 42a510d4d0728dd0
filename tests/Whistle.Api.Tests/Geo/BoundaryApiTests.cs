using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Whistle.Api.Features.Access;
using Whistle.Api.Features.Geo;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Geo;

/// <summary>Boundaries over the API: GeoJSON out (grids, and communities and streets as unions), GeoJSON in.</summary>
public class BoundaryApiTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    private readonly HttpClient _client = app.CreateClient();

    private async Task<JsonDocument> Boundaries(string query = "", HttpClient? client = null)
    {
        var response = await (client ?? _client).GetAsync($"/api/v1/grids/boundaries{query}");
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        Assert.Equal("application/geo+json", response.Content.Headers.ContentType!.MediaType);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }

    private static JsonElement Feature(JsonDocument collection, string code) =>
        collection.RootElement.GetProperty("features").EnumerateArray().Single(f => f.GetProperty("id").GetString() == code);

    private static double Area(JsonElement feature)
    {
        // Planar area in square degrees of the outer rings (the generated ones are rectangles).
        var area = 0.0;
        foreach (var polygon in feature.GetProperty("geometry").GetProperty("coordinates").EnumerateArray())
        {
            var ring = polygon[0].EnumerateArray().Select(p => (X: p[0].GetDouble(), Y: p[1].GetDouble())).ToArray();
            for (var i = 0; i < ring.Length - 1; i++)
            {
                area += ring[i].X * ring[i + 1].Y - ring[i + 1].X * ring[i].Y;
            }
        }
        return Math.Abs(area / 2);
    }

    [Fact]
    public async Task A_phone_asks_for_its_own_communitys_grids_only_and_a_desk_for_a_streets_communities()
    {
        using var all = await Boundaries();
        using var own = await Boundaries("?communityCode=ST01-C01");
        var expected = all.RootElement.GetProperty("features").EnumerateArray()
            .Where(f => f.GetProperty("properties").GetProperty("parentCode").GetString() == "ST01-C01")
            .Select(f => f.GetProperty("id").GetString()).ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, own.RootElement.GetProperty("features").EnumerateArray().Select(f => f.GetProperty("id").GetString()).ToList());

        using var street = await Boundaries("?level=community&streetCode=ST05");
        var codes = street.RootElement.GetProperty("features").EnumerateArray().Select(f => f.GetProperty("id").GetString()!).ToList();
        Assert.NotEmpty(codes);
        Assert.All(codes, code => Assert.StartsWith("ST05-", code, StringComparison.Ordinal));

        using var none = await Boundaries("?communityCode=NO-SUCH");
        Assert.Equal(0, none.RootElement.GetProperty("features").GetArrayLength());
        var tooLong = await _client.GetAsync("/api/v1/grids/boundaries?streetCode=" + new string('S', 51));
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
    }

    [Fact]
    public async Task Grids_communities_and_streets_come_as_GeoJSON_the_larger_ones_the_union_of_their_grids()
    {
        using var grids = await Boundaries();
        Assert.Equal("FeatureCollection", grids.RootElement.GetProperty("type").GetString());
        Assert.Equal(4693, grids.RootElement.GetProperty("features").GetArrayLength());
        var grid = Feature(grids, "ST01-C01-G01");
        Assert.Equal("MultiPolygon", grid.GetProperty("geometry").GetProperty("type").GetString());
        Assert.Equal("ST01-C01", grid.GetProperty("properties").GetProperty("parentCode").GetString());
        Assert.Equal(JsonValueKind.Null, grid.GetProperty("properties").GetProperty("openOrders").ValueKind);

        using var communities = await Boundaries("?level=community");
        Assert.Equal(453, communities.RootElement.GetProperty("features").GetArrayLength());
        var community = Feature(communities, "ST01-C01");
        // One polygon, as large as its grids together.
        Assert.Single(community.GetProperty("geometry").GetProperty("coordinates").EnumerateArray());
        var gridsArea = grids.RootElement.GetProperty("features").EnumerateArray()
            .Where(f => f.GetProperty("properties").GetProperty("parentCode").GetString() == "ST01-C01").Sum(Area);
        Assert.Equal(gridsArea, Area(community), 9);

        using var streets = await Boundaries("?level=street");
        Assert.Equal(39, streets.RootElement.GetProperty("features").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, Feature(streets, "ST01").GetProperty("properties").GetProperty("parentCode").ValueKind);
    }

    [Fact]
    public async Task With_counts_each_grid_carries_its_open_and_overdue_orders_for_roles_that_read_the_statistics()
    {
        var order = await _client.File(grid: "ST09-C02-G03");
        await _client.Whistle(order.Id);
        app.Clock.Advance(TimeSpan.FromDays(3));

        using var counted = await Boundaries("?counts=true", app.ClientAs(Role.Dashboard));
        var properties = Feature(counted, "ST09-C02-G03").GetProperty("properties");
        Assert.Equal(1, properties.GetProperty("openOrders").GetInt32());
        Assert.Equal(1, properties.GetProperty("overdueOrders").GetInt32());
        Assert.Equal(0, Feature(counted, "ST09-C02-G02").GetProperty("properties").GetProperty("openOrders").GetInt32());

        var worker = app.ClientAs(Role.GridWorker, grids: ["ST09-C02-G03"]);
        Assert.Equal(HttpStatusCode.Forbidden, (await worker.GetAsync("/api/v1/grids/boundaries?counts=true")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _client.GetAsync("/api/v1/grids/boundaries?level=district")).StatusCode);
    }

    private static string Collection(params string[] features) => $$"""{"type":"FeatureCollection","features":[{{string.Join(",", features)}}]}""";

    private static string Square(string code, double west, double south, double size = 0.001)
    {
        double[][] ring = [[west, south], [west + size, south], [west + size, south + size], [west, south + size], [west, south]];
        return JsonSerializer.Serialize(new
        {
            type = "Feature",
            properties = new { gridCode = code },
            geometry = new { type = "Polygon", coordinates = new[] { ring } },
        });
    }

    private Task<HttpResponseMessage> Import(string geoJson, string query = "", HttpClient? client = null)
    {
        var content = new StringContent(geoJson, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/geo+json");
        return (client ?? _client).PutAsync($"/api/v1/grids/boundaries{query}", content);
    }

    [Fact]
    public async Task An_imported_boundary_replaces_the_grids_and_locating_follows_it_a_dry_run_changes_nothing()
    {
        // A small square far from the built-in area, for grid ST39-C01-G01.
        var file = Collection(Square("ST39-C01-G01", 112.5, 41.5));
        var dry = await Import(file, "?dryRun=true");
        Assert.Equal(HttpStatusCode.OK, dry.StatusCode);
        Assert.Contains("\"dryRun\":true", await dry.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, (await _client.Post("/api/v1/orders", GeoSteps.ByPosition(new(41.5005, 112.5005)))).StatusCode);

        var imported = await Import(file);
        Assert.Equal(HttpStatusCode.OK, imported.StatusCode);
        Assert.Contains("\"imported\":1", await imported.Content.ReadAsStringAsync());
        Assert.Equal("ST39-C01-G01", (await _client.FileAt(new(41.5005, 112.5005))).GridCode);
    }

    [Fact]
    public async Task A_file_with_bad_features_is_refused_whole_with_an_error_per_feature()
    {
        var bowtie = """{"type":"Feature","properties":{"gridCode":"ST02-C02-G02"},"geometry":{"type":"Polygon","coordinates":[[[112,41],[112.01,41.01],[112.01,41],[112,41.01],[112,41]]]}}""";
        var line = """{"type":"Feature","properties":{"gridCode":"ST02-C02-G03"},"geometry":{"type":"LineString","coordinates":[[112,41],[112.01,41.01]]}}""";
        var response = await Import(Collection(Square("ST02-C02-G01", 112.2, 41.2), bowtie, Square("ST99-C01-G01", 112.3, 41.3), line,
            Square("ST02-C02-G01", 112.4, 41.4)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var errors = problem.RootElement.GetProperty("errors");
        Assert.Contains("not valid", errors.GetProperty("features[1]")[0].GetString());
        Assert.Contains("No grid has the code 'ST99-C01-G01'", errors.GetProperty("features[2]")[0].GetString());
        Assert.Contains("Polygon or MultiPolygon", errors.GetProperty("features[3]")[0].GetString());
        Assert.Contains("twice", errors.GetProperty("features[4]")[0].GetString());
        Assert.False(errors.TryGetProperty("features[0]", out _));
        // Nothing written: the good feature's grid keeps its generated boundary.
        Assert.Equal("ST02-C02-G01", (await _client.FileAt(GeoSteps.CentreOf("ST02-C02-G01"))).GridCode);

        Assert.Equal(HttpStatusCode.BadRequest, (await Import("{\"type\":\"Point\"")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Import(Collection(Square("ST02-C02-G01", 112.2, 41.2)), client: app.ClientAs(Role.Supervisor))).StatusCode);
    }

    [Fact]
    public async Task The_command_line_imports_the_same_file_and_checks_it_with_dry_run()
    {
        var path = Path.Combine(Path.GetTempPath(), $"boundaries-{Guid.NewGuid():N}.geojson");
        await File.WriteAllTextAsync(path, Collection(Square("ST38-C01-G01", 113.5, 42.5)));
        try
        {
            var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder()
                .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Whistle"] = app.ConnectionString }).Build();
            Assert.True(ImportBoundariesCommand.Recognises(["import", path]));
            Assert.False(ImportBoundariesCommand.Recognises(["import", "reference.xlsx"]));

            var output = new StringWriter();
            Assert.Equal(0, await ImportBoundariesCommand.RunAsync(["import", path, "--dry-run"], configuration, output, new StringWriter()));
            Assert.Contains("1 grid boundaries would be imported", output.ToString());
            Assert.Equal(HttpStatusCode.BadRequest, (await _client.Post("/api/v1/orders", GeoSteps.ByPosition(new(42.5005, 113.5005)))).StatusCode);

            Assert.Equal(0, await ImportBoundariesCommand.RunAsync(["import", path], configuration, output, new StringWriter()));
            Assert.Equal("ST38-C01-G01", (await _client.FileAt(new(42.5005, 113.5005))).GridCode);

            await File.WriteAllTextAsync(path, Collection(Square("NOPE", 113.5, 42.5)));
            var errors = new StringWriter();
            Assert.Equal(2, await ImportBoundariesCommand.RunAsync(["import", path], configuration, new StringWriter(), errors));
            Assert.Contains("features[0]: No grid has the code 'NOPE'", errors.ToString());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
