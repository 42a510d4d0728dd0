using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Whistle.Api.Infrastructure;

/// <summary>An order's ETag is its version, quoted: <c>"3"</c>. A list's is a weak tag of its JSON.</summary>
public static class ETags
{
    public const string IfNoneMatchDescription = "The ETag of the answer last read: 304 while the answer is unchanged.";

    public const string WeakETagDescription = "A weak tag of the JSON answer (a hash of it): send it in If-None-Match to poll cheaply.";

    /// <summary>
    /// Answers a polled read as JSON with a weak ETag, a hash of the body (so it changes exactly when the body does),
    /// or 304 when the client's If-None-Match already names it. Weak: the answer is equivalent, not a byte range to resume.
    /// </summary>
    public static IResult JsonOrNotModified<T>(HttpContext http, T value)
    {
        var options = http.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var json = JsonSerializer.SerializeToUtf8Bytes(value, options);
        var tag = $"W/\"{Convert.ToBase64String(SHA256.HashData(json), 0, 18).Replace('+', '-').Replace('/', '_')}\"";
        http.Response.Headers.ETag = tag;
        // Kept by the browser but checked every time: each poll asks with the tag, and an unchanged queue costs a 304.
        http.Response.Headers.CacheControl = "private, no-cache";
        var opaque = tag[2..];
        // If-None-Match compares weakly (RFC 9110 13.1.2): W/"x" and "x" match alike.
        if (http.Request.GetTypedHeaders().IfNoneMatch.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Tag.Equals(opaque)))
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }
        return Results.Bytes(json, "application/json");
    }

    public static string For(int version) => $"\"{version.ToString(CultureInfo.InvariantCulture)}\"";

    /// <summary>
    /// The versions an <c>If-Match</c> header accepts: null for none or <c>*</c> (anything goes).
    /// Weak tags never match, as RFC 9110 requires strong comparison for <c>If-Match</c>.
    /// </summary>
    public static IReadOnlyCollection<int>? ParseIfMatch(string? header)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return null;
        }
        if (!EntityTagHeaderValue.TryParseList([header], out var tags))
        {
            throw new FluentValidation.ValidationException([
                new FluentValidation.Results.ValidationFailure("If-Match", "If-Match must be '*' or entity tags such as \"3\"."),
            ]);
        }
        if (tags.Any(t => t.Equals(EntityTagHeaderValue.Any)))
        {
            return null;
        }
        var versions = new List<int>();
        foreach (var tag in tags)
        {
            if (!tag.IsWeak
                && int.TryParse(tag.Tag.AsSpan(1, tag.Tag.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                versions.Add(version);
            }
        }
        // Tags that cannot be one of ours still count: they simply never match, so the answer is 412.
        return versions;
    }
}
