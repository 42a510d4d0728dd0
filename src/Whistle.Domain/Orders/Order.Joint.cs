namespace Whistle.Domain.Orders;

/// <summary>
/// Joint handling (主办/协办): the lead department the order is whistled to, and the co-handling
/// departments summoned with it, each with its own part (<see cref="PartLifecycle"/>). The lead's
/// part is the order's own acknowledge and resolve; resolving waits for every co-handler part to be
/// done, declined or waived.
/// </summary>
/// <remarks>
/// What the order's other actions do to the parts, stated here once: a return, its review and a
/// cancellation leave them as they are (an order that is not running moves no part and makes none
/// late); a re-whistle renews the acknowledge deadline of each part still summoned and may summon
/// more; a reassignment moves only the lead; an unsatisfied evaluation reopens the order to the lead
/// alone, and the co-handlers' parts stay settled as they were (the lead may summon again).
/// </remarks>
public sealed partial class Order
{
    private readonly List<OrderPart> _coHandlerParts = [];
    private readonly List<OrderPart> _changedParts = [];

    /// <summary>The co-handling departments, in the order they were summoned: who sees the order besides the lead.</summary>
    public string[] CoDepartmentCodes { get; private set; } = [];

    /// <summary>The co-handlers' parts (loaded by the store when <see cref="CoDepartmentCodes"/> names any).</summary>
    public IReadOnlyList<OrderPart> CoHandlerParts => _coHandlerParts;

    /// <summary>Every part: the lead's first (once whistled), then the co-handlers'.</summary>
    public IReadOnlyList<OrderPart> Parts => OrderPart.LeadOf(this) is { } lead ? [lead, .. _coHandlerParts] : _coHandlerParts;

    /// <summary>Parts summoned or changed since the order was loaded; the store writes them with the change.</summary>
    public IReadOnlyList<OrderPart> ChangedParts => _changedParts;

    /// <summary>Whether nothing holds up the resolve: every co-handler part done, declined or waived.</summary>
    public bool PartsSettled => _coHandlerParts.TrueForAll(p => p.Settled);

    /// <summary>The store hands over the stored parts of a loaded order.</summary>
    public void AttachParts(IEnumerable<OrderPart> parts)
    {
        _coHandlerParts.Clear();
        _coHandlerParts.AddRange(parts.Where(p => p.OrderId == Id).OrderBy(p => Array.IndexOf(CoDepartmentCodes, p.DepartmentCode)));
    }

    public void PartsSaved() => _changedParts.Clear();

    /// <summary>加派: the community or a supervisor summons one more department into the running order.</summary>
    public void Summon(string departmentCode, DeadlineLimits limits, Actor actor, DateTimeOffset at)
    {
        if (AllowedActions().Contains(OrderAction.Summon))
        {
            EnsureLeadNotCoHandling(DepartmentCode!, [departmentCode]);
            if (CoDepartmentCodes.Contains(departmentCode))
            {
                throw new OrderRuleException("departmentCode", $"'{departmentCode}' already co-handles this order.");
            }
        }
        var from = Transition(OrderAction.Summon);
        var details = new Dictionary<string, string?>();
        SummonWith([departmentCode], limits, actor, at, details, renewSummoned: false);
        Record(OrderAction.Summon, from, actor, at, details);
    }

    /// <summary>The department reports for duty (报到) on its part: its acknowledgement.</summary>
    public void ReportPart(string departmentCode, string? note, Actor actor, DateTimeOffset at) =>
        ActOnPart(departmentCode, PartAction.Report, actor, at, part =>
        {
            part.ReportedAt = at;
            return new() { ["note"] = note, ["acknowledgeBy"] = Stamp(part.AcknowledgeBy) };
        });

    /// <summary>The department's share is done, with its result.</summary>
    public void CompletePart(string departmentCode, string result, Actor actor, DateTimeOffset at) =>
        ActOnPart(departmentCode, PartAction.Complete, actor, at, part =>
        {
            part.DoneAt = at;
            part.Result = result;
            return new() { ["result"] = result };
        });

    /// <summary>The department declines its part, with a reason; the lead goes on without it.</summary>
    public void DeclinePart(string departmentCode, string reason, Actor actor, DateTimeOffset at) =>
        ActOnPart(departmentCode, PartAction.Decline, actor, at, part =>
        {
            part.DeclinedAt = at;
            part.DeclineReason = reason;
            return new() { ["reason"] = reason };
        });

    /// <summary>A supervisor releases the department from its part, recorded with who and why.</summary>
    public void WaivePart(string departmentCode, string reason, Actor actor, DateTimeOffset at) =>
        ActOnPart(departmentCode, PartAction.Waive, actor, at, part =>
        {
            part.WaivedAt = at;
            part.WaivedBy = actor.Name;
            part.WaiveReason = reason;
            return new() { ["reason"] = reason };
        });

    /// <summary>
    /// The co-handler parts the scheduler presses now: late (<see cref="OrderPart.IsOverdue"/>) and not
    /// pressed yet, or pressed once at least <paramref name="again"/> ago and still late (as orders go
    /// to the street, then the district).
    /// </summary>
    public IReadOnlyList<OrderPart> PartsDueEscalationAt(DateTimeOffset now, TimeSpan again) =>
        _coHandlerParts.Where(p => p.IsOverdue(State, now)
            && (p.EscalationCount == 0 || (p.EscalationCount == 1 && p.LastEscalatedAt <= now - again))).ToArray();

    /// <summary>The scheduler presses a co-handler that has not reported by its acknowledge deadline.</summary>
    public void EscalatePart(string departmentCode, Actor actor, DateTimeOffset at)
    {
        var part = CoHandlerPart(departmentCode);
        if (!part.IsOverdue(State, at))
        {
            throw new InvalidOperationException("The part is not past its acknowledge deadline.");
        }
        ActOnPart(departmentCode, PartAction.Escalate, actor, at, p =>
        {
            p.EscalationCount++;
            p.LastEscalatedAt = at;
            return new()
            {
                ["level"] = WireName.Of(p.EscalationCount == 1 ? EscalationLevel.Street : EscalationLevel.District),
                ["reason"] = $"Missed the acknowledge deadline of its part (acknowledgeBy {p.AcknowledgeBy:O}).",
            };
        }, scheduler: true);
    }

    /// <summary>The name history gives a part action: <c>report-part</c>, <c>waive-part</c>, …</summary>
    public static string HistoryActionOf(PartAction action) => WireName.Of(action) + "-part";

    /// <summary>The part action a history entry records, if it records one.</summary>
    public static bool TryParsePartAction(string historyAction, out PartAction action)
    {
        action = default;
        return historyAction.EndsWith("-part", StringComparison.Ordinal)
            && WireName.TryParse(historyAction[..^"-part".Length], out action);
    }

    private void ActOnPart(string departmentCode, PartAction action, Actor actor, DateTimeOffset at,
        Func<OrderPart, Dictionary<string, string?>> apply, bool scheduler = false)
    {
        var part = CoHandlerPart(departmentCode);
        var from = part.State;
        PartLifecycle.Build(() => part.State, s => part.State = s, () => PartLifecycle.Running(State), scheduler).Fire(action, departmentCode);
        var details = apply(part);
        details["departmentCode"] = departmentCode;
        details["fromPartState"] = WireName.Of(from);
        details["toPartState"] = WireName.Of(part.State);
        Changed(part);
        Record(HistoryActionOf(action), State, actor, at, details);
    }

    private OrderPart CoHandlerPart(string departmentCode) =>
        _coHandlerParts.Find(p => p.DepartmentCode == departmentCode)
        ?? throw new PartNotFoundException(departmentCode == DepartmentCode
            ? $"'{departmentCode}' leads this order: its part moves with the order's own acknowledge and resolve."
            : $"'{departmentCode}' has no part in this order.");

    /// <summary>
    /// Summons each department not yet co-handling; renews the acknowledge deadline of each part
    /// still summoned (a re-whistle gives them the time afresh, as it gives the lead).
    /// </summary>
    private void SummonWith(IReadOnlyList<string> coDepartmentCodes, DeadlineLimits limits, Actor actor, DateTimeOffset at,
        Dictionary<string, string?> details, bool renewSummoned)
    {
        var acknowledgeBy = at + limits.AcknowledgeWithin;
        // Only a (re-)whistle gives the parts still summoned their time afresh; summoning one more department leaves the others' deadlines.
        foreach (var part in _coHandlerParts.Where(p => renewSummoned && p.State == PartState.Summoned))
        {
            part.AcknowledgeBy = acknowledgeBy;
            Changed(part);
        }
        var summoned = new List<string>();
        foreach (var code in coDepartmentCodes.Distinct())
        {
            if (CoDepartmentCodes.Contains(code))
            {
                continue;
            }
            var part = OrderPart.Summon(Id, code, acknowledgeBy, actor, at);
            _coHandlerParts.Add(part);
            CoDepartmentCodes = [.. CoDepartmentCodes, code];
            Changed(part);
            summoned.Add(code);
        }
        if (summoned.Count > 0)
        {
            details["coDepartmentCodes"] = string.Join(",", summoned);
            details["partAcknowledgeBy"] = Stamp(acknowledgeBy);
        }
    }

    private void EnsureLeadNotCoHandling(string lead, IReadOnlyList<string> coDepartmentCodes)
    {
        if (coDepartmentCodes.Contains(lead))
        {
            throw new OrderRuleException("coDepartmentCodes", $"'{lead}' leads the order; it cannot co-handle it as well.");
        }
        if (CoDepartmentCodes.Contains(lead))
        {
            throw new OrderRuleException("departmentCode", $"'{lead}' co-handles this order; it cannot lead it as well.");
        }
    }

    private void Changed(OrderPart part)
    {
        if (!_changedParts.Contains(part))
        {
            _changedParts.Add(part);
        }
    }
}
