namespace Whistle.Api.Tests.Stats;

/// <summary>Which orders a query counts: the period and the filters of the contract.</summary>
public sealed record StatsFilter(
    DateTimeOffset? From = null, DateTimeOffset? To = null,
    string? Street = null, string? Community = null, string? Department = null, string? Category = null)
{
    public bool In(DateTimeOffset at) => (From is null || at >= From) && (To is null || at < To);

    private bool MatchesPlaceAndCategory(ReplayedOrder order) =>
        (Street is null || order.Street == Street)
        && (Community is null || order.Community == Community)
        && (Category is null || order.Category == Category);

    /// <summary>In the population P: first whistled in the period, matching every filter (department: the last whistled to).</summary>
    public bool Dispatches(ReplayedOrder order) =>
        order.FirstWhistledAt is { } first && In(first) && MatchesPlaceAndCategory(order)
        && (Department is null || order.Department == Department);

    /// <summary>A co-handler's summons counts where its order is first whistled in the period, in its place and category, under its own department.</summary>
    public bool Summons(ReplayedOrder order, ReplayedPart part) =>
        order.FirstWhistledAt is { } first && In(first) && MatchesPlaceAndCategory(order)
        && (Department is null || part.Department == Department);

    /// <summary>Counted as handled locally: filed in the period, matching street, community and category; none with a department.</summary>
    public bool HandlesLocally(ReplayedOrder order) =>
        order.HandledLocally && Department is null && In(order.FiledAt) && MatchesPlaceAndCategory(order);

    public StatsFilter Group(string groupBy, string code) => groupBy switch
    {
        "street" => this with { Street = code },
        "community" => this with { Community = code },
        "department" => this with { Department = code },
        "category" => this with { Category = code },
        _ => throw new ArgumentOutOfRangeException(nameof(groupBy), groupBy, null),
    };
}

/// <summary>Every figure of the contract, computed by brute force over the orders' facts in plain LINQ.</summary>
public static class BruteForce
{
    public static readonly string[] CountNames =
    [
        "dispatchedOrders", "cancelledOrders", "validOrders", "completedOrders", "acknowledgedOnTime", "resolvedOnTime",
        "evaluatedOrders", "satisfiedOrders", "openBacklog", "overdueNow", "returns", "reopens", "escalations", "handledLocally",
        "summons", "coHandlerSummons", "ordersReturnedMoreThanOnce",
    ];

    public static readonly string[] RealNames =
    [
        "completionRate", "responseRate", "onTimeCompletionRate", "satisfactionRate",
        "medianHoursToAcknowledge", "p90HoursToAcknowledge", "medianHoursToResolve", "p90HoursToResolve",
    ];

    public static IEnumerable<string> Names => CountNames.Concat(RealNames);

    public static Dictionary<string, double?> Figures(IReadOnlyList<ReplayedOrder> orders, StatsFilter filter, DateTimeOffset asOf)
    {
        var p = orders.Where(filter.Dispatches).ToList();
        var valid = p.Where(o => o.Valid).ToList();
        var completed = p.Where(o => o.Completed).ToList();
        var evaluated = p.Where(o => o.Evaluations > 0).ToList();
        // Every summons a department received: each order's lead, and each co-handler part, answered by its own deadline.
        var parts = orders.SelectMany(o => o.Parts.Where(part => filter.Summons(o, part))).ToList();
        long acknowledgedOnTime = p.Count(o => o.FirstAcknowledgedAt is not null && o.FirstAcknowledgedOnTime)
            + parts.Count(part => part.AnsweredOnTime);
        long summons = p.Count + parts.Count;
        long resolvedOnTime = completed.Count(o => o.ResolvedOnTime);
        long satisfied = evaluated.Count(o => o.Satisfied);
        var toAcknowledge = p.Where(o => o.FirstAcknowledgedAt is not null)
            .Select(o => Microseconds(o.FirstAcknowledgedAt!.Value - o.FirstWhistledAt!.Value)).ToList();
        var toResolve = completed.Select(o => Microseconds(o.ResolvedAt!.Value - o.FirstWhistledAt!.Value)).ToList();

        return new()
        {
            ["dispatchedOrders"] = p.Count,
            ["cancelledOrders"] = p.Count(o => o.Cancelled),
            ["validOrders"] = valid.Count,
            ["completedOrders"] = completed.Count,
            ["acknowledgedOnTime"] = acknowledgedOnTime,
            ["resolvedOnTime"] = resolvedOnTime,
            ["evaluatedOrders"] = evaluated.Count,
            ["satisfiedOrders"] = satisfied,
            ["openBacklog"] = p.Count(o => o.State is "whistled" or "acknowledged" or "returned" or "return-under-review"),
            ["overdueNow"] = p.Count(o => o.OverdueAt(asOf)),
            ["returns"] = p.Sum(o => o.Returns),
            ["reopens"] = p.Sum(o => o.Reopens),
            ["escalations"] = p.Sum(o => o.Escalations),
            ["handledLocally"] = orders.Count(filter.HandlesLocally),
            ["summons"] = summons,
            ["coHandlerSummons"] = parts.Count,
            ["ordersReturnedMoreThanOnce"] = p.Count(o => o.Returns > 1),
            ["completionRate"] = Rate(completed.Count, valid.Count),
            ["responseRate"] = Rate(acknowledgedOnTime, summons),
            ["onTimeCompletionRate"] = Rate(resolvedOnTime, completed.Count),
            ["satisfactionRate"] = Rate(satisfied, evaluated.Count),
            ["medianHoursToAcknowledge"] = PercentileHours(toAcknowledge, 0.5),
            ["p90HoursToAcknowledge"] = PercentileHours(toAcknowledge, 0.9),
            ["medianHoursToResolve"] = PercentileHours(toResolve, 0.5),
            ["p90HoursToResolve"] = PercentileHours(toResolve, 0.9),
        };
    }

    private static double? Rate(long part, long whole) => whole == 0 ? null : (double)part / whole;

    private static long Microseconds(TimeSpan span) =>
        span.Ticks % 10 == 0 ? span.Ticks / 10 : throw new InvalidOperationException($"{span} is not whole microseconds.");

    /// <summary>PostgreSQL's percentile_cont: linear interpolation between the closest ranks, on microseconds, in hours.</summary>
    public static double? PercentileHours(IEnumerable<long> microseconds, double fraction)
    {
        var sorted = microseconds.Order().ToArray();
        if (sorted.Length == 0)
        {
            return null;
        }
        var position = fraction * (sorted.Length - 1);
        var below = (int)Math.Floor(position);
        var above = (int)Math.Ceiling(position);
        double value = sorted[below] + (sorted[above] - sorted[below]) * (position - below);
        return value / 3_600_000_000.0;
    }
}
