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
        var flagsOf = c.Flags;

        for (var i = 0; i < c.Count; i++)
        {
            var flags = flagsOf[i];
            long at;
            if ((flags & Flag.Whistled) != 0)
            {
                at = c.WhistledAt[i];
            }
            else if ((flags & Flag.HandledLocally) != 0 && department < 0)
            {
                at = c.FiledAt[i];
            }
            else
            {
                continue;
            }
            if (at < from || at >= to
                || (street >= 0 && c.Street[i] != street)
                || (community >= 0 && c.Community[i] != community)
                || (department >= 0 && c.Department[i] != department)
                || (category >= 0 && c.Category[i] != category))
            {
                continue;
            }
            int group;
            if (column is not null)
            {
                group = column[i];
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
            var t = tallies[group] ??= new Tally();
            if ((flags & Flag.HandledLocally) != 0)
            {
                t.HandledLocally++;
                continue;
            }
            t.Dispatched++;
            t.Returns += c.Returns[i];
            t.Reopens += c.Reopens[i];
            t.Escalations += c.Escalations[i];
            if ((flags & Flag.AcknowledgedOnTime) != 0)
            {
                t.AcknowledgedOnTime++;
            }
            if (c.AcknowledgeWait[i] >= 0)
            {
                t.AcknowledgeWaits.Add(c.AcknowledgeWait[i]);
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
                if (c.ResolveWait[i] >= 0)
                {
                    t.ResolveWaits.Add(c.ResolveWait[i]);
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
            var overdueAt = c.OverdueAt[i];
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
