using Npgsql;

namespace Whistle.Api.Features.Stats;

/// <summary>
/// What the statistics need of every order, one narrow row each, held in memory in columns and
/// kept exactly in step with the database: before answering, the store reads the orders written
/// since its last read (<see cref="ChangedOrders"/>), so every answer counts every change committed
/// before the request came in. Any number of service instances can do this over one database.
/// </summary>
/// <remarks>
/// Why in memory: the assessment figures include medians and 90th percentiles over any filter and
/// period, which no running total can give exactly; a scan over a million of these rows in
/// memory takes milliseconds, over the table in PostgreSQL hundreds (the benchmark shows both).
/// The parts: <see cref="FactColumns"/> (the column store), <see cref="OrderRow"/> (a row's facts),
/// <see cref="ReferenceCodes"/> (codes as small numbers), <see cref="StandingQuestions"/> (answers
/// kept up to date); this class holds them under one lock and applies each catch-up to all of them.
/// </remarks>
public sealed class OrderFacts(IServiceScopeFactory scopes, ReadReplica replica, ILogger<OrderFacts> logger)
{
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private readonly FactColumns _columns = new();
    private readonly RowIndex _rowOf = new();
    // Co-handler parts' rows, by order number and department; a part, once summoned, is never removed. Few orders have any.
    private readonly Dictionary<(long Number, short Department), int> _partRowOf = [];
    private readonly ReferenceCodes _codes = new();
    private readonly StandingQuestions _standing = new();
    private string? _snapshot;
    private long _lastRefreshStarted;
    private long _referenceReloadedAt;
    private long _version;
    private ReadFrom _readFrom;
    // Microseconds; up to when the last catch-up's data held every commit (a lagging standby's last replayed one), or long.MaxValue: all, the primary's.
    private long _dataAsOf = long.MaxValue;
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// The first read of every order, in batches of this many: the rows in flight stay this few,
    /// whatever the table holds (a read of all of them at once held a million rows' objects).
    /// </summary>
    internal const int LoadBatch = 8192;

    /// <summary>Bumped whenever a refresh changes any figure's input; cached answers of older versions are stale.</summary>
    public long Version => Interlocked.Read(ref _version);

    public int Count => _columns.Count;

    /// <summary>Where the last catch-up read: a standby within its lag bound (<see cref="ReadReplica"/>), or the primary.</summary>
    public ReadFrom ReadFrom => _readFrom;

    /// <summary>The instant an answer computed at <paramref name="now"/> holds for: now, or a lagging standby's last replayed commit.</summary>
    public long AsOf(long now) => Math.Min(now, Interlocked.Read(ref _dataAsOf));

    /// <summary>Completes when every order has been read once: until then the figures would undercount, and the instance is not ready.</summary>
    public Task Loaded => _loaded.Task;

    /// <summary>Reads every change committed before this call; concurrent callers share one read.</summary>
    public async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        var arrived = System.Diagnostics.Stopwatch.GetTimestamp();
        await _refreshing.WaitAsync(cancellationToken);
        try
        {
            // A read that started after this call arrived has seen everything this call must see.
            if (Interlocked.Read(ref _lastRefreshStarted) > arrived)
            {
                return;
            }
            // Published only once the read succeeded: a failed or cancelled one must not spare the callers waiting behind it.
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            await RefreshAsync(cancellationToken);
            Interlocked.Exchange(ref _lastRefreshStarted, started);
        }
        finally
        {
            _refreshing.Release();
        }
    }

    /// <summary>
    /// Reads the reference codes again, for a filter naming one not seen yet; at most every few
    /// seconds, so a stream of bad codes does not become a stream of reads.
    /// </summary>
    /// <returns>Whether it read them.</returns>
    /// <param name="force">Read them whatever the last read: the reference data changed (a rename shows at once).</param>
    public async Task<bool> ReloadReferenceAsync(CancellationToken cancellationToken, bool force = false)
    {
        var last = Interlocked.Read(ref _referenceReloadedAt);
        if (!force && last != 0 && System.Diagnostics.Stopwatch.GetElapsedTime(last) < TimeSpan.FromSeconds(5))
        {
            return false;
        }
        await _refreshing.WaitAsync(cancellationToken);
        try
        {
            Interlocked.Exchange(ref _referenceReloadedAt, System.Diagnostics.Stopwatch.GetTimestamp());
            await WithConnectionAsync(async connection => Apply(await ReferenceCodes.ReadAsync(connection, cancellationToken), []), cancellationToken);
            return true;
        }
        finally
        {
            _refreshing.Release();
        }
    }

    /// <summary>
    /// Answers a question from its kept tallies, or by a scan; <paramref name="keep"/> makes it a
    /// standing question (built once under the write lock, so no change slips between its scan
    /// and its first update).
    /// </summary>
    internal T Answer<T>(object key, StatsScope scope, Grouping grouping, Func<ReferenceCodes, int> groupsOf, bool keep, Func<Tally?[], ReferenceCodes, T> render)
    {
        _lock.EnterReadLock();
        try
        {
            if (_standing.Find(key, scope, grouping) is { } kept)
            {
                return render(kept, _codes);
            }
            if (!keep)
            {
                return render(StatsScan.Run(_columns, scope, grouping, groupsOf(_codes)), _codes);
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }
        _lock.EnterWriteLock();
        try
        {
            var tallies = StatsScan.Run(_columns, scope, grouping, groupsOf(_codes));
            _standing.Keep(key, scope, grouping, tallies, _columns.Count);
            return render(tallies, _codes);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>A cached answer to a standing question was served: it is still being asked.</summary>
    internal void Touch(object key)
    {
        _lock.EnterReadLock();
        try
        {
            _standing.Touch(key);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Stops keeping the questions no one has asked for a while.</summary>
    public void DropStanding(TimeSpan notAskedFor)
    {
        _lock.EnterWriteLock();
        try
        {
            _standing.Drop(notAskedFor);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Runs a computation over a consistent view of the facts.</summary>
    public T Read<T>(Func<FactColumns, ReferenceCodes, T> compute)
    {
        _lock.EnterReadLock();
        try
        {
            return compute(_columns, _codes);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Runs work on a pooled connection of its own, opened for it and given back after.</summary>
    private async Task WithConnectionAsync(Func<NpgsqlConnection, Task> work, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDbContext>();
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await work((NpgsqlConnection)db.Database.GetDbConnection());
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        if (replica.Choose() is { } standby)
        {
            try
            {
                await using var connection = await standby.OpenConnectionAsync(cancellationToken);
                var asOf = await ReadReplica.DataAsOfAsync(connection, cancellationToken);
                await RefreshAsync(connection, asOf is { } at ? ReadFrom.Standby : ReadFrom.Primary, asOf is { } t ? Micros.Of(t) : long.MaxValue, cancellationToken);
                return;
            }
            catch (Exception e) when (DatabaseOutage.Is(e))
            {
                // A standby gone (or promoted, and restarting) costs its reads nothing: the primary answers them.
                logger.LogWarning("Statistics could not read the standby ({Reason}); reading the primary", e.Message);
                replica.Failed();
            }
        }
        await WithConnectionAsync(connection => RefreshAsync(connection, ReadFrom.Primary, long.MaxValue, cancellationToken), cancellationToken);
    }

    private async Task RefreshAsync(NpgsqlConnection connection, ReadFrom source, long dataAsOf, CancellationToken cancellationToken)
    {
        var first = _snapshot is null;
        var snapshot = await ChangedOrders.ReadAsync(connection, _snapshot, first ? LoadBatch : int.MaxValue, async rows =>
        {
            // Reference rows are only ever added; read them again when an order names one not seen yet,
            // on a connection of their own (this one is streaming the orders; the primary's, which has every
            // code a standby's row can name): a later read knows every code an earlier row names.
            ReferenceCodes.Rows? reference = null;
            if (!_codes.Loaded || rows.Exists(r => !_codes.Knows(r)))
            {
                await WithConnectionAsync(async other => reference = await ReferenceCodes.ReadAsync(other, cancellationToken), cancellationToken);
            }
            Apply(reference, rows);
        }, cancellationToken);
        // Always the snapshot just read, even a standby's that is older than the last one (read from the
        // primary): the next read starts there and reads some orders again, which never misses one.
        _snapshot = snapshot;
        Interlocked.Exchange(ref _dataAsOf, dataAsOf);
        if (_readFrom != source)
        {
            _readFrom = source;
            Interlocked.Increment(ref _version); // answers say where they were read from
        }
        if (first)
        {
            _loaded.TrySetResult();
        }
    }

    /// <summary>One batch of the loader's, applied as a read applies it (for <see cref="SyntheticFill"/>, which has no database).</summary>
    internal void ApplyBatch(ReferenceCodes.Rows? reference, List<OrderRow> rows) => Apply(reference, rows);

    /// <summary>
    /// A catch-up this large drops the standing questions instead of updating them one order at a
    /// time under the write lock (a bulk load or a sweep by the scheduler); they are built again
    /// when next asked twice.
    /// </summary>
    private const int MaxChangesKeptStanding = 256;

    private void Apply(ReferenceCodes.Rows? reference, List<OrderRow> changes)
    {
        if (changes.Count == 0 && reference is null)
        {
            return;
        }
        var changed = false;
        _lock.EnterWriteLock();
        try
        {
            if (reference is not null)
            {
                _codes.Put(reference);
                changed = true; // a renamed group shows in the next answers
            }
            if (changes.Count > MaxChangesKeptStanding)
            {
                _standing.Clear();
            }
            foreach (var raw in changes)
            {
                var fact = raw.ToFact(_codes);
                var row = _rowOf.RowOf(raw.Number);
                changed |= Put(ref row, fact);
                _rowOf.Set(raw.Number, row);
                foreach (var (_, part) in raw.PartFacts(_codes))
                {
                    var key = (raw.Number, part.Department);
                    var partRow = _partRowOf.GetValueOrDefault(key, -1);
                    changed |= Put(ref partRow, part);
                    _partRowOf[key] = partRow;
                }
            }
        }
        catch
        {
            // Half applied: no kept tally can be trusted any more, and nothing cached either.
            _standing.Clear();
            changed = true;
            throw;
        }
        finally
        {
            if (changed)
            {
                Interlocked.Increment(ref _version);
            }
            _lock.ExitWriteLock();
        }
        logger.LogDebug("Statistics caught up with {Count} changed orders", changes.Count);
    }

    /// <summary>Writes one row's fact (a new row when <paramref name="row"/> is -1), counting it out of and into the standing questions; false when unchanged.</summary>
    private bool Put(ref int row, in Fact fact)
    {
        if (row >= 0)
        {
            // Rows written by transactions still in flight at the last read come again; most are unchanged.
            var old = _columns.Get(row);
            if (old == fact)
            {
                return false;
            }
            _standing.Count(old, -1);
        }
        else
        {
            row = _columns.Add();
        }
        _columns.Set(row, fact);
        _standing.Count(fact, +1);
        return true;
    }
}
