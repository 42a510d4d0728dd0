using System.Globalization;
using Whistle.Domain.Reference;

namespace Whistle.Domain.Orders;

/// <summary>
/// A community whistle work order: a problem a grid worker found, and its way through the
/// departments to a result the community accepts. Every change goes through <see cref="Lifecycle"/>,
/// bumps <see cref="Version"/> and leaves a history entry.
/// </summary>
public sealed partial class Order
{
    private readonly List<OrderHistoryEntry> _newHistory = [];

    public Guid Id { get; private set; }
    /// <summary>Sequential number given by the store; the code people read is <see cref="OrderCode.Format"/> of it.</summary>
    public long Number { get; private set; }
    public int Version { get; private set; }
    public OrderState State { get; private set; }

    public string Title { get; private set; } = "";
    public string Description { get; private set; } = "";
    public string CategoryCode { get; private set; } = "";
    public string GridCode { get; private set; } = "";
    public string CommunityCode { get; private set; } = "";
    public string StreetCode { get; private set; } = "";
    public Location Location { get; private set; } = null!;
    public Priority Priority { get; private set; }

    /// <summary>The department it is whistled to now; none before the whistle and after a return.</summary>
    public string? DepartmentCode { get; private set; }
    /// <summary>The department that last returned it, so a re-whistle does not bounce it straight back.</summary>
    public string? ReturnedByDepartmentCode { get; private set; }

    public string FiledBy { get; private set; } = "";
    public DateTimeOffset FiledAt { get; private set; }
    /// <summary>The first whistle: the moment the order counts towards the district's figures.</summary>
    public DateTimeOffset? FirstWhistledAt { get; private set; }
    /// <summary>The latest whistle; the milestones after it belong to this dispatch.</summary>
    public DateTimeOffset? WhistledAt { get; private set; }
    /// <summary>When the current dispatch was acknowledged; cleared by a re-whistle.</summary>
    public DateTimeOffset? AcknowledgedAt { get; private set; }
    public DateTimeOffset? ReturnedAt { get; private set; }
    /// <summary>When the current resolution was reported; cleared by a reopen.</summary>
    public DateTimeOffset? ResolvedAt { get; private set; }
    public DateTimeOffset? EvaluatedAt { get; private set; }
    public DateTimeOffset? ClosedAt { get; private set; }
    public DateTimeOffset? HandledLocallyAt { get; private set; }
    public DateTimeOffset? CancelledAt { get; private set; }

    /// <summary>
    /// The order's first acknowledgement and the deadline it answered: the response rate counts
    /// orders first acknowledged in time, whatever happened to later dispatches.
    /// </summary>
    public DateTimeOffset? FirstAcknowledgedAt { get; private set; }
    public DateTimeOffset? FirstAcknowledgeBy { get; private set; }
    public DateTimeOffset? LastEscalatedAt { get; private set; }

    public DateTimeOffset? AcknowledgeBy { get; private set; }
    public DateTimeOffset? ResolveBy { get; private set; }

    public int WhistleCount { get; private set; }
    public int ReturnCount { get; private set; }
    public int ReopenCount { get; private set; }
    public int EscalationCount { get; private set; }
    public EscalationLevel EscalationLevel { get; private set; }

    /// <summary>What the department (or, handled locally, the community) did about it.</summary>
    public string? Result { get; private set; }
    public string? ReturnReason { get; private set; }
    public Rating? Rating { get; private set; }
    public string? EvaluationComment { get; private set; }
    public CancelReason? CancelReason { get; private set; }

    /// <summary>The department's pending request for a later resolve deadline: when, by whom, to when and why.</summary>
    public DateTimeOffset? ExtensionRequestedAt { get; private set; }
    public string? ExtensionRequestedBy { get; private set; }
    public DateTimeOffset? ExtensionResolveBy { get; private set; }
    public string? ExtensionReason { get; private set; }

    public bool ExtensionPending => ExtensionRequestedAt is not null;

    /// <summary>The order this one was merged into (并单), when it was a repeat report; reads of this one point there.</summary>
    public Guid? MergedInto { get; private set; }
    public DateTimeOffset? MergedAt { get; private set; }

    /// <summary>
    /// The order its reporter said this one repeats ("this is the same problem", chosen among the possible
    /// duplicates shown before filing): a hint for the community, who merges the two (<see cref="MergeInto"/>)
    /// or not. The number gives the code people read without a second look-up; neither ever changes.
    /// </summary>
    public Guid? SameProblemAsId { get; private set; }
    public long? SameProblemAsNumber { get; private set; }

    /// <summary>What the surviving order's history records when a repeat report is merged into it.</summary>
    public const string DuplicateMergedAction = "duplicate-merged";

    private Order() { }

    /// <summary>History entries made since the order was loaded; the store appends them with the change.</summary>
    public IReadOnlyList<OrderHistoryEntry> NewHistory => _newHistory;

    public IReadOnlyList<OrderAction> AllowedActions() => Lifecycle.AllowedActions(State, ExtensionPending, PartsSettled);

    /// <summary>The store numbers orders as it saves them (the code people read comes from it); once.</summary>
    public void AssignNumber(long number)
    {
        if (Number != 0)
        {
            throw new InvalidOperationException($"The order already has number {Number}.");
        }
        Number = number;
    }

    /// <summary>The version the store holds, before the changes made since loading (each change is one version).</summary>
    public int StoredVersion => Version - _newHistory.Count;

    /// <summary>The store has written the new history with the order: it is no longer new.</summary>
    public void HistorySaved() => _newHistory.Clear();

    public static Order File(
        Guid id, string title, string description, Category category, Grid grid, Community community,
        Location location, Priority priority, Actor actor, DateTimeOffset at, Order? sameProblemAs = null)
    {
        var order = new Order
        {
            Id = id,
            State = OrderState.Discovered,
            Title = title,
            Description = description,
            CategoryCode = category.Code,
            GridCode = grid.Code,
            CommunityCode = community.Code,
            StreetCode = community.StreetCode,
            Location = location,
            Priority = priority,
            FiledBy = actor.Name,
            FiledAt = at,
            SameProblemAsId = sameProblemAs?.Id,
            SameProblemAsNumber = sameProblemAs?.Number,
        };
        var details = new Dictionary<string, string?>
        {
            ["title"] = title,
            ["description"] = description,
            ["categoryCode"] = category.Code,
            ["gridCode"] = grid.Code,
            ["latitude"] = location.Latitude.ToString("R", CultureInfo.InvariantCulture),
            ["longitude"] = location.Longitude.ToString("R", CultureInfo.InvariantCulture),
            ["address"] = location.Address,
            ["priority"] = WireName.Of(priority),
        };
        if (sameProblemAs is not null)
        {
            details["sameProblemAsId"] = sameProblemAs.Id.ToString();
            details["sameProblemAsCode"] = OrderCode.Format(sameProblemAs.Number);
        }
        order.Record(OrderHistoryEntry.FileAction, null, actor, at, details);
        return order;
    }

    /// <summary>
    /// Dispatches the order to a department and starts its deadlines; <paramref name="routedBy"/>
    /// names the duty catalogue entry that chose the department when the caller named none.
    /// </summary>
    /// <param name="coDepartmentCodes">Departments summoned to co-handle (协办), each with its own part; see <see cref="SummonWith"/>.</param>
    public void Whistle(string departmentCode, DeadlineLimits limits, Actor actor, DateTimeOffset at,
        IReadOnlyList<string>? coDepartmentCodes = null, string? routedBy = null)
    {
        EnsureLeadNotCoHandling(departmentCode, coDepartmentCodes ?? []);
        var from = Transition(OrderAction.Whistle);
        DepartmentCode = departmentCode;
        FirstWhistledAt ??= at;
        WhistledAt = at;
        AcknowledgedAt = null;
        WhistleCount++;
        AcknowledgeBy = at + limits.AcknowledgeWithin;
        ResolveBy = limits.ResolveByFrom(at);
        var details = new Dictionary<string, string?>
        {
            ["departmentCode"] = departmentCode,
            ["acknowledgeBy"] = Stamp(AcknowledgeBy),
            ["resolveBy"] = Stamp(ResolveBy),
        };
        if (routedBy is not null)
        {
            details["routedBy"] = routedBy;
        }
        SummonWith(coDepartmentCodes ?? [], limits, actor, at, details, renewSummoned: true);
        Record(OrderAction.Whistle, from, actor, at, details);
    }

    /// <summary>
    /// 改派: a supervisor sends the order to another department, which receives it as a fresh
    /// whistle (new deadlines, not yet acknowledged); the department it leaves loses it.
    /// </summary>
    public void Reassign(string departmentCode, DeadlineLimits limits, string reason, Actor actor, DateTimeOffset at)
    {
        if (departmentCode == DepartmentCode)
        {
            throw new OrderRuleException("departmentCode", $"The order is already with '{departmentCode}'.");
        }
        EnsureLeadNotCoHandling(departmentCode, []);
        var from = Transition(OrderAction.Reassign);
        ClearExtension();
        var previous = DepartmentCode ?? ReturnedByDepartmentCode;
        DepartmentCode = departmentCode;
        FirstWhistledAt ??= at;
        WhistledAt = at;
        AcknowledgedAt = null;
        WhistleCount++;
        AcknowledgeBy = at + limits.AcknowledgeWithin;
        ResolveBy = limits.ResolveByFrom(at);
        Record(OrderAction.Reassign, from, actor, at, new()
        {
            ["departmentCode"] = departmentCode,
            ["previousDepartmentCode"] = previous,
            ["reason"] = reason,
            ["acknowledgeBy"] = Stamp(AcknowledgeBy),
            ["resolveBy"] = Stamp(ResolveBy),
        });
    }

    public void HandleLocally(string result, Actor actor, DateTimeOffset at)
    {
        var from = Transition(OrderAction.HandleLocally);
        Result = result;
        HandledLocallyAt = at;
        Record(OrderAction.HandleLocally, from, actor, at, new() { ["result"] = result });
    }

    public void Acknowledge(string? note, Actor actor, DateTimeOffset at)
    {
        var from = Transition(OrderAction.Acknowledge);
        AcknowledgedAt = at;
        if (FirstAcknowledgedAt is null)
        {
            FirstAcknowledgedAt = at;
            FirstAcknowledgeBy = AcknowledgeBy;
        }
        Record(OrderAction.Acknowledge, from, actor, at, new() { ["note"] = note });
    }

    /// <summary>The department sends it back as not its duty; the deadlines stop until it is whistled again.</summary>
    /// <param name="reviewed">
    /// Returns go to the street supervisor's review (<see cref="OrderState.ReturnUnderReview"/>) rather
    /// than straight back; the department keeps the order, and its deadlines, until the review.
    /// </param>
    public void Return(string reason, Actor actor, DateTimeOffset at, ReturnReasonCode? reasonCode = null, string? basis = null, bool reviewed = false)
    {
        var from = Transition(OrderAction.Return, reviewReturn: reviewed);
        ClearExtension();
        var department = DepartmentCode;
        ReturnReason = reason;
        ReturnReasonCode = reasonCode;
        ReturnBasis = basis;
        ReturnCount++;
        if (State == OrderState.Returned)
        {
            SendBack(at);
        }
        var details = new Dictionary<string, string?> { ["reason"] = reason, ["departmentCode"] = department };
        if (reasonCode is { } code)
        {
            details["reasonCode"] = WireName.Of(code);
        }
        if (basis is not null)
        {
            details["basis"] = basis;
        }
        Record(OrderAction.Return, from, actor, at, details);
    }

    /// <summary>The return takes effect: the order goes back to the community, its department and deadlines cleared.</summary>
    private void SendBack(DateTimeOffset at)
    {
        ReturnedByDepartmentCode = DepartmentCode;
        DepartmentCode = null;
        ReturnedAt = at;
        AcknowledgeBy = null;
        ResolveBy = null;
    }

    public void Resolve(string result, Actor actor, DateTimeOffset at)
    {
        var from = Transition(OrderAction.Resolve);
        ClearExtension();
        Result = result;
        ResolvedAt = at;
        Record(OrderAction.Resolve, from, actor, at, new() { ["result"] = result });
    }

    /// <summary>
    /// Satisfied or basically satisfied closes the order; unsatisfied reopens it with the same
    /// department, which gets a fresh resolve deadline from now.
    /// </summary>
    public void Evaluate(Rating rating, string? comment, DeadlineLimits limits, Actor actor, DateTimeOffset at)
    {
        var from = Transition(OrderAction.Evaluate, rating);
        Rating = rating;
        EvaluationComment = comment;
        EvaluatedAt = at;
        if (State == OrderState.Closed)
        {
            ClosedAt = at;
        }
        else
        {
            // Reopened: the resolution did not hold, so it no longer stands as the order's result.
            ReopenCount++;
            ResolvedAt = null;
            Result = null;
            ResolveBy = limits.ResolveByFrom(at);
        }
        Record(OrderAction.Evaluate, from, actor, at, new()
        {
            ["rating"] = WireName.Of(rating),
            ["comment"] = comment,
            ["resolveBy"] = State == OrderState.Closed ? null : Stamp(ResolveBy),
        });
    }

    public void Cancel(CancelReason reason, string? comment, Actor actor, DateTimeOffset at)
    {
        var from = Transition(OrderAction.Cancel);
        CancelReason = reason;
        CancelledAt = at;
        AcknowledgeBy = null;
        ResolveBy = null;
        Record(OrderAction.Cancel, from, actor, at, new() { ["reason"] = WireName.Of(reason), ["comment"] = comment });
    }

    /// <summary>
    /// 并单: this order repeats the problem <paramref name="survivor"/> tracks. It ends merged, its
    /// deadlines stopped, pointing at the survivor; the survivor's history records the repeat (who
    /// reported it and when), so the problem is handled, and counted, once. The survivor must be an
    /// order that counts: not cancelled, not itself merged.
    /// </summary>
    public void MergeInto(Order survivor, Actor actor, DateTimeOffset at)
    {
        if (AllowedActions().Contains(OrderAction.Merge))
        {
            if (survivor.Id == Id)
            {
                throw new OrderRuleException("intoOrderId", "An order cannot be merged into itself.");
            }
            if (survivor.State is OrderState.Cancelled or OrderState.Merged)
            {
                throw new OrderRuleException("intoOrderId",
                    $"{OrderCode.Format(survivor.Number)} is {WireName.Of(survivor.State)}: merge into the order that still tracks the problem.");
            }
        }
        var from = Transition(OrderAction.Merge);
        ClearExtension();
        MergedInto = survivor.Id;
        MergedAt = at;
        AcknowledgeBy = null;
        ResolveBy = null;
        var photos = string.Join(' ', HandPhotosTo(survivor).Select(p => p.Id));
        Record(OrderAction.Merge, from, actor, at, new()
        {
            ["intoOrderId"] = survivor.Id.ToString(),
            ["intoOrderCode"] = OrderCode.Format(survivor.Number),
            ["photosMoved"] = photos.Length == 0 ? null : photos,
        });
        survivor.Record(DuplicateMergedAction, survivor.State, actor, at, new()
        {
            ["duplicateOrderId"] = Id.ToString(),
            ["duplicateOrderCode"] = OrderCode.Format(Number),
            ["duplicateFiledBy"] = FiledBy,
            ["duplicateFiledAt"] = Stamp(FiledAt),
            ["photos"] = photos.Length == 0 ? null : photos,
        });
    }

    /// <summary>
    /// The department holding the order is retired: the order moves, as it stands (state and
    /// deadlines), to the department the administrator named. Not an action of the lifecycle.
    /// </summary>
    public void TransferTo(string departmentCode, string reason, Actor actor, DateTimeOffset at)
    {
        var previous = DepartmentCode;
        DepartmentCode = departmentCode;
        Record(TransferAction, State, actor, at, new()
        {
            ["departmentCode"] = departmentCode,
            ["previousDepartmentCode"] = previous,
            ["reason"] = reason,
        });
    }

    /// <summary>
    /// Re-division: the order moves, as it stands, to a grid in another community or street. Only
    /// when an administrator asks for it; otherwise an order keeps the place it was filed in.
    /// </summary>
    public void Rehome(Grid grid, Community community, string reason, Actor actor, DateTimeOffset at)
    {
        var (previousGrid, previousCommunity, previousStreet) = (GridCode, CommunityCode, StreetCode);
        GridCode = grid.Code;
        CommunityCode = community.Code;
        StreetCode = community.StreetCode;
        Record(RehomeAction, State, actor, at, new()
        {
            ["gridCode"] = GridCode,
            ["communityCode"] = CommunityCode,
            ["streetCode"] = StreetCode,
            ["previousGridCode"] = previousGrid,
            ["previousCommunityCode"] = previousCommunity,
            ["previousStreetCode"] = previousStreet,
            ["reason"] = reason,
        });
    }

    /// <summary>History's names for the reference data's changes to an order (not lifecycle actions).</summary>
    public const string TransferAction = "transfer";

    public const string RehomeAction = "rehome";

    /// <summary>Whether the order is still being worked on: not closed, handled locally or cancelled.</summary>
    public bool IsOpen => IsOpenIn(State);

    /// <summary>"Open", stated once: every state but the four an order finishes in (a merged one lives on in the order it joined).</summary>
    public static bool IsOpenIn(OrderState state) => state is not (OrderState.Closed or OrderState.HandledLocally or OrderState.Cancelled or OrderState.Merged);

    /// <summary>The states in which an order is open, found by asking <see cref="IsOpenIn"/> (for a query by the state index).</summary>
    public static readonly IReadOnlyList<OrderState> OpenStates = Enum.GetValues<OrderState>().Where(IsOpenIn).ToArray();

    /// <summary>
    /// Refuses a change made against versions other than the one stored (an <c>If-Match</c> that no
    /// longer matches). No versions given means the caller accepts whatever is current.
    /// </summary>
    public void EnsureVersion(IReadOnlyCollection<int>? acceptable)
    {
        if (acceptable is not null && !acceptable.Contains(Version))
        {
            throw new StaleOrderVersionException(Version);
        }
    }

    private Lifecycle.Machine Machine(bool reviewReturn = false) => Lifecycle.Build(
        () => State, s => State = s, extensionPending: () => ExtensionPending, partsSettled: () => PartsSettled,
        reviewReturns: () => reviewReturn, acknowledged: () => AcknowledgedAt is not null);

    private OrderState Transition(OrderAction action, Rating? rating = null, bool reviewReturn = false)
    {
        var from = State;
        Machine(reviewReturn).Fire(action, rating);
        return from;
    }

    private void Record(OrderAction action, OrderState from, Actor actor, DateTimeOffset at, Dictionary<string, string?> details) =>
        Record(WireName.Of(action), from, actor, at, details);

    private void Record(string action, OrderState? from, Actor actor, DateTimeOffset at, Dictionary<string, string?> details)
    {
        Version++;
        _newHistory.Add(new OrderHistoryEntry(Id, Version, action, from, State, actor, at, details));
    }

    private static string? Stamp(DateTimeOffset? at) => at?.ToString("O");
}

/// <summary>A running deadline an order has missed: <c>acknowledge</c> or <c>resolve</c>, and when it was.</summary>
public sealed record MissedDeadline(string Name, DateTimeOffset At);
