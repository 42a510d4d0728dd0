namespace Whistle.Domain.Orders;

/// <summary>
/// One summoned department's part of an order (主办 or 协办): its own acknowledge deadline, its
/// report for duty, its result or its reason for declining, or who waived it. Co-handler parts are
/// kept in their own rows; the lead's part is read off the order (<see cref="LeadOf"/>), whose
/// acknowledge and resolve are the lead's report and done.
/// </summary>
public sealed class OrderPart
{
    public Guid OrderId { get; private set; }
    public string DepartmentCode { get; private set; } = "";
    public PartRole Role { get; private set; }
    public PartState State { get; internal set; }
    public string SummonedBy { get; private set; } = "";
    public DateTimeOffset SummonedAt { get; private set; }
    public DateTimeOffset? AcknowledgeBy { get; internal set; }
    public DateTimeOffset? ReportedAt { get; internal set; }
    public DateTimeOffset? DoneAt { get; internal set; }
    public string? Result { get; internal set; }
    public DateTimeOffset? DeclinedAt { get; internal set; }
    public string? DeclineReason { get; internal set; }
    public DateTimeOffset? WaivedAt { get; internal set; }
    public string? WaivedBy { get; internal set; }
    public string? WaiveReason { get; internal set; }
    public int EscalationCount { get; internal set; }
    public DateTimeOffset? LastEscalatedAt { get; internal set; }

    private OrderPart() { }

    internal static OrderPart Summon(Guid orderId, string departmentCode, DateTimeOffset acknowledgeBy, Actor actor, DateTimeOffset at) => new()
    {
        OrderId = orderId,
        DepartmentCode = departmentCode,
        Role = PartRole.CoHandler,
        State = PartState.Summoned,
        SummonedBy = actor.Name,
        SummonedAt = at,
        AcknowledgeBy = acknowledgeBy,
    };

    /// <summary>The lead's part as the order shows it: summoned until acknowledged, reported until resolved, then done.</summary>
    public static OrderPart? LeadOf(Order order) => order.DepartmentCode is null ? null : new()
    {
        OrderId = order.Id,
        DepartmentCode = order.DepartmentCode,
        Role = PartRole.Lead,
        State = order.ResolvedAt is not null ? PartState.Done : order.AcknowledgedAt is not null ? PartState.Reported : PartState.Summoned,
        SummonedAt = order.WhistledAt ?? order.FiledAt,
        AcknowledgeBy = order.AcknowledgeBy,
        ReportedAt = order.AcknowledgedAt,
        DoneAt = order.ResolvedAt,
        Result = order.ResolvedAt is not null ? order.Result : null,
        EscalationCount = order.EscalationCount,
        LastEscalatedAt = order.LastEscalatedAt,
    };

    public bool Settled => PartLifecycle.Settled(State);

    /// <summary>
    /// The department answered its summons by its acknowledge deadline: reported for duty, or declined,
    /// by then (a re-whistle renews only the deadline of a part still summoned, so the deadline it
    /// answered is the one it keeps). The department's response rate counts this per summons.
    /// </summary>
    public bool AnsweredOnTime => IsAnsweredOnTime(ReportedAt, DeclinedAt, AcknowledgeBy);

    /// <summary>The rule of <see cref="AnsweredOnTime"/>, for readers that have only the part's times (the statistics).</summary>
    public static bool IsAnsweredOnTime(DateTimeOffset? reportedAt, DateTimeOffset? declinedAt, DateTimeOffset? acknowledgeBy) =>
        (reportedAt ?? declinedAt) is { } answered && answered <= acknowledgeBy;

    /// <summary>
    /// Late, by the one rule for parts: a co-handler that has not reported by its acknowledge deadline
    /// while the order runs (the lead's lateness is the order's, <see cref="Overdue"/>).
    /// </summary>
    public bool IsOverdue(OrderState orderState, DateTimeOffset now) =>
        Role == PartRole.CoHandler && Overdue.PartIsLate(orderState, State, AcknowledgeBy, now);
}
