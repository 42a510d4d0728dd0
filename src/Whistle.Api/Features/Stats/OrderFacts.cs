using System.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Whistle.Api.Persistence;
using Whistle.Domain.Orders;

namespace Whistle.Api.Features.Stats;

/// <summary>
/// What the statistics need of every order, one narrow row each, held in memory in columns and
/// kept exactly in step with the database: before answering, the store reads the orders written
/// since its last read (each row carries the id of the transaction that last wrote it, stamped by
/// a trigger) under one statement snapshot, so every answer counts every change committed before
/// the request came in. Any number of service instances can do this over one database.
/// </summary>
/// <remarks>
/// Why in memory: the assessment figures include medians and 90th percentiles over any filter and
/// period, which no running total can give exactly; a scan over a million of these rows in
/// memory takes milliseconds, over the table in PostgreSQL hundreds (the benchmark shows both).
/// </remarks>
public sealed class OrderFacts(IServiceScopeFactory scopes, ILogger<OrderFacts> logger)
{
    [Flags]
    public enum Flag : ushort
    {
        Whistled = 1,
        Cancelled = 2,
        Completed = 4,
        AcknowledgedOnTime = 8,
        ResolvedOnTime = 16,
        Evaluated = 32,
        Satisfied = 64,
        HandledLocally = 128,
        /// <summary>Cancelled as invalid or a duplicate: not a valid order (a withdrawn one stays valid).</summary>
        Invalid = 256,
        /// <summary>Whistled, acknowledged or returned: the open backlog.</summary>
        Open = 512,
    }

    /// <summary>One order as the figures see it; times in microseconds since the Unix epoch.</summary>
    public readonly record struct Fact(
        Flag Flags, long FiledAt, long WhistledAt, long AcknowledgeWait, long ResolveWait, long OverdueAt,
        short Street, short Community, short Department, short Category, short Returns, short Reopens, short Escalations);

    /// <summary>The facts in columns, so a scan reads only what it tests; grown by doubling.</summary>
    public sealed class Columns
    {
        public int Count;
        public Flag[] Flags = new Flag[1024];
        public long[] FiledAt = new long[1024];
        public long[] WhistledAt = new long[1024];
        /// <summary>First acknowledgement minus first whistle, µs; -1 when never acknowledged.</summary>
        public long[] AcknowledgeWait = new long[1024];
        /// <summary>Resolution minus first whistle for completed orders, µs; -1 otherwise.</summary>
        public long[] ResolveWait = new long[1024];
        /// <summary>The first deadline an open dispatched order misses; long.MaxValue when none runs.</summary>
        public long[] OverdueAt = new long[1024];
        public short[] Street = new short[1024];
        public short[] Community = new short[1024];
        public short[] Department = new short[1024];
        public short[] Category = new short[1024];
        public short[] Returns = new short[1024];
        public short[] Reopens = new short[1024];
        public short[] Escalations = new short[1024];

        internal void Set(int i, in Fact f)
        {
            Flags[i] = f.Flags;
            FiledAt[i] = f.FiledAt;
            WhistledAt[i] = f.WhistledAt;
            AcknowledgeWait[i] = f.AcknowledgeWait;
            ResolveWait[i] = f.ResolveWait;
            OverdueAt[i] = f.OverdueAt;
            Street[i] = f.Street;
            Community[i] = f.Community;
            Department[i] = f.Department;
            Category[i] = f.Category;
            Returns[i] = f.Returns;
            Reopens[i] = f.Reopens;
            Escalations[i] = f.Escalations;
        }

        internal Fact Get(int i) => new(Flags[i], FiledAt[i], WhistledAt[i], AcknowledgeWait[i], ResolveWait[i], OverdueAt[i],
            Street[i], Community[i], Department[i], Category[i], Returns[i], Reopens[i], Escalations[i]);

        internal void EnsureCapacity(int count)
        {
            if (count <= Flags.Length)
            {
                return;
            }
            var size = Math.Max(count, Flags.Length * 2);
            Array.Resize(ref Flags, size);
            Array.Resize(ref FiledAt, size);
            Array.Resize(ref WhistledAt, size);
            Array.Resize(ref AcknowledgeWait, size);
            Array.Resize(ref ResolveWait, size);
            Array.Resize(ref OverdueAt, size);
            Array.Resize(ref Street, size);
            Array.Resize(ref Community, size);
            Array.Resize(ref Department, size);
            Array.Resize(ref Category, size);
            Array.Resize(ref Returns, size);
            Array.Resize(ref Reopens, size);
            Array.Resize(ref Escalations, size);
        }
    }

    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private readonly Columns _columns = new();
    private readonly Dictionary<Guid, int> _rowOf = [];
    private readonly Codes _codes = new();
    private string? _snapshot;
    private long _lastRefreshStarted;
    private long _version;

    /// <summary>Bumped whenever a refresh changes any figure's input; cached answers of older versions are stale.</summary>
    public long Version => Interlocked.Read(ref _version);

    public int Count => _columns.Count;

    public Codes Reference => _codes;

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

    private long _referenceReloadedAt;

    /// <summary>
    /// Reads the reference codes again, for a filter naming one not seen yet; at most every few
    /// seconds, so a stream of bad codes does not become a stream of reads.
    /// </summary>
    /// <returns>Whether it read them.</returns>
    public async Task<bool> ReloadReferenceAsync(CancellationToken cancellationToken)
    {
        var last = Interlocked.Read(ref _referenceReloadedAt);
        if (last != 0 && System.Diagnostics.Stopwatch.GetElapsedTime(last) < TimeSpan.FromSeconds(5))
        {
            return false;
        }
        await _refreshing.WaitAsync(cancellationToken);
        try
        {
            Interlocked.Exchange(ref _referenceReloadedAt, System.Diagnostics.Stopwatch.GetTimestamp());
            await WithConnectionAsync(async connection => Apply(await Codes.ReadAsync(connection, cancellationToken), []), cancellationToken);
            return true;
        }
        finally
        {
            _refreshing.Release();
        }
    }

    /// <summary>
    /// A question screens keep asking, with its tallies kept up to date as orders change (in the
    /// same step that applies the change to the facts), so answering it again is a lookup, not a scan.
    /// </summary>
    private sealed class Standing(StatsScope scope, Grouping grouping, Tally?[] tallies)
    {
        public readonly StatsScope Scope = scope;
        public readonly Grouping Grouping = grouping;
        public Tally?[] Tallies = tallies;
        public long LastAsked = System.Diagnostics.Stopwatch.GetTimestamp();

        public bool Answers(StatsScope scope, Grouping grouping) =>
            Scope == scope && (Grouping, grouping) switch
            {
                (Grouping.ByPeriod a, Grouping.ByPeriod b) => a.Bounds.AsSpan().SequenceEqual(b.Bounds),
                _ => Grouping == grouping,
            };

        public void Count(in Fact fact, int sign)
        {
            var group = StatsScan.GroupOf(fact, Scope, Grouping);
            if (group < 0)
            {
                return;
            }
            if (group >= Tallies.Length)
            {
                Array.Resize(ref Tallies, group + 1); // a reference code added since
            }
            (Tallies[group] ??= new Tally(sorted: true)).Count(fact, sign);
        }
    }

    private const int MaxStanding = 32;
    private readonly Dictionary<object, Standing> _standing = [];

    /// <summary>
    /// Answers a question from its kept tallies, or by a scan; <paramref name="keep"/> makes it a
    /// standing question (built once under the write lock, so no change slips between its scan
    /// and its first update).
    /// </summary>
    internal T Answer<T>(object key, StatsScope scope, Grouping grouping, Func<Codes, int> groupsOf, bool keep, Func<Tally?[], Codes, T> render)
    {
        _lock.EnterReadLock();
        try
        {
            if (_standing.TryGetValue(key, out var standing) && standing.Answers(scope, grouping))
            {
                standing.LastAsked = System.Diagnostics.Stopwatch.GetTimestamp();
                return render(standing.Tallies, _codes);
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
            foreach (var tally in tallies)
            {
                tally?.Sort();
            }
            if (_standing.Count >= MaxStanding && !_standing.ContainsKey(key))
            {
                _standing.Remove(_standing.MinBy(p => p.Value.LastAsked).Key);
            }
            _standing[key] = new Standing(scope, grouping, tallies);
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
            if (_standing.TryGetValue(key, out var standing))
            {
                standing.LastAsked = System.Diagnostics.Stopwatch.GetTimestamp();
            }
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
            foreach (var (key, standing) in _standing)
            {
                if (System.Diagnostics.Stopwatch.GetElapsedTime(standing.LastAsked) > notAskedFor)
                {
                    _standing.Remove(key);
                }
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Runs a computation over a consistent view of the facts.</summary>
    public T Read<T>(Func<Columns, Codes, T> compute)
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

    private const string Select = """
        SELECT s.snapshot, o.id, o.state, o.street_code, o.community_code, o.category_code,
               coalesce(o.department_code, o.returned_by_department_code),
               o.filed_at, o.first_whistled_at, o.first_acknowledged_at, o.first_acknowledge_by,
               o.acknowledged_at, o.acknowledge_by, o.resolved_at, o.resolve_by, o.rating,
               o.return_count, o.reopen_count, o.escalation_count, o.cancel_reason
        FROM (SELECT pg_current_snapshot()::text AS snapshot) s
        LEFT JOIN LATERAL (SELECT * FROM orders
        """;

    // One statement: its snapshot is both the rows' and the one reported, so the next read starts
    // exactly where this one stopped. The lateral join returns the snapshot even with no rows.
    // The bound is written into the text, not passed as a parameter: a prepared statement's
    // generic plan guesses a third of the table matches and scans all of it (seen: 100+ ms at a
    // million orders); with the value in view the planner takes the index every time.
    private static string ChangedSince(string snapshot)
    {
        // xmin:xmax:xip,...: everything the last snapshot saw is read; what it did not see was
        // written by a transaction from xmax on, or by one of those it saw in flight (xip).
        var parts = snapshot.Split(':');
        var xmax = ulong.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        var inFlight = parts[2].Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(x => ulong.Parse(x, System.Globalization.CultureInfo.InvariantCulture).ToString(System.Globalization.CultureInfo.InvariantCulture));
        var xip = string.Join(",", inFlight);
        return Select + $" WHERE change_xid >= '{xmax}'::xid8"
            + (xip.Length == 0 ? "" : $" OR change_xid = ANY('{{{xip}}}'::xid8[])") + ") o ON true";
    }
    private const string Everything = Select + ") o ON true";


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

    private Task RefreshAsync(CancellationToken cancellationToken) => WithConnectionAsync(async connection =>
        {
            string snapshot = "";
            var rows = new List<RawRow>();
            await using (var command = new NpgsqlCommand(_snapshot is null ? Everything : ChangedSince(_snapshot), connection))
            {
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    snapshot = reader.GetString(0);
                    if (!reader.IsDBNull(1))
                    {
                        rows.Add(RawRow.Read(reader));
                    }
                }
            }
            // Reference rows are only ever added; read them again when an order names one not seen yet.
            Codes.Rows? reference = null;
            if (!_codes.Loaded || rows.Exists(r => !_codes.Knows(r)))
            {
                reference = await Codes.ReadAsync(connection, cancellationToken);
            }
            Apply(reference, rows);
            _snapshot = snapshot;
        }, cancellationToken);

    /// <summary>
    /// A catch-up this large drops the standing questions instead of updating them one order at a
    /// time under the write lock (a bulk load or a sweep by the scheduler); they are built again
    /// when next asked twice.
    /// </summary>
    private const int MaxChangesKeptStanding = 256;

    private void Apply(Codes.Rows? reference, List<RawRow> changes)
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
                var id = raw.Id;
                var fact = raw.ToFact(_codes);
                if (_rowOf.TryGetValue(id, out var row))
                {
                    // Rows written by transactions still in flight at the last read come again; most are unchanged.
                    var old = _columns.Get(row);
                    if (old == fact)
                    {
                        continue;
                    }
                    foreach (var standing in _standing.Values)
                    {
                        standing.Count(old, -1);
                    }
                }
                else
                {
                    row = _columns.Count;
                    _columns.EnsureCapacity(row + 1);
                    _columns.Count++;
                    _rowOf[id] = row;
                }
                changed = true;
                _columns.Set(row, fact);
                foreach (var standing in _standing.Values)
                {
                    standing.Count(fact, +1);
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

    internal sealed record RawRow(
        Guid Id, string State, string Street, string Community, string Category, string? Department,
        DateTime FiledAt, DateTime? FirstWhistledAt, DateTime? FirstAcknowledgedAt, DateTime? FirstAcknowledgeBy,
        DateTime? AcknowledgedAt, DateTime? AcknowledgeBy, DateTime? ResolvedAt, DateTime? ResolveBy, string? Rating,
        int Returns, int Reopens, int Escalations, string? CancelReason)
    {
        public static RawRow Read(NpgsqlDataReader r) => new(
            r.GetGuid(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), Nullable<string>(r, 6),
            r.GetDateTime(7), Time(r, 8), Time(r, 9), Time(r, 10), Time(r, 11), Time(r, 12), Time(r, 13), Time(r, 14),
            Nullable<string>(r, 15), r.GetInt32(16), r.GetInt32(17), r.GetInt32(18), Nullable<string>(r, 19));

        private static DateTime? Time(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetDateTime(i);

        private static DateTimeOffset? Utc(DateTime? at) => at is { } utc ? new DateTimeOffset(utc, TimeSpan.Zero) : null;

        private static T? Nullable<T>(NpgsqlDataReader r, int i) where T : class => r.IsDBNull(i) ? null : r.GetFieldValue<T>(i);

        public Fact ToFact(Codes codes)
        {
            var flags = (Flag)0;
            var completed = State is "resolved" or "closed";
            var whistled = FirstWhistledAt is not null;
            if (whistled)
            {
                flags |= Flag.Whistled;
            }
            if (State == "cancelled")
            {
                flags |= Flag.Cancelled;
                if (CancelReason is "invalid" or "duplicate")
                {
                    flags |= Flag.Invalid;
                }
            }
            if (State is "whistled" or "acknowledged" or "returned")
            {
                flags |= Flag.Open;
            }
            if (State == "handled-locally")
            {
                flags |= Flag.HandledLocally;
            }
            if (completed)
            {
                flags |= Flag.Completed;
            }
            if (FirstAcknowledgedAt is { } acknowledged && FirstAcknowledgeBy is { } due && acknowledged <= due)
            {
                flags |= Flag.AcknowledgedOnTime;
            }
            if (completed && ResolvedAt is { } resolved && ResolveBy is { } resolveBy && resolved <= resolveBy)
            {
                flags |= Flag.ResolvedOnTime;
            }
            if (Rating is not null)
            {
                flags |= Flag.Evaluated;
                if (Rating != "unsatisfied")
                {
                    flags |= Flag.Satisfied;
                }
            }
            var overdueAt = Overdue.RunningDeadline(WireName.Parse<OrderState>(State), Utc(AcknowledgeBy), Utc(ResolveBy)) is { } deadline
                ? Micros(deadline)
                : long.MaxValue;
            var first = FirstWhistledAt is { } w ? Micros(w) : long.MinValue;
            return new Fact(
                flags,
                Micros(FiledAt),
                first,
                whistled && FirstAcknowledgedAt is { } ack ? Micros(ack) - first : -1,
                whistled && completed && ResolvedAt is { } res ? Micros(res) - first : -1,
                overdueAt,
                codes.Streets.IndexOf(Street),
                codes.Communities.IndexOf(Community),
                Department is null ? (short)-1 : codes.Departments.IndexOf(Department),
                codes.Categories.IndexOf(Category),
                (short)Math.Min(Returns, short.MaxValue),
                (short)Math.Min(Reopens, short.MaxValue),
                (short)Math.Min(Escalations, short.MaxValue));
        }
    }

    public static long Micros(DateTime utc) => (utc.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMicrosecond;

    public static long Micros(DateTimeOffset at) => (at.UtcTicks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMicrosecond;

    /// <summary>
    /// A period bound in microseconds, rounded up: stored times are whole microseconds, so
    /// "at or after" and "before" a bound with a finer fraction mean the next whole microsecond.
    /// </summary>
    public static long BoundMicros(DateTimeOffset at)
    {
        var ticks = at.UtcTicks - DateTime.UnixEpoch.Ticks;
        return ticks / TimeSpan.TicksPerMicrosecond + (ticks % TimeSpan.TicksPerMicrosecond > 0 ? 1 : 0);
    }

    public static DateTimeOffset FromMicros(long micros) => new(DateTime.UnixEpoch.Ticks + micros * TimeSpan.TicksPerMicrosecond, TimeSpan.Zero);

    /// <summary>
    /// The reference codes the facts point at, as small numbers, with names for the breakdown's
    /// rows. Codes are never deleted or renumbered here, so an index stays valid for the process.
    /// </summary>
    public sealed class Codes
    {
        public sealed class Table
        {
            private readonly Dictionary<string, short> _index = new(StringComparer.Ordinal);
            private readonly List<(string Code, string Name)> _rows = [];

            public int Count => _rows.Count;

            public bool Contains(string code) => _index.ContainsKey(code);

            public short IndexOf(string code) => _index.TryGetValue(code, out var i) ? i : (short)-1;

            public string CodeOf(int index) => _rows[index].Code;

            public string NameOf(int index) => _rows[index].Name;

            internal void Put(string code, string name)
            {
                if (_index.TryGetValue(code, out var i))
                {
                    _rows[i] = (code, name);
                    return;
                }
                _index[code] = (short)_rows.Count;
                _rows.Add((code, name));
            }
        }

        public Table Streets { get; } = new();
        public Table Communities { get; } = new();
        public Table Departments { get; } = new();
        public Table Categories { get; } = new();

        /// <summary>The street each community belongs to, by index.</summary>
        public short[] StreetOfCommunity { get; private set; } = [];

        public bool Loaded { get; private set; }

        internal bool Knows(RawRow row) =>
            Streets.Contains(row.Street) && Communities.Contains(row.Community) && Categories.Contains(row.Category)
            && (row.Department is null || Departments.Contains(row.Department));

        internal sealed record Rows(
            List<(string, string, string?)> Streets, List<(string, string, string?)> Communities,
            List<(string, string, string?)> Departments, List<(string, string, string?)> Categories);

        internal static async Task<Rows> ReadAsync(NpgsqlConnection connection, CancellationToken cancellationToken) => new(
            await ReadAsync(connection, "SELECT code, name, NULL FROM streets ORDER BY code", cancellationToken),
            await ReadAsync(connection, "SELECT code, name, street_code FROM communities ORDER BY code", cancellationToken),
            await ReadAsync(connection, "SELECT code, name, NULL FROM departments ORDER BY code", cancellationToken),
            await ReadAsync(connection, "SELECT code, name, NULL FROM categories ORDER BY code", cancellationToken));

        /// <summary>Under the facts' write lock: readers never see a table half changed.</summary>
        internal void Put(Rows rows)
        {
            foreach (var (code, name, _) in rows.Streets)
            {
                Streets.Put(code, name);
            }
            foreach (var (code, name, _) in rows.Communities)
            {
                Communities.Put(code, name);
            }
            foreach (var (code, name, _) in rows.Departments)
            {
                Departments.Put(code, name);
            }
            foreach (var (code, name, _) in rows.Categories)
            {
                Categories.Put(code, name);
            }
            var streetOf = new short[Communities.Count];
            foreach (var (code, _, street) in rows.Communities)
            {
                streetOf[Communities.IndexOf(code)] = Streets.IndexOf(street!);
            }
            StreetOfCommunity = streetOf;
            Loaded = true;
        }

        private static async Task<List<(string, string, string?)>> ReadAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var rows = new List<(string, string, string?)>();
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add((reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
            }
            return rows;
        }
    }
}
