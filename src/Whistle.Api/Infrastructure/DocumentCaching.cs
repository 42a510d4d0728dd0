using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Net.Http.Headers;

namespace Whistle.Api.Infrastructure;

/// <summary>
/// The OpenAPI document is the same for the life of the process: made once, served with a strong ETag
/// (a hash of its bytes), 304 to an If-None-Match that holds it, and no-cache so that a cache asks again
/// (cheaply) and sees a new release's document at once.
/// </summary>
public static class DocumentCaching
{
    private sealed record Served(byte[] Body, string ContentType, string ETag);

    public static TBuilder WithDocumentETag<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.Add(endpoint =>
        {
            var make = endpoint.RequestDelegate ?? throw new InvalidOperationException("The endpoint has no request delegate.");
            var made = new ConcurrentDictionary<string, Served>(StringComparer.Ordinal);
            endpoint.RequestDelegate = async http =>
            {
                var key = http.Request.Path.Value ?? "";
                if (!made.TryGetValue(key, out var served))
                {
                    var original = http.Response.Body;
                    using var buffer = new MemoryStream();
                    http.Response.Body = buffer;
                    try
                    {
                        await make(http);
                    }
                    finally
                    {
                        http.Response.Body = original;
                    }
                    if (http.Response.StatusCode != StatusCodes.Status200OK)
                    {
                        // An unknown document's 404, say: passed on as it was, never kept.
                        await original.WriteAsync(buffer.ToArray(), http.RequestAborted);
                        return;
                    }
                    var body = buffer.ToArray();
                    served = made.GetOrAdd(key, new Served(body, http.Response.ContentType ?? "application/json",
                        $"\"{Convert.ToBase64String(SHA256.HashData(body), 0, 18).Replace('+', '-').Replace('/', '_')}\""));
                }
                http.Response.Headers.ETag = served.ETag;
                http.Response.Headers.CacheControl = "public, no-cache";
                if (http.Request.GetTypedHeaders().IfNoneMatch.Any(tag => tag.Equals(EntityTagHeaderValue.Any) || tag.Tag.Equals(served.ETag)))
                {
                    http.Response.StatusCode = StatusCodes.Status304NotModified;
                    return;
                }
                http.Response.ContentType = served.ContentType;
                http.Response.ContentLength = served.Body.Length;
                await http.Response.Body.WriteAsync(served.Body, http.RequestAborted);
            };
        });
        return builder;
    }
}
