using Microsoft.OpenApi;
using NetTopologySuite.Geometries;
using Npgsql;

namespace Whistle.Api.Features.Geo;

/// <summary>
/// The boundaries as a GeoJSON FeatureCollection, one feature per grid, or per community or street
/// as the union of its grids; with counts=true each carries its open and overdue orders, which the
/// dashboard's map shades by.
/// </summary>
public static class GetBoundaries
{
    /// <param name="Type">Always FeatureCollection.</param>
    /// <param name="Features">One per grid, community or street that has a boundary, by code.</param>
    public sealed record FeatureCollection(string Type, IReadOnlyList<Feature> Features);

    /// <param name="Type">Always Feature.</param>
    /// <param name="Id">The grid's, community's or street's code.</param>
    /// <param name="Geometry">Its boundary in WGS 84.</param>
    /// <param name="Properties">What it is.</param>
    public sealed record Feature(string Type, string Id, MultiPolygonGeometry Geometry, FeatureProperties Properties);

    /// <param name="Type">Always MultiPolygon.</param>
    /// <param name="Coordinates">Polygons of rings of [longitude, latitude] positions, WGS 84; each ring closed, the outer one first.</param>
    public sealed record MultiPolygonGeometry(string Type, double[][][][] Coordinates);

    /// <param name="Code">The grid's, community's or street's code (gridCode on import).</param>
    /// <param name="Name">Its name.</param>
    /// <param name="Level">grid, community or street.</param>
    /// <param name="ParentCode">The community of a grid, the street of a community; null for a street.</param>
    /// <param name="OpenOrders">With counts=true: its orders in the open backlog (whistled, acknowledged or returned), as the statistics count it; null outside a street supervisor's street.</param>
    /// <param name="OverdueOrders">With counts=true: its orders past a running deadline now; null outside a street supervisor's street.</param>
    public sealed record FeatureProperties(string Code, string Name, string Level, string? ParentCode, int? OpenOrders, int? OverdueOrders);

    public enum Level
    {
        Grid,
        Community,
        Street,
    }

    /// <param name="Street">A street supervisor's street: only its areas carry counts, and only of its orders (the statistics' own scope).</param>
    /// <param name="CommunityCode">Only this community's grids (or the community itself, or its street).</param>
    /// <param name="StreetCode">Only this street's grids (or communities, or the street itself).</param>
    public sealed record Query(Level Level, bool Counts, string? Street = null, string? CommunityCode = null, string? StreetCode = null)
        : IQuery<FeatureCollection>;

    // The open backlog as the statistics define it (Flag.Open).
    private static readonly OrderState[] OpenBacklog = [OrderState.Whistled, OrderState.Acknowledged, OrderState.Returned];

    // A phone draws its own community's grids: a few kilobytes, not the district's two megabytes.
    private const string Within = "WHERE (@community::text IS NULL OR g.community_code = @community) AND (@street::text IS NULL OR c.street_code = @street) ";

    private static string Sql(Level level) => level switch
    {
        // The fifth column is the street the area lies in, which confines a street supervisor's counts.
        Level.Grid =>
            "SELECT b.grid_code, g.name, g.community_code, b.boundary, c.street_code FROM grid_boundaries b JOIN grids g ON g.code = b.grid_code " +
            "JOIN communities c ON c.code = g.community_code " + Within + "ORDER BY 1",
        Level.Community =>
            "SELECT c.code, c.name, c.street_code, ST_Multi(ST_Union(b.boundary)), c.street_code FROM grid_boundaries b " +
            "JOIN grids g ON g.code = b.grid_code JOIN communities c ON c.code = g.community_code " + Within +
            "GROUP BY c.code, c.name, c.street_code ORDER BY 1",
        _ =>
            "SELECT s.code, s.name, NULL, ST_Multi(ST_Union(b.boundary)), s.code FROM grid_boundaries b JOIN grids g ON g.code = b.grid_code " +
            "JOIN communities c ON c.code = g.community_code JOIN streets s ON s.code = c.street_code " + Within + "GROUP BY s.code, s.name ORDER BY 1",
    };

    public sealed class Handler(WhistleDbContext db, TimeProvider clock) : IQueryHandler<Query, FeatureCollection>
    {
        public async ValueTask<FeatureCollection> Handle(Query query, CancellationToken cancellationToken)
        {
            Dictionary<string, int>? open = null, overdue = null;
            if (query.Counts)
            {
                var now = clock.GetUtcNow().ToUniversalTime();
                var orders = db.Orders.AsNoTracking();
                if (query.Street is { } street)
                {
                    orders = orders.Where(o => o.StreetCode == street);
                }
                open = await Count(orders.Where(o => OpenBacklog.Contains(o.State)), query.Level, cancellationToken);
                overdue = await Count(orders.Where(Overdue.At(now)), query.Level, cancellationToken);
            }
            var connection = (NpgsqlConnection)db.Database.GetDbConnection();
            await db.Database.OpenConnectionAsync(cancellationToken);
            try
            {
                await using var command = new NpgsqlCommand(Sql(query.Level), connection);
                command.Parameters.Add(new NpgsqlParameter<string?>("community", query.CommunityCode) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
                command.Parameters.Add(new NpgsqlParameter<string?>("street", query.StreetCode) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                var features = new List<Feature>();
                var level = WireName.Of(query.Level);
                while (await reader.ReadAsync(cancellationToken))
                {
                    var code = reader.GetString(0);
                    // Another street's area carries no counts for a street supervisor (not zeros, which would be untrue).
                    var counted = open is not null && (query.Street is null || reader.GetString(4) == query.Street);
                    features.Add(new Feature("Feature", code, Geometry(reader.GetFieldValue<MultiPolygon>(3)), new FeatureProperties(
                        code, reader.GetString(1), level, reader.IsDBNull(2) ? null : reader.GetString(2),
                        counted ? open!.GetValueOrDefault(code) : null, counted ? overdue!.GetValueOrDefault(code) : null)));
                }
                return new FeatureCollection("FeatureCollection", features);
            }
            finally
            {
                await db.Database.CloseConnectionAsync();
            }
        }

        private static Task<Dictionary<string, int>> Count(IQueryable<Order> orders, Level level, CancellationToken cancellationToken) => (level switch
        {
            Level.Grid => orders.GroupBy(o => o.GridCode),
            Level.Community => orders.GroupBy(o => o.CommunityCode),
            _ => orders.GroupBy(o => o.StreetCode),
        }).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);
    }

    /// <summary>GeoJSON's nesting of a multipolygon: polygons, rings, [longitude, latitude].</summary>
    internal static MultiPolygonGeometry Geometry(MultiPolygon boundary) => new("MultiPolygon", boundary.Geometries.Cast<Polygon>()
        .Select(polygon => new[] { polygon.ExteriorRing }.Concat(polygon.InteriorRings)
            .Select(ring => ring.Coordinates.Select(c => new[] { Math.Round(c.X, 7), Math.Round(c.Y, 7) }).ToArray())
            .ToArray())
        .ToArray());

    internal static void Map(RouteGroupBuilder grids) =>
        grids.MapGet("/boundaries", async (
                [Description("grid (the default), community or street: communities and streets as the union of their grids."),
                 DocumentedAs(JsonSchemaType.String, OneOf = typeof(Level))] string? level,
                [Description("true: each feature carries its open and overdue orders (needs a role that reads the statistics)."),
                 DocumentedAs(JsonSchemaType.Boolean)] string? counts,
                [Description("Only this community's grids (or, with level=community or street, that community or its street).")] string? communityCode,
                [Description("Only this street's grids, communities or itself.")] string? streetCode,
                IMediator mediator, HttpContext http, CancellationToken cancellationToken) =>
            {
                var caller = http.GetCaller();
                AccessPolicy.Ensure(caller, Operation.ReadReference);
                var withCounts = counts is not null && bool.TryParse(counts, out var on) && on;
                if (withCounts)
                {
                    AccessPolicy.Ensure(caller, Operation.ReadStatistics);
                }
                var failures = new List<FluentValidation.Results.ValidationFailure>();
                var parsed = Level.Grid;
                if (level is not null && !WireName.TryParse(level, out parsed))
                {
                    failures.Add(new("level", $"'level' is one of {string.Join(", ", WireName.All<Level>())}."));
                }
                if (counts is not null && !bool.TryParse(counts, out _))
                {
                    failures.Add(new("counts", "'counts' must be true or false."));
                }
                foreach (var (name, value) in new[] { ("communityCode", communityCode), ("streetCode", streetCode) })
                {
                    if (value is not null && (value.Length is 0 or > 50))
                    {
                        failures.Add(new(name, $"'{name}' is a code of 1 to 50 characters."));
                    }
                }
                if (failures.Count > 0)
                {
                    throw new ValidationException(failures);
                }
                // The statistics' scope (StatsEndpoints.ConfineToArea): a street's supervisor counts its street only.
                var street = caller is { Role: Role.Supervisor, StreetCode: { } own } ? own : null;
                var collection = await mediator.Send(new Query(parsed, withCounts, street, communityCode, streetCode), cancellationToken);
                return TypedResults.Json(collection, ApiJson.Options, "application/geo+json");
            })
            .WithName("GetBoundaries")
            .WithSummary("Grid boundaries as GeoJSON")
            .WithDescription("A GeoJSON FeatureCollection (WGS 84): a feature per grid that has a boundary, or per community or street " +
                "(level=community|street) as the union of its grids. Built-in grids have generated boundaries around Hohhot's centre; " +
                "PUT imports real ones.")
            .Produces<FeatureCollection>(StatusCodes.Status200OK, "application/geo+json")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden);
}
