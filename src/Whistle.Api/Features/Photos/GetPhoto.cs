using System.Text.Json;
using Microsoft.Net.Http.Headers;

namespace Whistle.Api.Features.Photos;

/// <summary>
/// Serves a photo or its thumbnail under the order's own scope rules: a photo of an order the caller
/// cannot see is not found, exactly as the order. The bytes never change under an id (they are
/// addressed by their hash), so they are cached privately for good and revalidated by the hash.
/// </summary>
public static class GetPhoto
{
    /// <summary>The order a photo belongs to, found through the GIN index on <c>orders.photos</c>.</summary>
    public static async Task<(Order Order, Photo Photo)?> FindAsync(WhistleDbContext db, Guid photoId, CancellationToken cancellationToken)
    {
        var probe = JsonSerializer.Serialize(new[] { new { id = photoId } });
        var ids = await db.Database.SqlQuery<Guid>($"SELECT id AS \"Value\" FROM orders WHERE photos @> {probe}::jsonb").ToListAsync(cancellationToken);
        if (ids is not [var id])
        {
            return null;
        }
        var order = await db.Orders.AsNoTracking().SingleAsync(o => o.Id == id, cancellationToken);
        return (order, order.Photos.Single(p => p.Id == photoId));
    }

    public static NotFoundException NotFound(string id) => new($"No photo has the id '{id}'.");

    private static async Task<IResult> ServeAsync(
        string id, bool thumbnail, HttpContext http, WhistleDbContext db, IPhotoStore store, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var photoId) || await FindAsync(db, photoId, cancellationToken) is not var (order, photo))
        {
            throw NotFound(id);
        }
        var caller = http.GetCaller();
        // A dashboard reads no order, but shows the thumbnails of the overdue orders it lists (AccessPolicy.Listable).
        var visible = caller.Role == Role.Dashboard
            ? thumbnail && order.MissedDeadlineAt(clock.GetUtcNow()) is not null
            : AccessPolicy.Permits(caller.Role, Operation.ReadOrders) && AccessPolicy.InScope(caller, order);
        if (!visible)
        {
            throw NotFound(id);
        }
        if (photo.Withdrawn)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status410Gone, title: "Photo withdrawn",
                detail: $"An admin withdrew this photo at {photo.WithdrawnAt:O}; its image is erased.");
        }
        var hash = thumbnail ? photo.ThumbnailHash : photo.Hash;
        var etag = new EntityTagHeaderValue($"\"{hash}\"");
        var headers = http.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        // Only ever the types processing wrote (image/jpeg or image/png): never HTML or SVG, whatever was uploaded.
        var contentType = photo.ContentType is "image/png" ? "image/png" : "image/jpeg";
        if (http.Request.GetTypedHeaders().IfNoneMatch is { Count: > 0 } match && match.Any(m => m.Compare(etag, useStrongComparison: false) || m.Equals(EntityTagHeaderValue.Any)))
        {
            headers.ETag = etag.ToString();
            headers.CacheControl = Immutable;
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }
        var stored = await store.GetAsync(db, hash, cancellationToken)
            ?? throw new InvalidOperationException($"Photo {photo.Id} refers to {hash}, which the {store.Name} store does not hold.");
        if (OutsideTheImage(http.Request, etag, stored.Bytes.Length))
        {
            // A refusal, not the image: a problem, and nothing a cache should keep for a year.
            headers.ContentRange = $"bytes */{stored.Bytes.Length}";
            return TypedResults.Problem(statusCode: StatusCodes.Status416RangeNotSatisfiable, title: "Range not satisfiable",
                detail: $"The image is {stored.Bytes.Length} bytes: ask for bytes within 0-{stored.Bytes.Length - 1}.");
        }
        headers.CacheControl = Immutable;
        return TypedResults.File(stored.Bytes, contentType, entityTag: etag, enableRangeProcessing: true);
    }

    private const string Immutable = "private, max-age=31536000, immutable";

    /// <summary>
    /// Whether the request's one byte range lies wholly outside the image (bytes=-0 asks for none of it).
    /// A Range in another unit is not one this server serves, so it is dropped and the whole image sent
    /// (RFC 9110 §14.2); so are a malformed Range, several ranges, and a Range whose If-Range no longer holds.
    /// </summary>
    private static bool OutsideTheImage(HttpRequest request, EntityTagHeaderValue etag, long length)
    {
        var typed = request.GetTypedHeaders();
        if (typed.Range is not { } range)
        {
            return false;
        }
        if (!range.Unit.Equals("bytes", StringComparison.OrdinalIgnoreCase))
        {
            request.Headers.Remove(HeaderNames.Range);
            return false;
        }
        if (typed.IfRange is { } ifRange && ifRange.EntityTag?.Compare(etag, useStrongComparison: true) != true)
        {
            return false;
        }
        return range.Ranges.Count == 1 && range.Ranges.Single() is var only
            && (only.From is { } from ? from >= length : only.To is not > 0);
    }

    internal static void Map(RouteGroupBuilder photos)
    {
        Configure(photos.MapGet("/{id}", (string id, HttpContext http, WhistleDbContext db, IPhotoStore store, TimeProvider clock, CancellationToken ct) =>
                ServeAsync(id, thumbnail: false, http, db, store, clock, ct))
            .WithName("GetPhoto")
            .WithSummary("Get a photo")
            .WithDescription("The stored image (long edge at most 2048 px, no metadata), to whoever may read its order (else 404, as for the order)."));
        Configure(photos.MapGet("/{id}/thumbnail", (string id, HttpContext http, WhistleDbContext db, IPhotoStore store, TimeProvider clock, CancellationToken ct) =>
                ServeAsync(id, thumbnail: true, http, db, store, clock, ct))
            .WithName("GetPhotoThumbnail")
            .WithSummary("Get a photo's thumbnail")
            .WithDescription("A thumbnail of at most 320 px, to whoever may read its order, and to a dashboard for the overdue orders it lists."));
    }

    private static void Configure(RouteHandlerBuilder endpoint) =>
        endpoint
            .WithMetadata(new PhotoBytes())
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status410Gone)
            .ProducesProblem(StatusCodes.Status416RangeNotSatisfiable)
            .WithResponseHeader(StatusCodes.Status200OK, "ETag", "The SHA-256 of the bytes, quoted: send it in If-None-Match.")
            .WithResponseHeader(StatusCodes.Status200OK, "Cache-Control", "private, max-age=31536000, immutable: the bytes under an id never change.")
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
            .WithResponseHeader(StatusCodes.Status416RangeNotSatisfiable, "X-Content-Type-Options", "nosniff.", required: false)
            .WithRequestHeader("If-None-Match", "The ETag held: 304 when it is still the photo's.")
            .WithRequestHeader("Range", "bytes=first-last: 206 with that part; 416 (a problem) when it lies outside the image. Another unit is ignored (200).")
            // Any authenticated caller reaches it; the order's scope decides (404 otherwise).
            .WithRequestHeader("If-Range", "The ETag held: the Range is honoured only while it still matches.");
}

/// <summary>The operation answers image bytes (200 and 206 as image/jpeg or image/png, 304, 416): for the OpenAPI document.</summary>
public sealed record PhotoBytes;
