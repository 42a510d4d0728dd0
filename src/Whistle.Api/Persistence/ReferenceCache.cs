using System.Collections.Frozen;
using Whistle.Domain.Reference;

namespace Whistle.Api.Persistence;

/// <summary>
/// The reference data that every filing, whistle and evaluation consults (the duty catalogue,
/// grids and their communities, departments), held in memory: it is small and changes rarely, and
/// reading it per request cost a round trip each time. Every change notifies every instance
/// (<see cref="Features.Reference.ReferenceListener"/>), which reloads it at once; a snapshot older
/// than its lifetime is refreshed in the background as a fallback, while requests go on with the
/// old one; a code it does not know triggers an early reload, at most every few seconds.
/// </summary>
public sealed class ReferenceCache(TimeProvider clock, IServiceScopeFactory scopes, WorkingCalendar calendar, ILogger<ReferenceCache> logger)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan MissReloadInterval = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _loading = new(1, 1);
    private Snapshot? _snapshot;
    // Bumped by every change heard of: a snapshot read before it is stale, however young.
    private long _generation;
    private int _refreshing;

    public sealed record Placement(Grid Grid, Community Community);

    private sealed record Snapshot(
        FrozenDictionary<string, Category> Categories,
        FrozenDictionary<string, Placement> Grids,
        FrozenDictionary<string, Department> Departments,
        FrozenDictionary<string, DutyEntry[]> Catalogue,
        FrozenDictionary<string, Community> Communities,
        FrozenDictionary<string, Street> Streets,
        DateTimeOffset LoadedAt,
        long Generation);

    public Task<Category?> CategoryAsync(WhistleDbContext db, string code, CancellationToken cancellationToken) =>
        FindAsync(db, s => s.Categories.GetValueOrDefault(code), cancellationToken);

    /// <summary>The category of an order already filed: it must still be there (codes are never deleted).</summary>
    public async Task<Category> CategoryOfAsync(WhistleDbContext db, Domain.Orders.Order order, CancellationToken cancellationToken) =>
        await CategoryAsync(db, order.CategoryCode, cancellationToken)
            ?? throw new InvalidOperationException($"The order's category '{order.CategoryCode}' is gone.");

    public Task<Placement?> GridAsync(WhistleDbContext db, string code, CancellationToken cancellationToken) =>
        FindAsync(db, s => s.Grids.GetValueOrDefault(code), cancellationToken);

    /// <summary>The community, retired or not; null if no community has the code.</summary>
    public Task<Community?> CommunityAsync(WhistleDbContext db, string code, CancellationToken cancellationToken) =>
        FindAsync(db, s => s.Communities.GetValueOrDefault(code), cancellationToken);

    /// <summary>The street, retired or not; null if no street has the code.</summary>
    public Task<Street?> StreetAsync(WhistleDbContext db, string code, CancellationToken cancellationToken) =>
        FindAsync(db, s => s.Streets.GetValueOrDefault(code), cancellationToken);

    public async Task<bool> DepartmentExistsAsync(WhistleDbContext db, string code, CancellationToken cancellationToken) =>
        await DepartmentAsync(db, code, cancellationToken) is not null;

    /// <summary>The department, retired or not; null if no department has the code.</summary>
    public Task<Department?> DepartmentAsync(WhistleDbContext db, string code, CancellationToken cancellationToken) =>
        FindAsync(db, s => s.Departments.GetValueOrDefault(code), cancellationToken);

    /// <summary>Whether a street has the code, retired or not (a token's scope names one).</summary>
    public async Task<bool> StreetExistsAsync(WhistleDbContext db, string code, CancellationToken cancellationToken) =>
        await FindAsync(db, s => s.Streets.ContainsKey(code) ? code : null, cancellationToken) is not null;

    /// <summary>Whether a community has the code, retired or not.</summary>
    public async Task<bool> CommunityExistsAsync(WhistleDbContext db, string code, CancellationToken cancellationToken) =>
        await FindAsync(db, s => s.Communities.ContainsKey(code) ? code : null, cancellationToken) is not null;

    /// <summary>Where the duty catalogue sends a whistle of this order when it names no department.</summary>
    public async Task<DutyRoute> RouteAsync(WhistleDbContext db, Category category, Domain.Orders.Order order, CancellationToken cancellationToken)
    {
        var snapshot = Current() ?? await LoadAsync(db, Lifetime, cancellationToken);
        return DutyCatalogue.RouteOf(category, order.StreetCode, order.CommunityCode, snapshot.Catalogue.GetValueOrDefault(category.Code) ?? []);
    }

    /// <summary>
    /// Forgets the snapshot, so the next request reads the reference data again: this instance
    /// changed it and must not answer its own next request from before the change (the
    /// notification comes back a moment later).
    /// </summary>
    public void Invalidate() => Interlocked.Increment(ref _generation);

    /// <summary>Reads the reference data again now: another instance (or this one) changed it.</summary>
    public Task ReloadAsync(WhistleDbContext db, CancellationToken cancellationToken)
    {
        Invalidate();
        return LoadAsync(db, Lifetime, cancellationToken);
    }

    /// <summary>The snapshot, unless a change was heard of since it was read.</summary>
    private Snapshot? Current() => _snapshot is { } s && s.Generation == Interlocked.Read(ref _generation) ? s : null;

    private async Task<T?> FindAsync<T>(WhistleDbContext db, Func<Snapshot, T?> find, CancellationToken cancellationToken) where T : class
    {
        var snapshot = Current() ?? await LoadAsync(db, Lifetime, cancellationToken);
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
        var snapshot = Current();
        if (snapshot is not null && clock.GetUtcNow() - snapshot.LoadedAt < maxAge)
        {
            return snapshot;
        }
        await _loading.WaitAsync(cancellationToken);
        try
        {
            snapshot = Current();
            if (snapshot is not null && clock.GetUtcNow() - snapshot.LoadedAt < maxAge)
            {
                return snapshot;
            }
            // Taken before reading: a change heard of while reading leaves this snapshot stale at once.
            var generation = Interlocked.Read(ref _generation);
            // The district's calendar is reference data too: deadlines stamped after this use it.
            var days = await db.CalendarDays.AsNoTracking().ToListAsync(cancellationToken);
            calendar.Use(
                days.Where(d => d.Kind == CalendarDayKind.Holiday).Select(d => d.Date),
                days.Where(d => d.Kind == CalendarDayKind.Workday).Select(d => d.Date));
            // Grids with their communities in one statement, so the pair is always consistent.
            var grids = await db.Grids.AsNoTracking()
                .Join(db.Communities.AsNoTracking(), g => g.CommunityCode, c => c.Code, (g, c) => new Placement(g, c))
                .ToListAsync(cancellationToken);
            _snapshot = snapshot = new Snapshot(
                (await db.Categories.AsNoTracking().ToListAsync(cancellationToken)).ToFrozenDictionary(c => c.Code, StringComparer.Ordinal),
                grids.ToFrozenDictionary(p => p.Grid.Code, StringComparer.Ordinal),
                (await db.Departments.AsNoTracking().ToListAsync(cancellationToken)).ToFrozenDictionary(d => d.Code, StringComparer.Ordinal),
                (await db.DutyCatalogue.AsNoTracking().ToListAsync(cancellationToken))
                    .GroupBy(e => e.CategoryCode).ToFrozenDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal),
                (await db.Communities.AsNoTracking().ToListAsync(cancellationToken)).ToFrozenDictionary(c => c.Code, StringComparer.Ordinal),
                (await db.Streets.AsNoTracking().ToListAsync(cancellationToken)).ToFrozenDictionary(s => s.Code, StringComparer.Ordinal),
                clock.GetUtcNow(),
                generation);
            return snapshot;
        }
        finally
        {
            _loading.Release();
        }
    }
}
