namespace Whistle.Api.Features.Stats;

/// <summary>
/// The assessment figures over the orders first whistled in a period (see the README's
/// definitions). Rates run from 0 to 1 and are null when nothing is there to divide by; hours
/// are null when no order has the milestone.
/// </summary>
/// <param name="DispatchedOrders">Orders first whistled in the period.</param>
/// <param name="ValidOrders">Dispatched orders not cancelled as invalid or a duplicate (a withdrawn order stays valid, not completed).</param>
/// <param name="CancelledOrders">Dispatched orders cancelled since, for any reason.</param>
/// <param name="CompletedOrders">Dispatched orders now resolved or closed (办结); a reopened order counts again once resolved again.</param>
/// <param name="CompletionRate">completedOrders / validOrders (办结率).</param>
/// <param name="AcknowledgedOnTime">Dispatched orders whose first acknowledgement came by the acknowledge deadline of the whistle it answered.</param>
/// <param name="ResponseRate">acknowledgedOnTime / dispatchedOrders (响应率).</param>
/// <param name="ResolvedOnTime">Completed orders resolved by their resolve deadline (set by the whistle, renewed by a reopen).</param>
/// <param name="OnTimeCompletionRate">resolvedOnTime / completedOrders.</param>
/// <param name="EvaluatedOrders">Dispatched orders the community has evaluated at least once.</param>
/// <param name="SatisfiedOrders">Evaluated orders whose latest evaluation is satisfied or basically satisfied.</param>
/// <param name="SatisfactionRate">satisfiedOrders / evaluatedOrders (满意率).</param>
/// <param name="OpenBacklog">Dispatched orders now open: whistled, acknowledged (reopened ones too) or returned.</param>
/// <param name="OverdueNow">Open orders past a running deadline at asOf: not acknowledged by acknowledgeBy, or not resolved by resolveBy (a returned order has none running).</param>
/// <param name="Returns">Returns (退单) of the dispatched orders, every one counted.</param>
/// <param name="Reopens">Unsatisfied evaluations that reopened the dispatched orders.</param>
/// <param name="Escalations">Escalations (督办) of the dispatched orders.</param>
/// <param name="HandledLocally">Orders filed in the period (street, community and category filters apply) that the community handled itself, never whistled.</param>
/// <param name="MedianHoursToAcknowledge">Median of first acknowledgement minus first whistle, over dispatched orders acknowledged (linear interpolation, as PostgreSQL's percentile_cont).</param>
/// <param name="P90HoursToAcknowledge">90th percentile of the same.</param>
/// <param name="MedianHoursToResolve">Median of resolution minus first whistle, over completed orders.</param>
/// <param name="P90HoursToResolve">90th percentile of the same.</param>
public sealed record Figures(
    long DispatchedOrders,
    long ValidOrders,
    long CancelledOrders,
    long CompletedOrders,
    double? CompletionRate,
    long AcknowledgedOnTime,
    double? ResponseRate,
    long ResolvedOnTime,
    double? OnTimeCompletionRate,
    long EvaluatedOrders,
    long SatisfiedOrders,
    double? SatisfactionRate,
    long OpenBacklog,
    long OverdueNow,
    long Returns,
    long Reopens,
    long Escalations,
    long HandledLocally,
    double? MedianHoursToAcknowledge,
    double? P90HoursToAcknowledge,
    double? MedianHoursToResolve,
    double? P90HoursToResolve)
{
    /// <summary>The names a breakdown can sort by, as they appear in JSON.</summary>
    public static readonly IReadOnlyDictionary<string, Func<Figures, double?>> Sortable =
        new Dictionary<string, Func<Figures, double?>>(StringComparer.Ordinal)
        {
            ["dispatchedOrders"] = f => f.DispatchedOrders,
            ["validOrders"] = f => f.ValidOrders,
            ["cancelledOrders"] = f => f.CancelledOrders,
            ["completedOrders"] = f => f.CompletedOrders,
            ["completionRate"] = f => f.CompletionRate,
            ["acknowledgedOnTime"] = f => f.AcknowledgedOnTime,
            ["responseRate"] = f => f.ResponseRate,
            ["resolvedOnTime"] = f => f.ResolvedOnTime,
            ["onTimeCompletionRate"] = f => f.OnTimeCompletionRate,
            ["evaluatedOrders"] = f => f.EvaluatedOrders,
            ["satisfiedOrders"] = f => f.SatisfiedOrders,
            ["satisfactionRate"] = f => f.SatisfactionRate,
            ["openBacklog"] = f => f.OpenBacklog,
            ["overdueNow"] = f => f.OverdueNow,
            ["returns"] = f => f.Returns,
            ["reopens"] = f => f.Reopens,
            ["escalations"] = f => f.Escalations,
            ["handledLocally"] = f => f.HandledLocally,
            ["medianHoursToAcknowledge"] = f => f.MedianHoursToAcknowledge,
            ["p90HoursToAcknowledge"] = f => f.P90HoursToAcknowledge,
            ["medianHoursToResolve"] = f => f.MedianHoursToResolve,
            ["p90HoursToResolve"] = f => f.P90HoursToResolve,
        };
}

/// <summary>Sums one group's facts during a scan, then gives its figures.</summary>
internal sealed class Tally
{
    public long Dispatched, Cancelled, Invalid, Open, Completed, AcknowledgedOnTime, ResolvedOnTime, Evaluated, Satisfied, Overdue;
    public long Returns, Reopens, Escalations, HandledLocally;
    public readonly List<long> AcknowledgeWaits = [];
    public readonly List<long> ResolveWaits = [];

    public bool IsEmpty => Dispatched == 0 && HandledLocally == 0;

    public Figures ToFigures()
    {
        var valid = Dispatched - Invalid;
        return new Figures(
            Dispatched, valid, Cancelled, Completed, Rate(Completed, valid),
            AcknowledgedOnTime, Rate(AcknowledgedOnTime, Dispatched),
            ResolvedOnTime, Rate(ResolvedOnTime, Completed),
            Evaluated, Satisfied, Rate(Satisfied, Evaluated),
            Open, Overdue, Returns, Reopens, Escalations, HandledLocally,
            Percentile.Hours(AcknowledgeWaits, 0.5), Percentile.Hours(AcknowledgeWaits, 0.9),
            Percentile.Hours(ResolveWaits, 0.5), Percentile.Hours(ResolveWaits, 0.9));
    }

    private static double? Rate(long part, long whole) => whole == 0 ? null : (double)part / whole;
}

/// <summary>Exact percentiles the way PostgreSQL's percentile_cont computes them, by selection rather than a full sort.</summary>
public static class Percentile
{
    private const double MicrosPerHour = 3_600_000_000.0;

    public static double? Hours(List<long> micros, double p) =>
        Of(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(micros), p) is { } value ? value / MicrosPerHour : null;

    /// <summary>Linear interpolation between the values at ranks floor(p(n-1)) and ceil(p(n-1)); reorders the span.</summary>
    public static double? Of(Span<long> values, double p)
    {
        if (values.Length == 0)
        {
            return null;
        }
        var position = p * (values.Length - 1);
        var lower = (int)Math.Floor(position);
        var fraction = position - lower;
        var low = Select(values, lower);
        if (fraction == 0)
        {
            return low;
        }
        // After selection everything right of 'lower' is at least as large: the next rank is their minimum.
        var high = long.MaxValue;
        foreach (var v in values[(lower + 1)..])
        {
            high = Math.Min(high, v);
        }
        return low + (high - low) * fraction;
    }

    /// <summary>Quickselect (median-of-three pivots): places the k-th smallest at k, smaller left, larger right.</summary>
    private static long Select(Span<long> values, int k)
    {
        var left = 0;
        var right = values.Length - 1;
        while (left < right)
        {
            var mid = left + ((right - left) >> 1);
            if (values[mid] < values[left])
            {
                (values[mid], values[left]) = (values[left], values[mid]);
            }
            if (values[right] < values[left])
            {
                (values[right], values[left]) = (values[left], values[right]);
            }
            if (values[right] < values[mid])
            {
                (values[right], values[mid]) = (values[mid], values[right]);
            }
            var pivot = values[mid];
            var i = left;
            var j = right;
            while (i <= j)
            {
                while (values[i] < pivot)
                {
                    i++;
                }
                while (values[j] > pivot)
                {
                    j--;
                }
                if (i <= j)
                {
                    (values[i], values[j]) = (values[j], values[i]);
                    i++;
                    j--;
                }
            }
            if (k <= j)
            {
                right = j;
            }
            else if (k >= i)
            {
                left = i;
            }
            else
            {
                return values[k];
            }
        }
        return values[k];
    }
}
