namespace Whistle.Api.Features.Orders;

/// <summary>An order as clients see it, with what they may do to it next.</summary>
/// <param name="Id">The order's id.</param>
/// <param name="Code">The human-readable code, <c>WS-</c> and seven digits; also accepted wherever an id is.</param>
/// <param name="State">Where the order stands in the whistle loop.</param>
/// <param name="AllowedActions">The actions permitted now, named as in the paths (<c>POST /api/v1/orders/{id}/{action}</c>).</param>
/// <param name="Version">Bumped by every change; the <c>ETag</c> is this number quoted.</param>
/// <param name="DepartmentCode">The department the order is whistled to now; null before the whistle and after a return.</param>
/// <param name="ReturnedByDepartmentCode">The department that last returned it, if any.</param>
/// <param name="Result">What was done: the department's resolution, or the community's own fix.</param>
/// <param name="Rating">The community's latest evaluation.</param>
/// <param name="PendingExtension">The department's request for a later resolve deadline awaiting a supervisor; null when none.</param>
/// <param name="EscalationLevel">Who is pressing the department about it (督办): none, the street's supervisor, or the district.</param>
/// <param name="Photos">The photos attached as evidence, in the order they were added; withdrawn ones stay listed, without links.</param>
public sealed record OrderResponse(
    Guid Id,
    string Code,
    OrderState State,
    IReadOnlyList<OrderAction> AllowedActions,
    int Version,
    string Title,
    string Description,
    Priority Priority,
    string CategoryCode,
    string GridCode,
    string CommunityCode,
    string StreetCode,
    string? DepartmentCode,
    string? ReturnedByDepartmentCode,
    EscalationLevel EscalationLevel,
    LocationResponse Location,
    DeadlinesResponse Deadlines,
    MilestonesResponse Milestones,
    CountersResponse Counters,
    string FiledBy,
    string? Result,
    string? ReturnReason,
    Rating? Rating,
    string? EvaluationComment,
    CancelReason? CancelReason,
    ExtensionResponse? PendingExtension,
    IReadOnlyList<Features.Photos.PhotoResponse> Photos)
{
    /// <summary>The order as it stands at <paramref name="now"/> (which decides whether it is overdue).</summary>
    public static OrderResponse From(Order order, DateTimeOffset now) => new(
        order.Id,
        OrderCode.Format(order.Number),
        order.State,
        order.AllowedActions(),
        order.Version,
        order.Title,
        order.Description,
        order.Priority,
        order.CategoryCode,
        order.GridCode,
        order.CommunityCode,
        order.StreetCode,
        order.DepartmentCode,
        order.ReturnedByDepartmentCode,
        order.EscalationLevel,
        new LocationResponse(order.Location.Latitude, order.Location.Longitude, order.Location.Address),
        new DeadlinesResponse(order.AcknowledgeBy, order.ResolveBy, order.MissedDeadlineAt(now) is { } missed, order.MissedDeadlineAt(now)?.At),
        new MilestonesResponse(
            order.FiledAt, order.FirstWhistledAt, order.WhistledAt, order.FirstAcknowledgedAt, order.AcknowledgedAt, order.ReturnedAt,
            order.ResolvedAt, order.EvaluatedAt, order.ClosedAt, order.HandledLocallyAt, order.CancelledAt, order.LastEscalatedAt),
        new CountersResponse(order.WhistleCount, order.ReturnCount, order.ReopenCount, order.EscalationCount),
        order.FiledBy,
        order.Result,
        order.ReturnReason,
        order.Rating,
        order.EvaluationComment,
        order.CancelReason,
        order.ExtensionRequestedAt is { } requestedAt
            ? new ExtensionResponse(requestedAt, order.ExtensionRequestedBy!, order.ExtensionResolveBy!.Value, order.ExtensionReason!)
            : null,
        order.Photos.Count == 0 ? [] : order.Photos.Select(Features.Photos.PhotoResponse.From).ToList());
}

/// <param name="Latitude">WGS 84 degrees, -90 to 90.</param>
/// <param name="Longitude">WGS 84 degrees, -180 to 180.</param>
/// <param name="Address">A street address people can read.</param>
public sealed record LocationResponse(double Latitude, double Longitude, string? Address);

/// <param name="AcknowledgeBy">When the department must have acknowledged; set by each whistle, cleared by a return or cancellation.</param>
/// <param name="ResolveBy">When the department must have resolved; set by each whistle and renewed by a reopen.</param>
/// <param name="Overdue">Past a running deadline as of the response: whistled and not acknowledged by acknowledgeBy,
/// or not resolved by resolveBy (the rule of the statistics' overdueNow and of <c>?overdue=true</c>).</param>
/// <param name="OverdueSince">The running deadline it missed (the earlier if both); null when not overdue.</param>
public sealed record DeadlinesResponse(DateTimeOffset? AcknowledgeBy, DateTimeOffset? ResolveBy, bool Overdue, DateTimeOffset? OverdueSince);

/// <param name="FirstWhistledAt">The first whistle: the time that places the order in a statistics period.</param>
/// <param name="WhistledAt">The latest whistle (a re-whistle after a return moves it).</param>
/// <param name="FirstAcknowledgedAt">The order's first acknowledgement, whichever dispatch it answered; it decides the response rate.</param>
/// <param name="AcknowledgedAt">The acknowledgement of the current dispatch; a re-whistle clears it.</param>
/// <param name="ResolvedAt">The current resolution; a reopen clears it.</param>
public sealed record MilestonesResponse(
    DateTimeOffset FiledAt,
    DateTimeOffset? FirstWhistledAt,
    DateTimeOffset? WhistledAt,
    DateTimeOffset? FirstAcknowledgedAt,
    DateTimeOffset? AcknowledgedAt,
    DateTimeOffset? ReturnedAt,
    DateTimeOffset? ResolvedAt,
    DateTimeOffset? EvaluatedAt,
    DateTimeOffset? ClosedAt,
    DateTimeOffset? HandledLocallyAt,
    DateTimeOffset? CancelledAt,
    DateTimeOffset? LastEscalatedAt);

/// <param name="Whistles">Times whistled, re-whistles after returns included.</param>
/// <param name="Returns">Times a department returned it.</param>
/// <param name="Reopens">Times an unsatisfied evaluation reopened it.</param>
/// <param name="Escalations">Times a supervisor escalated it (督办).</param>
public sealed record CountersResponse(int Whistles, int Returns, int Reopens, int Escalations);

/// <param name="RequestedAt">When the department asked.</param>
/// <param name="RequestedBy">Who asked.</param>
/// <param name="ResolveBy">The resolve deadline asked for; approving moves deadlines.resolveBy here.</param>
/// <param name="Reason">Why.</param>
public sealed record ExtensionResponse(DateTimeOffset RequestedAt, string RequestedBy, DateTimeOffset ResolveBy, string Reason);
