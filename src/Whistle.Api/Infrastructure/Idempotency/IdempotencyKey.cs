namespace Whistle.Api.Infrastructure.Idempotency;

/// <summary>
/// A row of <c>idempotency_keys</c>: a caller's key, the request it was first used with and, once
/// that request succeeded, the response to replay. Written and read with SQL by
/// <see cref="IdempotencyStore"/>; the entity exists so the migration creates the table.
/// </summary>
public sealed class IdempotencyKey
{
    /// <summary>Whose key it is: the credential that used it. Two callers' equal keys are unrelated.</summary>
    public string Scope { get; set; } = "";

    public string Key { get; set; } = "";

    /// <summary>SHA-256 of the method, path and body bytes of the request that reserved the key.</summary>
    public byte[] Fingerprint { get; set; } = [];

    /// <summary><c>in-progress</c> while the first request runs, <c>completed</c> once its response is stored.</summary>
    public string State { get; set; } = "";

    /// <summary>Identifies the reservation, so a request whose lease lapsed cannot complete another's.</summary>
    public Guid Token { get; set; }

    public int? Status { get; set; }

    public string? ContentType { get; set; }

    public string? Location { get; set; }

    public string? ETag { get; set; }

    public byte[]? Body { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>From then on the key is forgotten: <see cref="IdempotencyStore.Retention"/> after it was reserved.</summary>
    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>An in-progress reservation older than this was left by a crashed request and may be taken over.</summary>
    public DateTimeOffset LockedUntil { get; set; }
}
