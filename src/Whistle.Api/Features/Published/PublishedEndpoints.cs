using System.Collections.Frozen;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Net.Http.Headers;
using Whistle.Api.Features.Photos;

namespace Whistle.Api.Features.Published;

/// <summary>
/// The public face of the results list: its API (<c>/api/v1/public/…</c>), its photos, and the page at <c>/results</c>
/// whose files are embedded in the assembly (as the dashboard's are; no CDN). Nothing here needs or reads a credential;
/// every request takes from its address's rate-limit bucket like any other without one.
/// </summary>
public static class PublishedEndpoints
{
    public static void MapPublishedResults(this IEndpointRouteBuilder app)
    {
        ManagePublication.Map(app);
        var open = app.MapGroup("/api/v1/public").WithTags("Published results").AllowAnonymous();
        open.MapGet("/results", ListResults.HandleAsync)
            .WithName("ListPublishedResults")
            .WithSummary("The published results list (实效清单)")
            .WithDescription(
                "Public, no credential. The district's finished orders (closed after evaluation, or handled by the community), newest " +
                "result first, filterable by street, community, category and month (yyyy-MM, when dealt with), with the district's " +
                "figures for the same filters over orders whistled in that month. Positions are rounded to about 100 m; no reporter, " +
                "address, title, description or withdrawn photo is ever shown; a private category and orders an admin holds back are " +
                "left out. Send the ETag back in If-None-Match for a 304.")
            .Produces<ListResults.Page>(contentType: "application/json")
            .Produces(StatusCodes.Status304NotModified)
            .ProducesValidationProblem()
            .WithResponseHeader(StatusCodes.Status200OK, "ETag", "A hash of the page: send it in If-None-Match.")
            .WithResponseHeader(StatusCodes.Status200OK, "Cache-Control", "public, max-age=60.")
            .WithResponseHeader(StatusCodes.Status304NotModified, "ETag", "As for 200.")
            .WithResponseHeader(StatusCodes.Status304NotModified, "Cache-Control", "As for 200.")
            .WithRequestHeader("If-None-Match", "The ETag held: 304 while the page says the same.");
        MapPhoto(open.MapGet("/photos/{id}", (string id, HttpContext http, WhistleDbContext db, IPhotoStore store, CancellationToken ct) =>
                ServePhotoAsync(id, thumbnail: false, http, db, store, ct))
            .WithName("GetPublishedPhoto")
            .WithSummary("A published photo"));
        MapPhoto(open.MapGet("/photos/{id}/thumbnail", (string id, HttpContext http, WhistleDbContext db, IPhotoStore store, CancellationToken ct) =>
                ServePhotoAsync(id, thumbnail: true, http, db, store, ct))
            .WithName("GetPublishedPhotoThumbnail")
            .WithSummary("A published photo's thumbnail"));

        // The page: a shell without data (the script reads the public API), Chinese first.
        var page = app.MapGroup("/results").ExcludeFromDescription().AllowAnonymous();
        page.MapGet("/", (HttpContext http) =>
        {
            var html = PageTemplate.Replace("{{base}}", WebUtility.HtmlEncode(http.Request.PathBase.Value ?? ""), StringComparison.Ordinal);
            http.Response.Headers.CacheControl = "no-cache";
            Secure(http);
            return TypedResults.Content(html, "text/html; charset=utf-8");
        });
        page.MapGet("/{file}", (string file, HttpContext http) =>
        {
            if (!Assets.TryGetValue(file, out var asset))
            {
                throw new NotFoundException($"No file '{file}' on the results page.");
            }
            http.Response.Headers.CacheControl = "no-cache";
            Secure(http);
            return TypedResults.Bytes(asset.Content, asset.ContentType, entityTag: asset.ETag);
        });
    }

    private static void MapPhoto(RouteHandlerBuilder endpoint) =>
        endpoint
            .WithDescription("Public, no credential: a before or after photo of a published result (else 404, withdrawn ones too).")
            .WithMetadata(new PhotoBytes())
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithResponseHeader(StatusCodes.Status200OK, "ETag", "The SHA-256 of the bytes, quoted.")
            .WithResponseHeader(StatusCodes.Status200OK, "Cache-Control", "public, max-age=3600: a result can be held back later, so not for good.")
            .WithResponseHeader(StatusCodes.Status200OK, "X-Content-Type-Options", "nosniff.")
            .WithResponseHeader(StatusCodes.Status200OK, "Accept-Ranges", "bytes.", required: false)
            .WithResponseHeader(StatusCodes.Status206PartialContent, "ETag", "As for 200.")
            .WithResponseHeader(StatusCodes.Status206PartialContent, "Cache-Control", "As for 200.")
            .WithResponseHeader(StatusCodes.Status206PartialContent, "X-Content-Type-Options", "nosniff.")
            .WithResponseHeader(StatusCodes.Status206PartialContent, "Content-Range", "The bytes sent, of the whole.")
            .WithResponseHeader(StatusCodes.Status206PartialContent, "Accept-Ranges", "bytes.", required: false)
            .WithResponseHeader(StatusCodes.Status304NotModified, "ETag", "As for 200.")
            .WithResponseHeader(StatusCodes.Status304NotModified, "Cache-Control", "As for 200.")
            .WithResponseHeader(StatusCodes.Status416RangeNotSatisfiable, "Content-Range", "bytes */ and the length.", required: false)
            .WithResponseHeader(StatusCodes.Status416RangeNotSatisfiable, "Cache-Control", "As for 200.", required: false)
            .WithResponseHeader(StatusCodes.Status416RangeNotSatisfiable, "X-Content-Type-Options", "nosniff.", required: false)
            .WithRequestHeader("If-None-Match", "The ETag held: 304 when it is still the photo's.")
            .WithRequestHeader("Range", "bytes=first-last: 206 with that part.")
            .WithRequestHeader("If-Range", "The ETag held: the Range is honoured only while it still matches.");

    /// <summary>A photo, only when <see cref="Publication"/> publishes it and its order; anything else is simply not found.</summary>
    private static async Task<IResult> ServePhotoAsync(
        string id, bool thumbnail, HttpContext http, WhistleDbContext db, IPhotoStore store, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var photoId) || await GetPhoto.FindAsync(db, photoId, cancellationToken) is not var (order, photo)
            || !Publication.IsPublished(photo) || !await db.Published().AnyAsync(o => o.Id == order.Id, cancellationToken))
        {
            throw GetPhoto.NotFound(id);
        }
        var hash = thumbnail ? photo.ThumbnailHash : photo.Hash;
        var etag = new EntityTagHeaderValue($"\"{hash}\"");
        http.Response.Headers.CacheControl = "public, max-age=3600";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        if (http.Request.GetTypedHeaders().IfNoneMatch is { Count: > 0 } match && match.Any(m => m.Compare(etag, useStrongComparison: false)))
        {
            http.Response.Headers.ETag = etag.ToString();
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }
        var stored = await store.GetAsync(db, hash, cancellationToken) ?? throw GetPhoto.NotFound(id);
        return TypedResults.File(stored.Bytes, photo.ContentType is "image/png" ? "image/png" : "image/jpeg", entityTag: etag, enableRangeProcessing: true);
    }

    private const string Prefix = "Whistle.Api.Features.Published.Assets.";

    private sealed record Asset(byte[] Content, string ContentType, EntityTagHeaderValue ETag);

    private static readonly FrozenDictionary<string, Asset> Assets = new Dictionary<string, string>
    {
        ["results.js"] = "text/javascript; charset=utf-8",
        ["results.css"] = "text/css; charset=utf-8",
    }.ToFrozenDictionary(p => p.Key, p =>
    {
        var content = Load(p.Key);
        return new Asset(content, p.Value, EmbeddedAssets.TagOf(content));
    });

    private static readonly string PageTemplate = Encoding.UTF8.GetString(Load("results.html"));

    // The page's own files and this origin's public API only; photos from this origin.
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static void Secure(HttpContext http) => EmbeddedAssets.Secure(http, ContentSecurityPolicy);

    private static byte[] Load(string name) => EmbeddedAssets.Load(Prefix + name);
}
