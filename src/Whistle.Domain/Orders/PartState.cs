namespace Whistle.Domain.Orders;

/// <summary>Where one summoned department's part of an order stands (吹哨报到: summoned, then reporting for duty).</summary>
public enum PartState
{
    /// <summary>Summoned by the whistle (or a later summons); its acknowledge deadline runs.</summary>
    Summoned,
    /// <summary>报到: the department has reported for duty, its acknowledgement.</summary>
    Reported,
    /// <summary>The department's share is done, with its result.</summary>
    Done,
    /// <summary>The department declined its part, with a reason.</summary>
    Declined,
    /// <summary>A supervisor released the department from its part (recorded, with who and why).</summary>
    Waived,
}

/// <summary>What can be done to a part; the triggers of <see cref="PartLifecycle"/>.</summary>
public enum PartAction
{
    Report,
    Complete,
    Decline,
    Waive,
    /// <summary>
    /// The scheduler presses a department that has not reported by its acknowledge deadline; the part
    /// does not move. Not a client action (no endpoint; guarded in <see cref="PartLifecycle"/>).
    /// </summary>
    Escalate,
}

/// <summary>A summoned department's role in an order: the lead (主办) handles and resolves it; co-handlers (协办) assist.</summary>
public enum PartRole
{
    Lead,
    CoHandler,
}

/// <summary>Why a department returns an order (退单), from the fixed list the review works with.</summary>
public enum ReturnReasonCode
{
    NotOurDuty,
    OutsideDistrict,
    Duplicate,
    InsufficientInformation,
}
