using static Whistle.Api.Features.Stats.OrderFacts;

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
    // Fully optimised from the first call: a cold answer runs this loop once over a million rows,
    // too few calls for tiered compilation to have promoted it.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static Tally?[] Run(Columns c, StatsScope scope, Grouping grouping, int groups)
    {
        var tallies = new Tally?[groups];
        var column = ColumnOf(c, grouping);
        var bounds = (grouping as Grouping.ByPeriod)?.Bounds;
        var (from, to) = (scope.From, scope.To);
        var (street, community, department, category) = (scope.Street, scope.Community, scope.Department, scope.Category);
        var capacity = groups == 1 ? c.Count : 0;
        // The columns as local spans of the same length: the loop reads them without reloading
        // fields, and the JIT drops most bounds checks.
        var n = c.Count;
        var flagsOf = c.Flags.AsSpan(0, n);
        var whistledAt = c.WhistledAt.AsSpan(0, n);
        var filedAt = c.FiledAt.AsSpan(0, n);
        var streets = c.Street.AsSpan(0, n);
        var communities = c.Community.AsSpan(0, n);
        var departments = c.Department.AsSpan(0, n);
        var categories = c.Category.AsSpan(0, n);
        var returns = c.Returns.AsSpan(0, n);
        var reopens = c.Reopens.AsSpan(0, n);
        var escalations = c.Escalations.AsSpan(0, n);
        var acknowledgeWait = c.AcknowledgeWait.AsSpan(0, n);
        var resolveWait = c.ResolveWait.AsSpan(0, n);
        var overdueAt = c.OverdueAt.AsSpan(0, n);
        var groupOf = column is null ? default : column.AsSpan(0, n);

        for (var i = 0; i < flagsOf.Length; i++)
        {
            var flags = flagsOf[i];
            long at;
            if ((flags & Flag.Whistled) != 0)
            {
                at = whistledAt[i];
            }
            else if ((flags & Flag.HandledLocally) != 0 && department < 0)
            {
                at = filedAt[i];
            }
            else
            {
                continue;
            }
            if (at < from || at >= to
                || (street >= 0 && streets[i] != street)
                || (community >= 0 && communities[i] != community)
                || (department >= 0 && departments[i] != department)
                || (category >= 0 && categories[i] != category))
            {
                continue;
            }
            var group = column is not null ? groupOf[i] : bounds is not null ? Period(bounds, at) : 0;
            if (group < 0 || group >= groups)
            {
                continue; // handled locally, grouped by department: it has none
            }
            (tallies[group] ??= new Tally(capacity))
                .Count(flags, returns[i], reopens[i], escalations[i], acknowledgeWait[i], resolveWait[i], overdueAt[i], +1);
        }
        return tallies;
    }

    /// <summary>The group one order counts in for a question, or -1: the scan's test, for one order.</summary>
    public static int GroupOf(in Fact f, StatsScope scope, Grouping grouping)
    {
        long at;
        if ((f.Flags & Flag.Whistled) != 0)
        {
            at = f.WhistledAt;
        }
        else if ((f.Flags & Flag.HandledLocally) != 0 && scope.Department < 0)
        {
            at = f.FiledAt;
        }
        else
        {
            return -1;
        }
        if (at < scope.From || at >= scope.To
            || (scope.Street >= 0 && f.Street != scope.Street)
            || (scope.Community >= 0 && f.Community != scope.Community)
            || (scope.Department >= 0 && f.Department != scope.Department)
            || (scope.Category >= 0 && f.Category != scope.Category))
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

    private static short[]? ColumnOf(Columns c, Grouping grouping) => grouping switch
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
