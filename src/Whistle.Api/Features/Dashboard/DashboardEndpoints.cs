using System.Collections.Frozen;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Whistle.Api.Features.Dashboard;

/// <summary>
/// <c>/dashboard</c>: a page for a district screen, drawn in the browser from the statistics and
/// order endpoints. Its files are embedded in the assembly, so <c>dotnet run</c>, the published
/// image and the test host all serve the same bytes without a content root to find.
/// </summary>
public static class DashboardEndpoints
{
    private const string Prefix = "Whistle.Api.Features.Dashboard.Assets.";

    private sealed record Asset(byte[] Content, string ContentType, EntityTagHeaderValue ETag);

    private static readonly FrozenDictionary<string, Asset> Assets = LoadAssets();

    private static readonly string PageTemplate = Encoding.UTF8.GetString(Load("dashboard.html"));

    // The page, its script and its style come from here only; data only from this origin's API.
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

    public static void MapDashboard(this IEndpointRouteBuilder app)
    {
        var dashboard = app.MapGroup("/dashboard").ExcludeFromDescription().AllowAnonymous();

        // The page shell carries no data, so it needs no credentials: the browser cannot attach an
        // API key to a navigation. Its script sends them with every API call instead.
        dashboard.MapGet("/", (HttpContext http, TimeProvider clock, IOptions<WhistleOptions> options) =>
        {
            // The service's clock and zone, so "this month" is the district's month, not the screen's.
            var page = PageTemplate
                .Replace("{{base}}", WebUtility.HtmlEncode(http.Request.PathBase.Value ?? ""), StringComparison.Ordinal)
                .Replace("{{timeZone}}", WebUtility.HtmlEncode(options.Value.TimeZone), StringComparison.Ordinal)
                .Replace("{{now}}", clock.GetUtcNow().ToString("O"), StringComparison.Ordinal);
            http.Response.Headers.CacheControl = "no-cache";
            Secure(http);
            return TypedResults.Content(page, "text/html; charset=utf-8");
        });

        dashboard.MapGet("/{file}", (string file, HttpContext http) =>
        {
            if (!Assets.TryGetValue(file, out var asset))
            {
                return Results.NotFound();
            }
            // Revalidated on every load, so a new release is picked up at once; a 304 costs little.
            http.Response.Headers.CacheControl = "no-cache";
            Secure(http);
            return TypedResults.Bytes(asset.Content, asset.ContentType, entityTag: asset.ETag);
        });
    }

    private static void Secure(HttpContext http) => EmbeddedAssets.Secure(http, ContentSecurityPolicy);

    private static FrozenDictionary<string, Asset> LoadAssets() =>
        new Dictionary<string, string>
        {
            ["dashboard.js"] = "text/javascript; charset=utf-8",
            ["dashboard-format.js"] = "text/javascript; charset=utf-8",
            ["dashboard.css"] = "text/css; charset=utf-8",
        }.ToFrozenDictionary(p => p.Key, p =>
        {
            var content = Load(p.Key);
            return new Asset(content, p.Value, EmbeddedAssets.TagOf(content));
        });

    private static byte[] Load(string name) => EmbeddedAssets.Load(Prefix + name);
}
