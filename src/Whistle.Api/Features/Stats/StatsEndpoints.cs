using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Whistle.Api.Features.Stats;

public static class StatsEndpoints
{
    public static void MapStats(this IEndpointRouteBuilder app)
    {
        var stats = app.MapGroup("/api/v1/stats").WithTags("Statistics")
            .RequireOperation(Operation.ReadStatistics)
            .AddEndpointFilter(ConfineToArea);
        foreach (var endpoint in new[] { GetSummary.Map(stats), GetBreakdown.Map(stats), GetTimeseries.Map(stats) })
        {
            endpoint.ProducesValidationProblem().Produces(StatusCodes.Status304NotModified).ProducesProblem(StatusCodes.Status403Forbidden)
                .WithRequestHeader("If-None-Match", "The ETag of the answer last read: 304 while the figures are unchanged.");
            foreach (var status in new[] { StatusCodes.Status200OK, StatusCodes.Status304NotModified })
            {
                endpoint.WithResponseHeader(status, "ETag", "A hash of the answer's exact bytes; send it in If-None-Match to poll cheaply.", required: false)
                    .WithResponseHeader(status, "Cache-Control", "private, max-age=5 (the figures may be reused for five seconds).");
            }
            endpoint.WithMetadata(new TableDownloads());
        }
        // Each download its own operation, so that a generated client types the JSON answer as JSON and a download
        // as a file. (format=csv|xlsx on the JSON paths still answers as before, for clients written against it.)
        foreach (var format in new[] { TableFormat.Csv, TableFormat.Xlsx })
        {
            foreach (var download in new[] { GetSummary.Map(stats, format), GetBreakdown.Map(stats, format), GetTimeseries.Map(stats, format) })
            {
                download.ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden)
                    .WithResponseHeader(StatusCodes.Status200OK, "Cache-Control", "private, no-cache: a download is not kept by caches.")
                    .WithTableDownload(StatsSheet, format)
                    .AddEndpointFilter((context, next) =>
                    {
                        context.Arguments.OfType<StatsFilter>().Single().Format = format == TableFormat.Csv ? "csv" : "xlsx";
                        return next(context);
                    });
            }
        }
    }

    /// <summary>The JSON answer's path, or its download's (summary.csv, summary.xlsx).</summary>
    internal static string Route(string path, TableFormat format) => format switch
    {
        TableFormat.Csv => path + ".csv",
        TableFormat.Xlsx => path + ".xlsx",
        _ => path,
    };

    internal static string Name(string operation, TableFormat format) => format switch
    {
        TableFormat.Csv => operation + "Csv",
        TableFormat.Xlsx => operation + "Xlsx",
        _ => operation,
    };

    /// <summary>A street's supervisor reads its street's figures: the filter is set to it, another street is refused.</summary>
    private static ValueTask<object?> ConfineToArea(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (context.HttpContext.GetCaller() is { Role: Role.Supervisor, StreetCode: { } street })
        {
            var filter = context.Arguments.OfType<StatsFilter>().Single();
            if (filter.StreetCode is not null && filter.StreetCode != street)
            {
                throw new ForbiddenException($"This credential reads the figures of street '{street}' only.");
            }
            filter.StreetCode = street;
        }
        return next(context);
    }

    private const string StatsSheet =
        "The same answer as a table to download, with the same parameters: the answer's own columns (the period; the group's code " +
        "and name; or the period's label, start and end), then every figure named as in JSON; rates as fractions, empty when null.";

    private sealed record Body(byte[] Json, string ETag);

    // A cached answer is the same object until the figures change: serialize and hash it once.
    private static readonly ConditionalWeakTable<object, Body> Bodies = [];

    /// <summary>
    /// Sends the figures with a strong ETag (a hash of the exact bytes, so it changes exactly when
    /// they do), or 304 when the client already holds them.
    /// </summary>
    public static async Task<IResult> Reply<T>(HttpContext http, StatsFilter filter, ValueTask<T> answer) where T : class, IStatsAnswer
    {
        var value = await answer;
        if (Table.TryParseFormat(filter.Format, out var format) && format != TableFormat.Json)
        {
            // A download is asked for once, not polled: no ETag, and it is not kept by caches.
            http.Response.Headers.CacheControl = "private, no-cache";
            await value.ToTable().WriteAsync(http.Response, format, http.RequestAborted);
            return Results.Empty;
        }
        var body = Bodies.GetValue(value, v =>
        {
            var options = http.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
            var json = JsonSerializer.SerializeToUtf8Bytes(v, typeof(T), options);
            return new Body(json, $"\"{Convert.ToBase64String(SHA256.HashData(json), 0, 18).Replace('+', '-').Replace('/', '_')}\"");
        });
        http.Response.Headers.ETag = body.ETag;
        // Short: screens poll every few seconds, and the ETag makes each poll after that cheap.
        http.Response.Headers.CacheControl = "private, max-age=5";
        var match = http.Request.GetTypedHeaders().IfNoneMatch;
        if (match.Any(tag => tag.Equals(EntityTagHeaderValue.Any) || tag.Tag.Equals(body.ETag)))
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }
        return Results.Bytes(body.Json, "application/json");
    }
}
