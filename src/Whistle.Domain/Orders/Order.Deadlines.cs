using System.Globalization;

namespace Whistle.Domain.Orders;

/// <summary>
/// Deadlines after the whistle: escalation (督办) by hand and by the scheduler, the missed deadline
/// the overdue figures read, closing an order left unevaluated, and the department's request for a
/// later resolve deadline with a supervisor's answer.
/// </summary>
public sealed partial class Order
{
    /// <summary>
    /// 督办: raises the escalation one level (street supervisor, then district) and records who
    /// pressed and why; at the district level a further escalation presses again at that level.
    /// </summary>
    public void Escalate(string reason, Actor actor, DateTimeOffset at)
    {
        var from = Transition(OrderAction.Escalate);
        EscalationLevel = EscalationLevel == EscalationLevel.None ? EscalationLevel.Street : EscalationLevel.District;
        EscalationCount++;
        LastEscalatedAt = at;
        Record(OrderAction.Escalate, from, actor, at, new()
        {
            ["level"] = WireName.Of(EscalationLevel),
            ["reason"] = reason,
        });
    }

    /// <summary>
    /// The running deadline the order has missed at <paramref name="now"/> (the earlier if both
    /// run), by <see cref="Overdue"/>'s rule: the statistics' overdueNow, the overdue listing and the
    /// scheduler use the same one. None when the order is not overdue.
    /// </summary>
    public MissedDeadline? MissedDeadlineAt(DateTimeOffset now) =>
        Overdue.RunningDeadline(State, AcknowledgeBy, ResolveBy) is { } deadline && deadline < now
            ? new MissedDeadline(State == OrderState.Whistled && deadline == AcknowledgeBy ? "acknowledge" : "resolve", deadline)
            : null;

    /// <summary>
    /// Whether the scheduler escalates the order now: it is past a running deadline, and it has not
    /// been escalated yet (to the street) or was escalated to the street at least
    /// <paramref name="again"/> ago and is still overdue (to the district). The scheduler never goes
    /// past the district; supervisors may still press there by hand.
    /// </summary>
    public bool DueEscalationAt(DateTimeOffset now, TimeSpan again) =>
        MissedDeadlineAt(now) is not null
        && (EscalationLevel == EscalationLevel.None
            || (EscalationLevel == EscalationLevel.Street && LastEscalatedAt is { } last && last <= now - again));

    /// <summary>The scheduler escalates an overdue order one level, naming the deadline it missed.</summary>
    public void EscalateOverdue(Actor actor, DateTimeOffset at)
    {
        var missed = MissedDeadlineAt(at) ?? throw new InvalidOperationException("The order is not past a running deadline.");
        Escalate($"Missed the {missed.Name} deadline ({missed.Name}By {missed.At:O}).", actor, at);
    }

    /// <summary>
    /// The evaluation period passed without an evaluation: the scheduler closes the order, recorded
    /// as closed without evaluation. No rating, so it counts as completed but neither evaluated nor satisfied.
    /// </summary>
    public void CloseUnevaluated(TimeSpan evaluationPeriod, Actor actor, DateTimeOffset at)
    {
        if (State == OrderState.Resolved && !(ResolvedAt + evaluationPeriod <= at))
        {
            throw new InvalidOperationException("The evaluation period has not passed yet.");
        }
        var from = State;
        Lifecycle.Build(() => State, s => State = s, scheduler: true).Fire(OrderAction.CloseUnevaluated);
        ClosedAt = at;
        Record(OrderAction.CloseUnevaluated, from, actor, at, new()
        {
            ["resolvedAt"] = Stamp(ResolvedAt),
            ["evaluationPeriodDays"] = evaluationPeriod.TotalDays.ToString(CultureInfo.InvariantCulture),
        });
    }

    /// <summary>
    /// The department asks to resolve by a later time, with a reason. Acknowledged orders only, one
    /// request at a time; the time must be later than the current resolve deadline.
    /// </summary>
    public void RequestExtension(DateTimeOffset resolveBy, string reason, Actor actor, DateTimeOffset at)
    {
        // Whether the action is permitted at all is the lifecycle's to say (409); the time matters only if it is.
        if (AllowedActions().Contains(OrderAction.RequestExtension) && !(resolveBy > ResolveBy && resolveBy > at))
        {
            throw new OrderRuleException(nameof(resolveBy), $"resolveBy must be later than the current resolve deadline ({ResolveBy:O}) and than now.");
        }
        var from = Transition(OrderAction.RequestExtension);
        ExtensionRequestedAt = at;
        ExtensionRequestedBy = actor.Name;
        ExtensionResolveBy = resolveBy;
        ExtensionReason = reason;
        Record(OrderAction.RequestExtension, from, actor, at, new()
        {
            ["resolveBy"] = Stamp(resolveBy),
            ["currentResolveBy"] = Stamp(ResolveBy),
            ["reason"] = reason,
        });
    }

    /// <summary>A supervisor grants the pending request: the resolve deadline moves to the time asked for.</summary>
    public void ApproveExtension(string? note, Actor actor, DateTimeOffset at)
    {
        var from = Transition(OrderAction.ApproveExtension);
        var previous = ResolveBy;
        ResolveBy = ExtensionResolveBy;
        var requestedBy = ExtensionRequestedBy;
        ClearExtension();
        Record(OrderAction.ApproveExtension, from, actor, at, new()
        {
            ["resolveBy"] = Stamp(ResolveBy),
            ["previousResolveBy"] = Stamp(previous),
            ["requestedBy"] = requestedBy,
            ["note"] = note,
        });
    }

    /// <summary>A supervisor refuses the pending request; the resolve deadline stands.</summary>
    public void RefuseExtension(string reason, Actor actor, DateTimeOffset at)
    {
        var from = Transition(OrderAction.RefuseExtension);
        var requested = ExtensionResolveBy;
        var requestedBy = ExtensionRequestedBy;
        ClearExtension();
        Record(OrderAction.RefuseExtension, from, actor, at, new()
        {
            ["requestedResolveBy"] = Stamp(requested),
            ["requestedBy"] = requestedBy,
            ["reason"] = reason,
        });
    }

    private void ClearExtension()
    {
        ExtensionRequestedAt = null;
        ExtensionRequestedBy = null;
        ExtensionResolveBy = null;
        ExtensionReason = null;
    }
}
