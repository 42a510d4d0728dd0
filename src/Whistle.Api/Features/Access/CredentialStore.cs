using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Whistle.Api.Persistence;

namespace Whistle.Api.Features.Access;

/// <summary>A new credential's role, scope and name, as an admin or the command line asks for it.</summary>
public sealed record NewCredential(
    Role Role,
    string? Name = null,
    string? DepartmentCode = null,
    string? CommunityCode = null,
    string? StreetCode = null,
    IReadOnlyList<string>? GridCodes = null);

/// <summary>Creates and revokes API keys; the same code serves the admin API and the command line.</summary>
public static class CredentialStore
{
    /// <summary>Stores a new credential and returns it with its key, which exists nowhere else from then on.</summary>
    public static async Task<(Credential Credential, string Key)> CreateAsync(
        WhistleDbContext db, NewCredential request, string createdBy, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var key = ApiKeys.NewKey();
        var credential = new Credential
        {
            Id = Guid.CreateVersion7(now),
            Name = string.IsNullOrWhiteSpace(request.Name) ? DefaultName(request, key) : request.Name.Trim(),
            Role = request.Role,
            DepartmentCode = request.DepartmentCode,
            CommunityCode = request.CommunityCode,
            StreetCode = request.StreetCode,
            GridCodes = [.. request.GridCodes ?? []],
            KeyPrefix = key[..ApiKeys.PrefixLength],
            KeyHash = ApiKeys.Hash(key),
            CreatedAt = now,
            CreatedBy = createdBy,
        };
        db.Credentials.Add(credential);
        await db.SaveChangesAsync(cancellationToken);
        return (credential, key);
    }

    // "department SWJ wk_3fA9xQ2b": who it is for, and which key, without the secret.
    private static string DefaultName(NewCredential request, string key)
    {
        var scope = request.DepartmentCode ?? request.CommunityCode ?? request.StreetCode
            ?? (request.GridCodes is { Count: > 0 } grids ? string.Join(",", grids) : null);
        return string.Join(' ', new[] { Whistle.Domain.Orders.WireName.Of(request.Role), scope, key[..ApiKeys.PrefixLength] }.Where(p => p is not null));
    }
}

/// <summary>
/// Finds the caller an API key stands for. Lookups are kept for a short while so a busy
/// integration does not cost a query per request; a revocation on this instance takes effect at
/// once, on other instances within <see cref="Lifetime"/>.
/// </summary>
public sealed class CredentialCache(IServiceScopeFactory scopes, TimeProvider clock)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);
    private const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<string, (Caller Caller, DateTimeOffset Until)> _known = new(StringComparer.Ordinal);

    public async ValueTask<Caller?> FindAsync(string key, CancellationToken cancellationToken)
    {
        var hash = ApiKeys.Hash(key);
        var id = Convert.ToBase64String(hash);
        var now = clock.GetUtcNow();
        if (_known.TryGetValue(id, out var entry) && entry.Until > now)
        {
            return entry.Caller;
        }
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDbContext>();
        var credential = await db.Credentials.AsNoTracking()
            .SingleOrDefaultAsync(c => c.KeyHash == hash && c.RevokedAt == null, cancellationToken);
        if (credential is null)
        {
            _known.TryRemove(id, out _);
            return null;
        }
        if (_known.Count >= MaxEntries)
        {
            _known.Clear();
        }
        var caller = credential.ToCaller();
        _known[id] = (caller, now + Lifetime);
        return caller;
    }

    /// <summary>Forgets a revoked credential here at once.</summary>
    public void Forget(Guid credentialId)
    {
        var id = credentialId.ToString();
        foreach (var (hash, entry) in _known)
        {
            if (entry.Caller.Id == id)
            {
                _known.TryRemove(hash, out _);
            }
        }
    }
}
