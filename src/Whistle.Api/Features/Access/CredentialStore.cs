using System.Collections.Concurrent;

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
        var (role, prefix) = (Whistle.Domain.Orders.WireName.Of(request.Role), key[..ApiKeys.PrefixLength]);
        // A grid worker's hundred grids would make a name no order can keep: as much of the scope as fits.
        var room = Actor.MaxNameLength - role.Length - prefix.Length - 2;
        if (scope is not null && scope.Length > room)
        {
            scope = scope[..(room - 1)] + "…";
        }
        return string.Join(' ', new[] { role, scope, prefix }.Where(p => p is not null));
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

    /// <summary>
    /// While the store cannot be reached, a key it confirmed within this long still works, so what
    /// needs no database (the workflow, the documentation) keeps answering its known callers; an
    /// unknown key cannot be checked then, and is a 503, not a 401.
    /// </summary>
    public static readonly TimeSpan OutageGrace = TimeSpan.FromHours(1);
    private const int MaxEntries = 10_000;

    // A key found unknown is remembered too (Caller null): keys are random, so an unknown one never becomes known.
    private readonly ConcurrentDictionary<string, (Caller? Caller, DateTimeOffset Until)> _known = new(StringComparer.Ordinal);

    /// <summary>What this instance knows of the key without asking the store: true with its caller, or with null for a key known not to work.</summary>
    public bool TryRecall(string key, out Caller? caller)
    {
        if (_known.TryGetValue(Id(key), out var entry) && entry.Until > clock.GetUtcNow())
        {
            caller = entry.Caller;
            return true;
        }
        caller = null;
        return false;
    }

    /// <summary>Asks the store for the key's working credential, and remembers the answer for <see cref="Lifetime"/>.</summary>
    public async ValueTask<Caller?> LookUpAsync(string key, CancellationToken cancellationToken)
    {
        var hash = ApiKeys.Hash(key);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDbContext>();
        Credential? credential;
        try
        {
            credential = await db.Credentials.AsNoTracking()
                .SingleOrDefaultAsync(c => c.KeyHash == hash && c.RevokedAt == null, cancellationToken);
        }
        catch (Exception e) when (Infrastructure.DatabaseOutage.Is(e)
            && _known.TryGetValue(Convert.ToBase64String(hash), out var last) && last.Caller is not null
            && last.Until + OutageGrace > clock.GetUtcNow())
        {
            return last.Caller;
        }
        if (_known.Count >= MaxEntries)
        {
            _known.Clear();
        }
        var caller = credential?.ToCaller();
        _known[Convert.ToBase64String(hash)] = (caller, clock.GetUtcNow() + Lifetime);
        return caller;
    }

    private static string Id(string key) => Convert.ToBase64String(ApiKeys.Hash(key));

    /// <summary>Forgets a revoked credential here at once.</summary>
    public void Forget(Guid credentialId)
    {
        var id = credentialId.ToString();
        foreach (var (hash, entry) in _known)
        {
            if (entry.Caller?.Id == id)
            {
                _known.TryRemove(hash, out _);
            }
        }
    }
}
