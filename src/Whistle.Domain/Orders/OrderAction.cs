namespace Whistle.Domain.Orders;

/// <summary>What someone can do to an order; the triggers of its lifecycle.</summary>
public enum OrderAction
{
    Whistle,
    HandleLocally,
    Acknowledge,
    Return,
    Resolve,
    Evaluate,
    Cancel,
    /// <summary>督办: a supervisor presses the department about an overdue order; the state does not change.</summary>
    Escalate,
    /// <summary>
    /// The scheduler closes a resolved order the community did not evaluate in time: closed without
    /// evaluation, no rating. Not a client action (no endpoint; guarded in <see cref="Lifecycle"/>).
    /// </summary>
    CloseUnevaluated,
    /// <summary>The department asks for a later resolve deadline, with a reason; one request pending at a time.</summary>
    RequestExtension,
    /// <summary>A supervisor grants the pending request: resolveBy moves to the time asked for.</summary>
    ApproveExtension,
    /// <summary>A supervisor refuses the pending request, with a reason; the deadline stands.</summary>
    RefuseExtension,
    /// <summary>
    /// A supervisor sends the order to another department (改派): from whistled, acknowledged or
    /// returned (settling a dispute over whose duty it is); it is whistled afresh there.
    /// </summary>
    Reassign,
    /// <summary>加派: the community or a supervisor summons one more co-handling department into a running order.</summary>
    Summon,
    /// <summary>The street supervisor approves a return under review: the order goes back to the community.</summary>
    ApproveReturn,
    /// <summary>The street supervisor refuses a return under review: back to the department, deadlines unchanged.</summary>
    RefuseReturn,
    /// <summary>
    /// 并单: a community or supervisor merges a repeat report into the order that tracks the same
    /// problem; the repeat ends merged, pointing at that order, whose history records it.
    /// </summary>
    Merge,
}
