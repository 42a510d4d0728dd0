using System.Collections.Frozen;
using Whistle.Domain.Reference;

namespace Whistle.Api.Persistence;

/// <summary>
/// The reference data that every filing, whistle and evaluation consults (the duty catalogue,
/// grids and their communities, departments), held in memory: it is small and changes rarely, and
/// reading it per request cost a round trip each time. A snapshot lives a minute, then is refreshed
/// in the background while requests go on with the old one (a reload in their path stalled every
/// request for its duration once a minute); a code it does not know triggers an early reload, at
/// most every few seconds, so new rows show up at once.
/// </summary>
public sealed class ReferenceCache(TimeProvider clock, IServiceScopeFactory scopes, ILogger<ReferenceCache> logger)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan MissReloadInterval = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _loading = new(1, 1);
    private Snapshot? _snapshot;
    private int _refreshing;

    public sealed record Placement(Grid Grid, Community Community);

    private sealed record Snapshot(
        FrozenDictionary<string, Category> Categories,
        FrozenDictionary<string, Placement> Grids,
        FrozenSet<string> Departments,
        DateTimeOffset LoadedAt);

    public Task<Category?> CategoryAsync(WhistleDbContext db, string code, CancellationToken cancellationToken) =>
        FindAsync(db, s => s.Categories.GetValueOrDefault(code), cancellationToken);

    /// <summary>The category of an order already filed: it must still be there (codes are never deleted).</summary>
    public async Task<Category> CategoryOfAsync(WhistleDbContext db, Domain.Orders.Order order, CancellationToken cancellationToken) =>
        await CategoryAsync(db, order.CategoryCode, cancellationToken)
            ?? throw new InvalidOperationException($"The order's category '{order.CategoryCode}' is gone.");

    public Task<Placement?> GridAsync(WhistleDbContext db, string code, CancellationToken cancellationToken) =>
        FindAsync(db, s => s.Grids.GetValueOrDefault(code), cancellationToken);

    public async Task<bool> DepartmentExistsAsync(WhistleDbContext db, string code, CancellationToken cancellationToken) =>
        await FindAsync(db, s => s.Departments.Contains(code) ? code : null, cancellationToken) is not null;

    private async Task<T?> FindAsync<T>(WhistleDbContext db, Func<Snapshot, T?> find, CancellationToken cancellationToken) where T : class
    {
        var snapshot = _snapshot ?? await LoadAsync(db, Lifetime, cancellationToken);
        if (clock.GetUtcNow() - snapshot.LoadedAt >= Lifetime)
        {
            RefreshInBackground();
        }
        if (find(snapshot) is { } found)
        {
            return found;
        }
        return find(await LoadAsync(db, MissReloadInterval, cancellationToken));
    }

    private void RefreshInBackground()
    {
        if (Interlocked.Exchange(ref _refreshing, 1) == 1)
        {
            return;
        }
        _ = Task.Run(async () =>
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await LoadAsync(scope.ServiceProvider.GetRequiredService<WhistleDbContext>(), Lifetime, CancellationToken.None);
            }
            catch (Exception e)
            {
                // The old snapshot serves on; the next request past its lifetime tries again.
                logger.LogWarning(e, "Refreshing the reference data failed");
            }
            finally
            {
                Volatile.Write(ref _refreshing, 0);
            }
        });
    }

    private async Task<Snapshot> LoadAsync(WhistleDbContext db, TimeSpan maxAge, CancellationToken cancellationToken)
    {
        var snapshot = _snapshot;
        if (snapshot is not null && clock.GetUtcNow() - snapshot.LoadedAt < maxAge)
        {
            return snapshot;
        }
        await _loading.WaitAsync(cancellationToken);
        try
        {
            snapshot = _snapshot;
            if (snapshot is not null && clock.GetUtcNow() - snapshot.LoadedAt < maxAge)
            {
                return snapshot;
            }
            // Grids with their communities in one statement, so the pair is always consistent.
            var grids = await db.Grids.AsNoTracking()
                .Join(db.Communities.AsNoTracking(), g => g.CommunityCode, c => c.Code, (g, c) => new Placement(g, c))
                .ToListAsync(cancellationToken);
            _snapshot = snapshot = new Snapshot(
                (await db.Categories.AsNoTracking().ToListAsync(cancellationToken)).ToFrozenDictionary(c => c.Code, StringComparer.Ordinal),
                grids.ToFrozenDictionary(p => p.Grid.Code, StringComparer.Ordinal),
                (await db.Departments.AsNoTracking().Select(d => d.Code).ToListAsync(cancellationToken)).ToFrozenSet(StringComparer.Ordinal),
                clock.GetUtcNow());
            return snapshot;
        }
        finally
        {
            _loading.Release();
        }
    }
}
