using System.Runtime.CompilerServices;

namespace Whistle.Api.Features.Stats;

/// <summary>
/// One group's counts and durations: filled by a scan, or kept up to date order change by order
/// change for a question screens keep asking (its duration lists then kept sorted, so each
/// percentile is a lookup and each change an insertion or a removal). Both go through
/// one Count method, the one place that says which order counts towards which figure.
/// </summary>
internal sealed class Tally(int capacity = 0, bool sorted = false)
{
    public long Dispatched, Cancelled, Invalid, Open, Completed, AcknowledgedOnTime, ResolvedOnTime, Evaluated, Satisfied;
    public long Returns, Reopens, Escalations, HandledLocally;
    // Joint handling: summons co-handlers received (an order's own is its dispatch); orders returned twice or more.
    public long CoHandlerSummons, ReturnedMoreThanOnce;
    // Durations in microseconds; and when each open counted order will miss a deadline, for overdueNow at any instant.
    public readonly List<long> AcknowledgeWaits = new(capacity);
    public readonly List<long> ResolveWaits = new(capacity);
    public readonly List<long> OverdueAts = [];

    public bool Sorted { get; private set; } = sorted;

    public bool IsEmpty => Dispatched == 0 && HandledLocally == 0 && CoHandlerSummons == 0;

    /// <summary>Counts one order in (+1) or out (-1, kept tallies only).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Count(Flag flags, short returns, short reopens, short escalations, long acknowledgeWait, long resolveWait, long overdueAt, int sign)
    {
        if ((flags & Flag.HandledLocally) != 0)
        {
            HandledLocally += sign;
            return;
        }
        // A co-handler's part is a summons and an answer, nothing else: the order's own figures are the lead's.
        if ((flags & Flag.CoHandlerPart) != 0)
        {
            CoHandlerSummons += sign;
            if ((flags & Flag.AcknowledgedOnTime) != 0)
            {
                AcknowledgedOnTime += sign;
            }
            return;
        }
        Dispatched += sign;
        Returns += sign * returns;
        if (returns > 1)
        {
            ReturnedMoreThanOnce += sign;
        }
        Reopens += sign * reopens;
        Escalations += sign * escalations;
        if ((flags & Flag.AcknowledgedOnTime) != 0)
        {
            AcknowledgedOnTime += sign;
        }
        if (acknowledgeWait >= 0)
        {
            Put(AcknowledgeWaits, acknowledgeWait, sign);
        }
        // Before the cancellations: a reopened order can be returned and cancelled, and its evaluation still counts.
        if ((flags & Flag.Evaluated) != 0)
        {
            Evaluated += sign;
            if ((flags & Flag.Satisfied) != 0)
            {
                Satisfied += sign;
            }
        }
        if ((flags & Flag.Cancelled) != 0)
        {
            Cancelled += sign;
            if ((flags & Flag.Invalid) != 0)
            {
                Invalid += sign;
            }
            return;
        }
        if ((flags & Flag.Open) != 0)
        {
            Open += sign;
        }
        if ((flags & Flag.Completed) != 0)
        {
            Completed += sign;
            if ((flags & Flag.ResolvedOnTime) != 0)
            {
                ResolvedOnTime += sign;
            }
            if (resolveWait >= 0)
            {
                Put(ResolveWaits, resolveWait, sign);
            }
        }
        if (overdueAt != long.MaxValue)
        {
            Put(OverdueAts, overdueAt, sign);
        }
    }

    public void Count(in Fact f, int sign) =>
        Count(f.Flags, f.Returns, f.Reopens, f.Escalations, f.AcknowledgeWait, f.ResolveWait, f.OverdueAt, sign);

    private void Put(List<long> list, long value, int sign)
    {
        if (!Sorted)
        {
            list.Add(value);
            return;
        }
        var at = list.BinarySearch(value);
        if (sign > 0)
        {
            list.Insert(at >= 0 ? at : ~at, value);
        }
        else
        {
            // Counted in before, so it is there.
            list.RemoveAt(at);
        }
    }

    /// <summary>Sorts the lists a scan filled, so the tally can be kept from now on; kept, they hold no spare capacity (a scan sizes them for every row).</summary>
    public void Sort()
    {
        AcknowledgeWaits.Sort();
        ResolveWaits.Sort();
        OverdueAts.Sort();
        AcknowledgeWaits.TrimExcess();
        ResolveWaits.TrimExcess();
        OverdueAts.TrimExcess();
        Sorted = true;
    }

    /// <param name="nextChange">Lowered to the first instant after <paramref name="now"/> at which a counted order becomes overdue.</param>
    public Figures ToFigures(long now, ref long nextChange)
    {
        long overdue;
        if (Sorted)
        {
            // Overdue: deadlines strictly before now; the next change is the first one not before it.
            var at = OverdueAts.BinarySearch(now);
            if (at >= 0)
            {
                while (at > 0 && OverdueAts[at - 1] == now)
                {
                    at--;
                }
            }
            else
            {
                at = ~at;
            }
            overdue = at;
            if (at < OverdueAts.Count)
            {
                nextChange = Math.Min(nextChange, OverdueAts[at]);
            }
        }
        else
        {
            overdue = 0;
            foreach (var due in OverdueAts)
            {
                if (due < now)
                {
                    overdue++;
                }
                else
                {
                    nextChange = Math.Min(nextChange, due);
                }
            }
        }
        var valid = Dispatched - Invalid;
        var acknowledge = Sorted ? Percentile.HoursOfSorted(AcknowledgeWaits) : Percentile.Hours(AcknowledgeWaits);
        var resolve = Sorted ? Percentile.HoursOfSorted(ResolveWaits) : Percentile.Hours(ResolveWaits);
        var summons = Dispatched + CoHandlerSummons;
        return new Figures(
            Dispatched, valid, Cancelled, Completed, Rate(Completed, valid),
            AcknowledgedOnTime, Rate(AcknowledgedOnTime, summons),
            ResolvedOnTime, Rate(ResolvedOnTime, Completed),
            Evaluated, Satisfied, Rate(Satisfied, Evaluated),
            Open, overdue, Returns, Reopens, Escalations, HandledLocally,
            acknowledge.Median, acknowledge.P90, resolve.Median, resolve.P90,
            summons, CoHandlerSummons, ReturnedMoreThanOnce);
    }

    private static double? Rate(long part, long whole) => whole == 0 ? null : (double)part / whole;
}
