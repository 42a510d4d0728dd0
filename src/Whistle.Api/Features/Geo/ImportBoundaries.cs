using System.Globalization;
using System.Text.Json;
using FluentValidation.Results;
using NetTopologySuite.Features;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO.Converters;
using NetTopologySuite.Operation.Valid;

namespace Whistle.Api.Features.Geo;

/// <summary>
/// Imports grid boundaries from a GeoJSON FeatureCollection keyed by grid code (each feature's
/// <c>properties.gridCode</c>, or <c>properties.code</c> as the export writes it): a Polygon or
/// MultiPolygon in WGS 84 per grid. All or nothing: any invalid feature (bad or invalid geometry,
/// unknown or repeated grid code) refuses the file with an error per feature. Grids the file does
/// not name keep their boundaries. The admin API and the command line run the same import.
/// </summary>
public static class ImportBoundaries
{
    /// <param name="Imported">Features that replaced (or gave) a grid's boundary; with dryRun, those that would.</param>
    /// <param name="DryRun">True when nothing was written.</param>
    /// <param name="GridCodes">The grids the file gave boundaries to, by code.</param>
    public sealed record Result(int Imported, bool DryRun, IReadOnlyList<string> GridCodes);

    public sealed record Command(byte[] GeoJson, bool DryRun) : ICommand<Result>;

    /// <summary>The file, as the document describes it (the import reads it with NetTopologySuite's GeoJSON reader).</summary>
    /// <param name="Type">FeatureCollection.</param>
    /// <param name="Features">One per grid.</param>
    public sealed record GeoJsonFile(string Type, IReadOnlyList<FileFeature> Features);

    /// <param name="Type">Feature.</param>
    /// <param name="Geometry">A GeoJSON Polygon or MultiPolygon, [longitude, latitude] in WGS 84.</param>
    /// <param name="Properties">gridCode (or code): the grid it bounds.</param>
    public sealed record FileFeature(string Type, JsonElement Geometry, JsonElement Properties);

    private static readonly JsonSerializerOptions GeoJson = new() { Converters = { new GeoJsonConverterFactory() } };

    public sealed class Handler(WhistleDbContext db) : ICommandHandler<Command, Result>
    {
        public async ValueTask<Result> Handle(Command command, CancellationToken cancellationToken)
        {
            var boundaries = await ReadAsync(db, command.GeoJson, cancellationToken);
            if (!command.DryRun)
            {
                var codes = boundaries.Keys.ToList();
                var existing = await db.GridBoundaries.Where(b => codes.Contains(b.GridCode)).ToDictionaryAsync(b => b.GridCode, cancellationToken);
                foreach (var (code, boundary) in boundaries)
                {
                    if (existing.TryGetValue(code, out var known))
                    {
                        known.Boundary = boundary;
                    }
                    else
                    {
                        db.GridBoundaries.Add(new GridBoundary { GridCode = code, Boundary = boundary });
                    }
                }
                await db.SaveChangesAsync(cancellationToken);
                db.ChangeTracker.Clear();
            }
            return new Result(boundaries.Count, command.DryRun, [.. boundaries.Keys.Order(StringComparer.Ordinal)]);
        }
    }

    /// <summary>The file's boundaries by grid code, or a <see cref="ValidationException"/> naming each bad feature.</summary>
    internal static async Task<Dictionary<string, MultiPolygon>> ReadAsync(WhistleDbContext db, byte[] geoJson, CancellationToken cancellationToken)
    {
        NetTopologySuite.Features.FeatureCollection? collection;
        try
        {
            collection = JsonSerializer.Deserialize<NetTopologySuite.Features.FeatureCollection>(geoJson, GeoJson);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException or FormatException or NotSupportedException)
        {
            throw new ValidationException([new ValidationFailure("body", $"Not a GeoJSON FeatureCollection: {e.Message}")]);
        }
        if (collection is null || collection.Count == 0)
        {
            throw new ValidationException([new ValidationFailure("body", "A GeoJSON FeatureCollection with at least one feature is expected.")]);
        }

        var grids = (await db.Grids.AsNoTracking().Select(g => g.Code).ToListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
        var failures = new List<ValidationFailure>();
        var boundaries = new Dictionary<string, MultiPolygon>(StringComparer.Ordinal);
        for (var i = 0; i < collection.Count; i++)
        {
            var field = $"features[{i}]";
            var feature = collection[i];
            var code = Code(feature?.Attributes);
            if (code is null)
            {
                failures.Add(new(field, "properties.gridCode (or properties.code) names the grid."));
                continue;
            }
            if (!grids.Contains(code))
            {
                failures.Add(new(field, $"No grid has the code '{code}'."));
                continue;
            }
            if (!boundaries.TryAdd(code, null!))
            {
                failures.Add(new(field, $"Grid '{code}' appears twice in the file."));
                continue;
            }
            if (Boundary(feature!.Geometry) is { } problem)
            {
                failures.Add(new(field, $"Grid '{code}': {problem}"));
                continue;
            }
            boundaries[code] = feature.Geometry switch
            {
                MultiPolygon multi => BuiltInBoundaries.Wgs84.CreateMultiPolygon(multi.Geometries.Cast<Polygon>().ToArray()),
                _ => BuiltInBoundaries.Wgs84.CreateMultiPolygon([(Polygon)feature.Geometry]),
            };
        }
        if (failures.Count > 0)
        {
            throw new ValidationException(failures);
        }
        return boundaries;
    }

    private static string? Code(IAttributesTable? attributes)
    {
        foreach (var name in new[] { "gridCode", "code" })
        {
            if (attributes?.Exists(name) == true && attributes[name] is string code && !string.IsNullOrWhiteSpace(code) && code.Length <= 50)
            {
                return code.Trim();
            }
        }
        return null;
    }

    /// <summary>What is wrong with the geometry as a grid's boundary; null when nothing is.</summary>
    private static string? Boundary(Geometry? geometry)
    {
        if (geometry is not (Polygon or MultiPolygon) || geometry.IsEmpty)
        {
            return $"the geometry must be a Polygon or MultiPolygon, not {(geometry is null ? "missing" : geometry.IsEmpty ? "empty" : geometry.GeometryType)}.";
        }
        if (geometry.Coordinates.Any(c => !double.IsFinite(c.X) || !double.IsFinite(c.Y) || c.X is < -180 or > 180 || c.Y is < -90 or > 90))
        {
            return "a position is not a WGS 84 [longitude, latitude] (-180 to 180, -90 to 90).";
        }
        var validity = new IsValidOp(geometry);
        if (!validity.IsValid)
        {
            var error = validity.ValidationError;
            return string.Create(CultureInfo.InvariantCulture,
                $"the polygon is not valid: {error.Message} at [{error.Coordinate?.X}, {error.Coordinate?.Y}].");
        }
        return null;
    }

    internal static void Map(RouteGroupBuilder grids) =>
        grids.MapPut("/boundaries", async (
                [Description("true: check the file and say what it would import, writing nothing."), Microsoft.AspNetCore.Mvc.FromQuery,
                 DocumentedAs(Microsoft.OpenApi.JsonSchemaType.Boolean)] string? dryRun,
                IMediator mediator, HttpContext http, CancellationToken cancellationToken) =>
            {
                AccessPolicy.Ensure(http.GetCaller(), Operation.ImportBoundaries);
                if (dryRun is not null && !bool.TryParse(dryRun, out _))
                {
                    throw new ValidationException([new ValidationFailure("dryRun", "'dryRun' must be true or false.")]);
                }
                if (http.Request.ContentType is not { } type
                    || !(type.StartsWith("application/geo+json", StringComparison.OrdinalIgnoreCase) || type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)))
                {
                    return Results.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType,
                        detail: "Send the GeoJSON as application/geo+json (or application/json).");
                }
                using var body = new MemoryStream();
                await http.Request.Body.CopyToAsync(body, cancellationToken);
                return TypedResults.Ok(await mediator.Send(new Command(body.ToArray(), dryRun is not null && bool.Parse(dryRun)), cancellationToken));
            })
            .WithName("ImportBoundaries")
            .WithSummary("Import grid boundaries (GeoJSON)")
            .WithDescription("A GeoJSON FeatureCollection keyed by grid code (properties.gridCode, or properties.code as GET writes it), " +
                "a Polygon or MultiPolygon in WGS 84 per grid. All or nothing: an invalid geometry, an unknown or repeated grid code " +
                "refuses the file with an error per feature (errors under features[i]). Grids the file does not name keep theirs. " +
                "The command line does the same: reference import boundaries.geojson [--dry-run].")
            .Accepts<GeoJsonFile>("application/geo+json", "application/json")
            .Produces<Result>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
}

/// <summary>The boundaries' routes, beside the reference data's (<c>/api/v1/grids</c>).</summary>
public static class BoundaryEndpoints
{
    public static RouteGroupBuilder MapBoundaries(this IEndpointRouteBuilder app)
    {
        var grids = app.MapGroup("/api/v1/grids").WithTags("Reference data");
        GetBoundaries.Map(grids);
        ImportBoundaries.Map(grids);
        return grids;
    }
}
