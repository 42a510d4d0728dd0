using System.Runtime.CompilerServices;


namespace Whistle.Api.Features.Stats;

/// <summary>Which orders count: a period of first whistles and reference codes (-1: any), as resolved from a request.</summary>
public sealed record StatsScope(long From, long To, short Street, short Community, short Department, short Category);

/// <summary>How a scan splits the counted orders: not at all, by a reference column, or by period.</summary>
public abstract record Grouping
{
    public sealed record None : Grouping;

    public sealed record ByColumn(GroupColumn Column) : Grouping;

    /// <summary>Periods as consecutive bounds in microseconds: period i is [Bounds[i], Bounds[i + 1]).</summary>
    public sealed record ByPeriod(long[] Bounds) : Grouping;
}

public enum GroupColumn
{
    Department,
    Street,
    Community,
    Category,
}

/// <summary>One pass over the facts that tallies every figure for every group at once.</summary>
internal static class StatsScan
{
    public static Tally?[] Run(FactColumns c, StatsScope scope, Grouping grouping, int groups)
    {
        var tallies = new Tally?[groups];
        var capacity = groups == 1 ? c.Count : 0;
        for (var k = 0; k < c.SegmentCount; k++)
        {
            Run(c.SegmentAt(k), c.RowsIn(k), scope, grouping, tallies, capacity);
        }
        return tallies;
    }

    // Fully optimised from the first call: a cold answer runs this loop over a few dozen segments,
    // too few calls for tiered compilation to have promoted it.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run(FactColumns.Segment c, int n, StatsScope scope, Grouping grouping, Tally?[] tallies, int capacity)
    {
        var groups = tallies.Length;
        var column = ColumnOf(c, grouping);
        var bounds = (grouping as Grouping.ByPeriod)?.Bounds;
        // The columns as local spans of the same length: the loop reads them without reloading
        // fields, and the JIT drops most bounds checks.
        var row = new ColumnRow(c, n);
        var returns = c.Returns.AsSpan(0, n);
        var reopens = c.Reopens.AsSpan(0, n);
        var escalations = c.Escalations.AsSpan(0, n);
        var acknowledgeWait = c.AcknowledgeWait.AsSpan(0, n);
        var resolveWait = c.ResolveWait.AsSpan(0, n);
        var overdueAt = c.OverdueAt.AsSpan(0, n);
        var groupOf = column is null ? default : column.AsSpan(0, n);

        for (var i = 0; i < n; i++)
        {
            row.I = i;
            if (!Counts(ref row, scope, out var at))
            {
                continue;
            }
            var group = column is not null ? groupOf[i] : bounds is not null ? Period(bounds, at) : 0;
            if (group < 0 || group >= groups)
            {
                continue; // handled locally, grouped by department: it has none
            }
            (tallies[group] ??= new Tally(capacity))
                .Count(row.Flags, returns[i], reopens[i], escalations[i], acknowledgeWait[i], resolveWait[i], overdueAt[i], +1);
        }
    }

    /// <summary>The group one order counts in for a question, or -1: the scan's test, for one order.</summary>
    public static int GroupOf(in Fact f, StatsScope scope, Grouping grouping)
    {
        var row = new FactRow(f);
        if (!Counts(ref row, scope, out var at))
        {
            return -1;
        }
        return grouping switch
        {
            Grouping.ByColumn { Column: GroupColumn.Department } => f.Department,
            Grouping.ByColumn { Column: GroupColumn.Street } => f.Street,
            Grouping.ByColumn { Column: GroupColumn.Community } => f.Community,
            Grouping.ByColumn { Column: GroupColumn.Category } => f.Category,
            Grouping.ByPeriod period => Period(period.Bounds, at) is var p && p < period.Bounds.Length - 1 ? p : -1,
            _ => 0,
        };
    }

    /// <summary>
    /// Whether an order counts towards a question, and the time it counts at: whistled orders by
    /// their first whistle, orders handled locally by their filing (and never for a department),
    /// within the period and the scope's codes. The one statement of the filter, for the scan and
    /// for the standing questions' updates; the row is read lazily, only as far as the test goes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Counts<TRow>(ref TRow row, StatsScope scope, out long at) where TRow : IRow, allows ref struct
    {
        var flags = row.Flags;
        if ((flags & Flag.Whistled) != 0)
        {
            at = row.WhistledAt;
        }
        else if ((flags & Flag.HandledLocally) != 0 && scope.Department < 0)
        {
            at = row.FiledAt;
        }
        else
        {
            at = 0;
            return false;
        }
        return at >= scope.From && at < scope.To
            && (scope.Street < 0 || row.Street == scope.Street)
            && (scope.Community < 0 || row.Community == scope.Community)
            && (scope.Department < 0 || row.Department == scope.Department)
            && (scope.Category < 0 || row.Category == scope.Category);
    }

    /// <summary>What the filter reads of an order.</summary>
    private interface IRow
    {
        Flag Flags { get; }
        long WhistledAt { get; }
        long FiledAt { get; }
        short Street { get; }
        short Community { get; }
        short Department { get; }
        short Category { get; }
    }

    private readonly struct FactRow(in Fact f) : IRow
    {
        private readonly Fact _f = f;
        public Flag Flags => _f.Flags;
        public long WhistledAt => _f.WhistledAt;
        public long FiledAt => _f.FiledAt;
        public short Street => _f.Street;
        public short Community => _f.Community;
        public short Department => _f.Department;
        public short Category => _f.Category;
    }

    /// <summary>Row <see cref="I"/> of a segment's columns, read through spans.</summary>
    private ref struct ColumnRow(FactColumns.Segment c, int n) : IRow
    {
        private readonly ReadOnlySpan<Flag> _flags = c.Flags.AsSpan(0, n);
        private readonly ReadOnlySpan<long> _whistledAt = c.WhistledAt.AsSpan(0, n);
        private readonly ReadOnlySpan<long> _filedAt = c.FiledAt.AsSpan(0, n);
        private readonly ReadOnlySpan<short> _street = c.Street.AsSpan(0, n);
        private readonly ReadOnlySpan<short> _community = c.Community.AsSpan(0, n);
        private readonly ReadOnlySpan<short> _department = c.Department.AsSpan(0, n);
        private readonly ReadOnlySpan<short> _category = c.Category.AsSpan(0, n);
        public int I;
        public readonly Flag Flags => _flags[I];
        public readonly long WhistledAt => _whistledAt[I];
        public readonly long FiledAt => _filedAt[I];
        public readonly short Street => _street[I];
        public readonly short Community => _community[I];
        public readonly short Department => _department[I];
        public readonly short Category => _category[I];
    }

    private static short[]? ColumnOf(FactColumns.Segment c, Grouping grouping) => grouping switch
    {
        Grouping.ByColumn { Column: GroupColumn.Department } => c.Department,
        Grouping.ByColumn { Column: GroupColumn.Street } => c.Street,
        Grouping.ByColumn { Column: GroupColumn.Community } => c.Community,
        Grouping.ByColumn { Column: GroupColumn.Category } => c.Category,
        _ => null,
    };

    private static int Period(long[] bounds, long at)
    {
        var i = Array.BinarySearch(bounds, at);
        return i >= 0 ? i : ~i - 1;
    }
}
