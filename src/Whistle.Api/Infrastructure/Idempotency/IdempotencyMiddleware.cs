using System.Data;
using System.Security.Cryptography;
using System.Text;
using FluentValidation.Results;

namespace Whistle.Api.Infrastructure.Idempotency;

/// <summary>
/// <c>Idempotency-Key</c> on every POST endpoint: the first request with a key acts and its
/// successful response is stored; the same key with the same request replays that response without
/// acting again; with another request it is 422; while the first still runs it is 409. Without the
/// header nothing changes.
/// </summary>
/// <remarks>
/// Exactly once: the key is reserved first (its own statement, committed at once, so a duplicate
/// sees it), then this middleware opens the request's transaction on the scoped
/// <see cref="WhistleDbContext"/> (the <see cref="TransactionBehavior{TMessage,TResponse}"/> joins it)
/// and stores the response in it, so the change and its stored response commit together or not at
/// all. The response is buffered until then, so no client sees a success that did not commit. A
/// failure (an exception, or any status outside 2xx) rolls back and releases the key: nothing
/// happened, and the client may fix the request and retry with the same key.
/// </remarks>
public sealed class IdempotencyMiddleware(RequestDelegate next, TimeProvider clock, ILogger<IdempotencyMiddleware> logger)
{
    public const string Header = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";
    public const int MaxKeyLength = 255;

    public async Task InvokeAsync(HttpContext http)
    {
        var scope = Scope(http);
        if (!HttpMethods.IsPost(http.Request.Method) || http.GetEndpoint() is null || scope is null
            || !http.Request.Headers.TryGetValue(Header, out var values))
        {
            await next(http);
            return;
        }
        var key = ValidKey(values);
        var fingerprint = await FingerprintAsync(http.Request, http.RequestAborted);
        var db = http.RequestServices.GetRequiredService<WhistleDbContext>();
        var token = Guid.NewGuid();

        // One connection from the reservation to the commit: the reservation names its server session,
        // which then lives exactly as long as the request can still act (see IdempotencyStore.ReserveSql).
        await db.Database.OpenConnectionAsync(http.RequestAborted);
        try
        {
            var outcome = await IdempotencyStore.ReserveAsync(db, scope, key, fingerprint, token, clock.GetUtcNow(), http.RequestAborted);
            switch (outcome)
            {
                case IdempotencyStore.Mismatch:
                    throw new IdempotencyKeyException(StatusCodes.Status422UnprocessableEntity, "Idempotency key reused with another request",
                        "This Idempotency-Key was first used with a different request (method, path or body). Use a new key for a new request.");
                case IdempotencyStore.InProgress:
                    throw new IdempotencyKeyException(StatusCodes.Status409Conflict, "A request with this idempotency key is still in progress",
                        "The first request with this Idempotency-Key has not finished yet. Retry shortly to receive its response.");
                case IdempotencyStore.Completed completed:
                    await ReplayAsync(http, completed);
                    return;
            }

            await ActOnceAsync(http, db, scope, key, token);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private async Task ActOnceAsync(HttpContext http, WhistleDbContext db, string scope, string key, Guid token)
    {
        var original = http.Response.Body;
        using var buffer = new MemoryStream();
        http.Response.Body = buffer;
        var completed = false;
        try
        {
            db.Database.AutoSavepointsEnabled = false;
            await using (var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, http.RequestAborted))
            {
                await next(http);
                var status = http.Response.StatusCode;
                if (status is >= 200 and < 300)
                {
                    var response = new IdempotencyStore.Completed(status, http.Response.ContentType,
                        NullIfEmpty(http.Response.Headers.Location), NullIfEmpty(http.Response.Headers.ETag), Storable(http, buffer.ToArray()));
                    // Having acted, finish storing and committing even if the client has gone: its retry will want the replay.
                    if (!await IdempotencyStore.CompleteAsync(transaction, scope, key, token, response, CancellationToken.None))
                    {
                        // The lease lapsed and a retry took the key over: this request's change must not commit as well.
                        throw new IdempotencyKeyException(StatusCodes.Status409Conflict, "A request with this idempotency key is still in progress",
                            "This request outlived its reservation of the Idempotency-Key and was undone; retry to receive the response of the one that holds it.");
                    }
                    await transaction.CommitAsync(CancellationToken.None);
                    completed = true;
                }
                // Otherwise disposing the transaction rolls back whatever the request did.
            }
        }
        finally
        {
            http.Response.Body = original;
            if (!completed)
            {
                await ReleaseAsync(db, scope, key, token);
            }
        }
        buffer.Position = 0;
        await buffer.CopyToAsync(original, http.RequestAborted);
    }

    private async Task ReleaseAsync(WhistleDbContext db, string scope, string key, Guid token)
    {
        try
        {
            await IdempotencyStore.ReleaseAsync(db, scope, key, token);
        }
        catch (Exception exception) when (exception is DbUpdateException or InvalidOperationException or System.Data.Common.DbException)
        {
            // The reservation frees itself when its lease lapses; the request's own failure is what the client must hear about.
            logger.LogWarning(exception, "Could not release idempotency key {Key}; it frees itself after {Lease}.", key, IdempotencyStore.Lease);
        }
    }

    private static async Task ReplayAsync(HttpContext http, IdempotencyStore.Completed completed)
    {
        var response = http.Response;
        response.StatusCode = completed.Status;
        response.ContentType = completed.ContentType;
        if (completed.Location is not null)
        {
            response.Headers.Location = completed.Location;
        }
        if (completed.ETag is not null)
        {
            response.Headers.ETag = completed.ETag;
        }
        response.Headers[ReplayedHeader] = "true";
        // A replay is the caller's own earlier answer: no cache in between should keep it.
        response.Headers.CacheControl = "no-store";
        response.ContentLength = completed.Body.Length;
        await response.Body.WriteAsync(completed.Body, http.RequestAborted);
    }

    /// <summary>
    /// The body as stored for replays: a secret shown once (a new API key, a webhook's signing
    /// secret; see <see cref="SecretInResponseAttribute"/>) is blanked, so it never rests in the store.
    /// </summary>
    private static byte[] Storable(HttpContext http, byte[] body)
    {
        if (http.GetEndpoint()?.Metadata.GetMetadata<SecretInResponseAttribute>() is not { } secret
            || System.Text.Json.Nodes.JsonNode.Parse(body) is not System.Text.Json.Nodes.JsonObject json
            || !json.ContainsKey(secret.Property))
        {
            return body;
        }
        json[secret.Property] = null;
        return System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(json);
    }

    /// <summary>One value of 1 to 255 visible ASCII characters.</summary>
    private static string ValidKey(Microsoft.Extensions.Primitives.StringValues values)
    {
        var key = values.Count == 1 ? values[0] ?? "" : "";
        if (key.Length is 0 or > MaxKeyLength || key.Any(c => c is < '!' or > '~'))
        {
            throw new ValidationException([new ValidationFailure(Header,
                $"{Header} must be one value of 1 to {MaxKeyLength} visible ASCII characters (a UUID is a good choice).")]);
        }
        return key;
    }

    /// <summary>SHA-256 of the method, path, query and body bytes: what makes a retry the same request.</summary>
    public static byte[] Fingerprint(string method, string pathAndQuery, ReadOnlySpan<byte> body)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{method} {pathAndQuery}\n"));
        hash.AppendData(body);
        return hash.GetHashAndReset();
    }

    private static async Task<byte[]> FingerprintAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        // Buffered, so the endpoint reads the body again after us.
        request.EnableBuffering();
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, cancellationToken);
        request.Body.Position = 0;
        var bytes = body.GetBuffer().AsSpan(0, (int)body.Length);
        return Fingerprint(request.Method, $"{request.Path}{request.QueryString}",
            MultipartBoundary(request) is { } boundary ? WithoutBoundary(bytes, boundary) : bytes);
    }

    /// <summary>A multipart body's boundary, which clients choose afresh for each attempt (curl does).</summary>
    private static byte[]? MultipartBoundary(HttpRequest request) =>
        Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
        && type.MediaType.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase)
        && Microsoft.Net.Http.Headers.HeaderUtilities.RemoveQuotes(type.Boundary) is { Length: > 0 } boundary
            ? Encoding.ASCII.GetBytes(boundary.ToString())
            : null;

    /// <summary>The body with each occurrence of its boundary left out: a retry's parts, not its random separator, make it the same request.</summary>
    private static byte[] WithoutBoundary(ReadOnlySpan<byte> body, byte[] boundary)
    {
        using var kept = new MemoryStream(body.Length);
        int at;
        while ((at = body.IndexOf(boundary)) >= 0)
        {
            kept.Write(body[..at]);
            body = body[(at + boundary.Length)..];
        }
        kept.Write(body);
        return kept.ToArray();
    }

    private static string? NullIfEmpty(Microsoft.Extensions.Primitives.StringValues value) => value.Count == 0 ? null : value.ToString();

    /// <summary>
    /// Whose keys these are: the authenticated credential (an API key's id, a token's subject and
    /// how it was authenticated). Two callers' equal keys are unrelated. Anonymous requests (only
    /// public endpoints, none of which is a POST) have none.
    /// </summary>
    private static string? Scope(HttpContext http) =>
        Features.Access.Caller.From(http.User) is { } caller ? http.User.Identity!.AuthenticationType + ":" + caller.Id : null;
}

/// <summary>A key that cannot be honoured now: reused with another request (422) or still in progress (409).</summary>
public sealed class IdempotencyKeyException(int status, string title, string message) : Exception(message)
{
    public int Status { get; } = status;

    public string Title { get; } = title;

}

/// <summary>
/// The endpoint's success response carries a secret shown once, in this top-level JSON property:
/// an idempotent replay answers the same response with the property null (the secret is never stored).
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class)]
public sealed class SecretInResponseAttribute(string property) : Attribute
{
    public string Property { get; } = property;
}
