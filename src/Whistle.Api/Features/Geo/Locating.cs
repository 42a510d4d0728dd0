using System.Globalization;
using Microsoft.EntityFrameworkCore.Storage;
using NetTopologySuite.Geometries;
using Npgsql;
using Whistle.Domain.Geo;

namespace Whistle.Api.Features.Geo;

/// <summary>Where a position falls: the grid whose boundary covers it, or the nearest one and how far.</summary>
public static class Locating
{
    /// <summary>A WGS 84 point as PostGIS takes it (x is the longitude).</summary>
    public static Point Point(LatLon wgs) => BuiltInBoundaries.Wgs84.CreatePoint(new Coordinate(wgs.Longitude, wgs.Latitude));

    // Covers, not contains: a point on a shared edge belongs to a grid (the first by code, so always the same one).
    private const string CoveringSql =
        "SELECT grid_code FROM grid_boundaries WHERE ST_Covers(boundary, ST_Point($1, $2, 4326)) ORDER BY grid_code LIMIT 1";

    // The index's nearest few by planar distance in degrees, then the true distance in metres decides.
    private const string NearestSql =
        "SELECT grid_code, ST_Distance(boundary::geography, ST_Point($1, $2, 4326)::geography) AS metres " +
        "FROM (SELECT grid_code, boundary FROM grid_boundaries ORDER BY boundary <-> ST_Point($1, $2, 4326) LIMIT 8) AS near " +
        "ORDER BY metres, grid_code LIMIT 1";

    /// <summary>The grid covering the point, if any.</summary>
    public static async Task<string?> GridAtAsync(WhistleDbContext db, LatLon wgs, CancellationToken cancellationToken)
    {
        await using var command = Command(db, CoveringSql, wgs);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    /// <summary>The grid nearest the point and its distance in metres; none when no grid has a boundary.</summary>
    public static async Task<(string GridCode, double Metres)?> NearestAsync(WhistleDbContext db, LatLon wgs, CancellationToken cancellationToken)
    {
        await using var command = Command(db, NearestSql, wgs);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetString(0), reader.GetDouble(1)) : null;
    }

    /// <summary>
    /// The grid for a filing that gave a position and no grid code; a position in no grid is refused
    /// with the nearest grid and its distance, so the person filing can tell a wrong fix from a real gap.
    /// </summary>
    public static async Task<string> GridForFilingAsync(WhistleDbContext db, LatLon wgs, CancellationToken cancellationToken)
    {
        if (await GridAtAsync(db, wgs, cancellationToken) is { } code)
        {
            return code;
        }
        var position = string.Create(CultureInfo.InvariantCulture, $"{wgs.Latitude:0.######}, {wgs.Longitude:0.######} (WGS 84)");
        throw new ValidationException([new FluentValidation.Results.ValidationFailure("location",
            await NearestAsync(db, wgs, cancellationToken) is { } nearest
                ? string.Create(CultureInfo.InvariantCulture,
                    $"No grid contains {position}; the nearest is '{nearest.GridCode}', {nearest.Metres:0} m away. Give gridCode to file there.")
                : $"No grid has a boundary to locate {position} in; give gridCode.")]);
    }

    private static NpgsqlCommand Command(WhistleDbContext db, string sql, LatLon wgs)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var transaction = (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction();
        var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.AddWithValue(wgs.Longitude);
        command.Parameters.AddWithValue(wgs.Latitude);
        return command;
    }
}
