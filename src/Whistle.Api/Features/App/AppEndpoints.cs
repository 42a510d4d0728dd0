using System.Collections.Frozen;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Net.Http.Headers;

namespace Whistle.Api.Features.App;

/// <summary>
/// <c>/app/</c>: the field app (grid workers, riders, community officers filing from a phone) and
/// <c>/app/desk</c> (communities, departments, supervisors, admins working their queues), one
/// installable web app on the API's own origin. Its files travel inside the assembly, as the
/// dashboard's do; the pages and the service worker name the assets' combined hash, so a release
/// replaces the cached shell at once and never touches the outbox (it lives in IndexedDB).
/// </summary>
public static class AppEndpoints
{
    private const string Prefix = "Whistle.Api.Features.App.Assets.";

    /// <summary>An asset, and the same gzipped once at start (scripts and styles shrink to a third over a phone's network).</summary>
    private sealed record Asset(byte[] Content, byte[]? Gzipped, string ContentType, EntityTagHeaderValue ETag);

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>
    {
        ["app.css"] = "text/css; charset=utf-8",
        ["common.js"] = "text/javascript; charset=utf-8",
        ["outbox.js"] = "text/javascript; charset=utf-8",
        ["photos.js"] = "text/javascript; charset=utf-8",
        ["map.js"] = "text/javascript; charset=utf-8",
        ["field.js"] = "text/javascript; charset=utf-8",
        ["mine.js"] = "text/javascript; charset=utf-8",
        ["nearby.js"] = "text/javascript; charset=utf-8",
        ["keys.js"] = "text/javascript; charset=utf-8",
        ["desk.js"] = "text/javascript; charset=utf-8",
        ["icon.svg"] = "image/svg+xml",
        ["icon-192.png"] = "image/png",
        ["icon-512.png"] = "image/png",
    }.ToFrozenDictionary();

    /// <summary>The hash of every asset: the pages' and the worker's cache key for this release.</summary>
    public static readonly string Version = Convert.ToHexStringLower(SHA256.HashData(
        ContentTypes.Keys.Order(StringComparer.Ordinal).Concat(["field.html", "desk.html", "sw.js", "manifest.webmanifest"])
            .SelectMany(Load).ToArray()))[..12];

    private static readonly FrozenDictionary<string, Asset> Assets = ContentTypes.ToFrozenDictionary(p => p.Key, p =>
    {
        // Modules import each other as ./x.js?v={{version}}: the worker keeps exactly this release's set.
        var content = p.Key.EndsWith(".js", StringComparison.Ordinal)
            ? Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Load(p.Key)).Replace("{{version}}", Version, StringComparison.Ordinal))
            : Load(p.Key);
        return new Asset(content, p.Value.StartsWith("image/png", StringComparison.Ordinal) ? null : Gzip(content), p.Value,
            EmbeddedAssets.TagOf(content));
    });

    private static byte[] Gzip(byte[] content)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(buffer, System.IO.Compression.CompressionLevel.SmallestSize))
        {
            gzip.Write(content);
        }
        return buffer.ToArray();
    }

    private static readonly string FieldPage = Encoding.UTF8.GetString(Load("field.html"));
    private static readonly string DeskPage = Encoding.UTF8.GetString(Load("desk.html"));
    private static readonly string Worker = Encoding.UTF8.GetString(Load("sw.js"));
    private static readonly byte[] Manifest = Load("manifest.webmanifest");

    // Everything from this origin only; photos are shown from blob: URLs (fetched with the key), the
    // camera's pictures from blob: too. No inline script or style.
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
        "worker-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static void MapApp(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/app").ExcludeFromDescription().AllowAnonymous();

        // The shells carry no data, so they need no credential: a navigation cannot carry the key.
        // /app and /app/ match the same route; the page's relative links need the slash.
        group.MapGet("/", (HttpContext http) => http.Request.Path.Value!.EndsWith('/')
            ? Page(http, FieldPage)
            : Results.Redirect($"{http.Request.PathBase}{http.Request.Path}/"));
        group.MapGet("/desk", (HttpContext http) => Page(http, DeskPage));
        group.MapGet("/manifest.webmanifest", (HttpContext http) =>
        {
            Secure(http);
            http.Response.Headers.CacheControl = "no-cache";
            return TypedResults.Bytes(Manifest, "application/manifest+json");
        });
        // The worker is fetched past the HTTP cache by browsers; it must be revalidated so a release reaches phones.
        group.MapGet("/sw.js", (HttpContext http) =>
        {
            Secure(http);
            http.Response.Headers.CacheControl = "no-cache";
            return TypedResults.Content(Worker.Replace("{{version}}", Version, StringComparison.Ordinal), "text/javascript; charset=utf-8");
        });
        group.MapGet("/{file}", (string file, HttpContext http) =>
        {
            if (!Assets.TryGetValue(file, out var asset))
            {
                return Results.NotFound();
            }
            Secure(http);
            // The pages name each asset with ?v=<release>, so a cached copy is never stale for long.
            http.Response.Headers.CacheControl = "no-cache";
            http.Response.Headers.Vary = "Accept-Encoding";
            if (asset.Gzipped is not null && http.Request.Headers.AcceptEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase))
            {
                http.Response.Headers.ContentEncoding = "gzip";
                // Another representation, another tag (RFC 9110 8.8.3).
                return TypedResults.Bytes(asset.Gzipped, asset.ContentType, entityTag: new EntityTagHeaderValue(asset.ETag.Tag.Value![..^1] + "-gz\""));
            }
            return TypedResults.Bytes(asset.Content, asset.ContentType, entityTag: asset.ETag);
        });
    }

    private static IResult Page(HttpContext http, string template)
    {
        Secure(http);
        http.Response.Headers.CacheControl = "no-cache";
        var page = template
            .Replace("{{base}}", WebUtility.HtmlEncode(http.Request.PathBase.Value ?? ""), StringComparison.Ordinal)
            .Replace("{{version}}", Version, StringComparison.Ordinal);
        return TypedResults.Content(page, "text/html; charset=utf-8");
    }

    private static void Secure(HttpContext http) => EmbeddedAssets.Secure(http, ContentSecurityPolicy);

    private static byte[] Load(string name) => EmbeddedAssets.Load(Prefix + name);
}
