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
    /// <param name="nextChange">
    /// The first instant after <paramref name="now"/> at which an open counted order passes a
    /// deadline, which changes overdueNow without any write; long.MaxValue when none will.
    /// </param>
    // Fully optimised from the first call: a cold answer runs this loop once over a million rows,
    // too few calls for tiered compilation to have promoted it.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static Tally?[] Run(Columns c, StatsScope scope, Grouping grouping, int groups, long now, out long nextChange)
    {
        var tallies = new Tally?[groups];
        nextChange = long.MaxValue;
        var column = grouping switch
        {
            Grouping.ByColumn { Column: GroupColumn.Department } => c.Department,
            Grouping.ByColumn { Column: GroupColumn.Street } => c.Street,
            Grouping.ByColumn { Column: GroupColumn.Community } => c.Community,
            Grouping.ByColumn { Column: GroupColumn.Category } => c.Category,
            _ => null,
        };
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
        var overdueAtOf = c.OverdueAt.AsSpan(0, n);
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
            int group;
            if (column is not null)
            {
                group = groupOf[i];
            }
            else if (bounds is not null)
            {
                group = Array.BinarySearch(bounds, at);
                group = group >= 0 ? group : ~group - 1;
                if (group >= groups)
                {
                    continue;
                }
            }
            else
            {
                group = 0;
            }
            if (group < 0)
            {
                continue; // handled locally, grouped by department: it has none
            }
            var t = tallies[group] ??= new Tally(capacity);
            if ((flags & Flag.HandledLocally) != 0)
            {
                t.HandledLocally++;
                continue;
            }
            t.Dispatched++;
            t.Returns += returns[i];
            t.Reopens += reopens[i];
            t.Escalations += escalations[i];
            if ((flags & Flag.AcknowledgedOnTime) != 0)
            {
                t.AcknowledgedOnTime++;
            }
            if (acknowledgeWait[i] >= 0)
            {
                t.AcknowledgeWaits.Add(acknowledgeWait[i]);
            }
            if ((flags & Flag.Cancelled) != 0)
            {
                t.Cancelled++;
                if ((flags & Flag.Invalid) != 0)
                {
                    t.Invalid++;
                }
                continue;
            }
            if ((flags & Flag.Open) != 0)
            {
                t.Open++;
            }
            if ((flags & Flag.Completed) != 0)
            {
                t.Completed++;
                if ((flags & Flag.ResolvedOnTime) != 0)
                {
                    t.ResolvedOnTime++;
                }
                if (resolveWait[i] >= 0)
                {
                    t.ResolveWaits.Add(resolveWait[i]);
                }
            }
            if ((flags & Flag.Evaluated) != 0)
            {
                t.Evaluated++;
                if ((flags & Flag.Satisfied) != 0)
                {
                    t.Satisfied++;
                }
            }
            var overdueAt = overdueAtOf[i];
            if (overdueAt < now)
            {
                t.Overdue++;
            }
            else if (overdueAt < nextChange)
            {
                nextChange = overdueAt;
            }
        }
        return tallies;
    }
}
