using Npgsql;
using Whistle.Api.Features.Geo;
using Whistle.Api.Infrastructure;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Geo;

/// <summary>PostGIS under the store: the extension, the built-in boundaries, the orders' computed positions.</summary>
public class BoundaryStoreTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    private async Task<T> Scalar<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Every_built_in_grid_has_a_valid_boundary_and_together_they_tile_the_area_without_overlap()
    {
        Assert.Equal(4693L, await Scalar<long>("SELECT count(*) FROM grid_boundaries WHERE ST_IsValid(boundary) AND ST_SRID(boundary) = 4326"));
        Assert.Equal(0L, await Scalar<long>(
            "SELECT count(*) FROM grid_boundaries a JOIN grid_boundaries b ON a.grid_code < b.grid_code " +
            "AND a.boundary && b.boundary AND ST_Relate(a.boundary, b.boundary, '2********')"));
        var area = (BuiltInBoundaries.East - BuiltInBoundaries.West) * (BuiltInBoundaries.North - BuiltInBoundaries.South);
        Assert.Equal(area, await Scalar<double>("SELECT sum(ST_Area(boundary)) FROM grid_boundaries"), 9);
        // a point near Hohhot's centre lies in one grid, and a grid is about the size of a real one (0.1 to 0.3 km²).
        Assert.Equal(1L, await Scalar<long>("SELECT count(*) FROM grid_boundaries WHERE ST_Covers(boundary, ST_Point(111.7013, 40.8021, 4326))"));
        var squareMetres = await Scalar<double>("SELECT avg(ST_Area(boundary::geography)) FROM grid_boundaries");
        Assert.InRange(squareMetres, 100_000, 300_000);
    }

    [Fact]
    public async Task A_filed_orders_position_is_computed_by_the_store_from_its_latitude_and_longitude()
    {
        var order = await app.CreateClient().File();
        Assert.Equal("POINT(111.7492 40.8424)", await Scalar<string>($"SELECT ST_AsText(position) FROM orders WHERE id = '{order.Id}'"));
    }

    [Fact]
    public async Task A_server_without_the_extension_is_refused_with_the_Debian_package_to_install()
    {
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        // The real check against the real server, asked about an extension no server has.
        var refused = await Assert.ThrowsAsync<PostGisMissingException>(() =>
            PostGis.EnsureAvailableAsync(connection, "postgis_that_is_not_there", CancellationToken.None));
        Assert.Contains($"apt-get install postgresql-{connection.PostgreSqlVersion.Major}-postgis-3", refused.Message);
        await PostGis.EnsureAvailableAsync(connection, PostGis.Extension, CancellationToken.None);
    }
}
