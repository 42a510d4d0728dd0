using System.Text.Json.Serialization;
using Whistle.Api.Features.Geo;
using Whistle.Domain.Geo;

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
/// <param name="Parts">Each summoned department's part (主办/协办): the lead's first once whistled (a single-department order has
/// only that one), then the co-handlers' in the order they were summoned. The lead's part follows the order's own acknowledge and resolve.</param>
/// <param name="ReturnReasonCode">Why the latest return was made, from the fixed list; null when none was given.</param>
/// <param name="ReturnBasis">What the latest return rests on: the duty catalogue item or rule.</param>
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
    IReadOnlyList<PartResponse> Parts,
    ReturnReasonCode? ReturnReasonCode,
    string? ReturnBasis,
    IReadOnlyList<Features.Photos.PhotoResponse> Photos)
{
    /// <summary>
    /// Only in the filing's 201 answer: unfinished orders of the same category near the new one, filed
    /// lately and visible to the caller, nearest first (possible duplicates; the filing stands regardless).
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<PossibleDuplicate>? PossibleDuplicates { get; init; }

    /// <summary>
    /// The order this one was merged into (并单) as a repeat report of the same problem: read that one
    /// (GET also names it in a Link header, rel="duplicate-of"). Null unless the state is merged.
    /// </summary>
    public Guid? MergedInto { get; init; }

    /// <summary>
    /// The order its reporter said this one repeats, when filing ("this is the same problem"): the community
    /// may merge the two (POST …/merge). Null when the filing named none.
    /// </summary>
    public OrderReference? SameProblemAs { get; init; }

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
        new CountersResponse(order.WhistleCount, order.ReturnCount, order.ReopenCount, order.EscalationCount, order.ReturnRefusalCount),
        order.FiledBy,
        order.Result,
        order.ReturnReason,
        order.Rating,
        order.EvaluationComment,
        order.CancelReason,
        order.ExtensionRequestedAt is { } requestedAt
            ? new ExtensionResponse(requestedAt, order.ExtensionRequestedBy!, order.ExtensionResolveBy!.Value, order.ExtensionReason!)
            : null,
        order.Parts.Select(part => PartResponse.From(order, part, now)).ToList(),
        order.ReturnReasonCode,
        order.ReturnBasis,
        order.Photos.Count == 0 ? [] : order.Photos.Select(Features.Photos.PhotoResponse.From).ToList())
    {
        MergedInto = order.MergedInto,
        SameProblemAs = order.SameProblemAsId is { } id ? new OrderReference(id, OrderCode.Format(order.SameProblemAsNumber!.Value)) : null,
    };
}

/// <summary>Another order, by its id and the code people read.</summary>
public sealed record OrderReference(Guid Id, string Code);

/// <summary>One summoned department's part of the order.</summary>
/// <param name="DepartmentCode">The department summoned.</param>
/// <param name="Role">lead (主办) or co-handler (协办).</param>
/// <param name="State">summoned, reported (报到), done, declined or waived.</param>
/// <param name="AllowedActions">The part actions this caller may take now (<c>POST /api/v1/orders/{id}/parts/{departmentCode}/{action}</c>);
/// always empty for the lead's part, which moves with the order's own actions.</param>
/// <param name="AcknowledgeBy">When the department must have reported for duty (the lead: the order's acknowledgeBy).</param>
/// <param name="Overdue">Past its running acknowledge deadline as of the response (the lead's: see the order's deadlines).</param>
/// <param name="Escalations">Times the department was pressed about its part (the lead: the order's escalations).</param>
public sealed record PartResponse(
    string DepartmentCode,
    PartRole Role,
    PartState State,
    IReadOnlyList<PartAction> AllowedActions,
    DateTimeOffset SummonedAt,
    string? SummonedBy,
    DateTimeOffset? AcknowledgeBy,
    bool Overdue,
    DateTimeOffset? ReportedAt,
    DateTimeOffset? DoneAt,
    string? Result,
    DateTimeOffset? DeclinedAt,
    string? DeclineReason,
    DateTimeOffset? WaivedAt,
    string? WaivedBy,
    string? WaiveReason,
    int Escalations)
{
    public static PartResponse From(Order order, OrderPart part, DateTimeOffset now) => new(
        part.DepartmentCode,
        part.Role,
        part.State,
        part.Role == PartRole.Lead ? [] : PartLifecycle.AllowedActions(part.State, PartLifecycle.Running(order.State)),
        part.SummonedAt,
        part.Role == PartRole.Lead ? null : part.SummonedBy,
        part.AcknowledgeBy,
        part.IsOverdue(order.State, now),
        part.ReportedAt,
        part.DoneAt,
        part.Result,
        part.DeclinedAt,
        part.DeclineReason,
        part.WaivedAt,
        part.WaivedBy,
        part.WaiveReason,
        part.EscalationCount);
}

/// <param name="Latitude">Degrees, -90 to 90: WGS 84 unless asked for another coordinateSystem.</param>
/// <param name="Longitude">Degrees, -180 to 180: WGS 84 unless asked for another coordinateSystem.</param>
/// <param name="Address">A street address people can read.</param>
/// <param name="CoordinateSystem">What latitude and longitude are in: wgs84 (as stored), or gcj02 / bd09 when the request asked
/// (?coordinateSystem=) for drawing on Chinese maps.</param>
public sealed record LocationResponse(double Latitude, double Longitude, string? Address, CoordinateSystem CoordinateSystem = CoordinateSystem.Wgs84)
{
    /// <summary>The same place in another coordinate system (the stored one is WGS 84).</summary>
    public LocationResponse In(CoordinateSystem system)
    {
        var converted = ChineseCoordinates.FromWgs84(new LatLon(Latitude, Longitude), system);
        return new(converted.Latitude, converted.Longitude, Address, system);
    }
}

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
/// <param name="ReturnRefusals">Times the street supervisor refused a department's return (where returns are reviewed).</param>
public sealed record CountersResponse(int Whistles, int Returns, int Reopens, int Escalations, int ReturnRefusals);

/// <param name="RequestedAt">When the department asked.</param>
/// <param name="RequestedBy">Who asked.</param>
/// <param name="ResolveBy">The resolve deadline asked for; approving moves deadlines.resolveBy here.</param>
/// <param name="Reason">Why.</param>
public sealed record ExtensionResponse(DateTimeOffset RequestedAt, string RequestedBy, DateTimeOffset ResolveBy, string Reason);
