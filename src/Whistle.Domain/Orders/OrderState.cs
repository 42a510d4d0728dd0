namespace Whistle.Domain.Orders;

/// <summary>Where an order stands in the whistle loop.</summary>
public enum OrderState
{
    /// <summary>Filed by a grid worker; not yet sent to any department.</summary>
    Discovered,
    /// <summary>Dispatched to a department; the acknowledge and resolve deadlines run.</summary>
    Whistled,
    /// <summary>The department has signed for it and is handling it.</summary>
    Acknowledged,
    /// <summary>Sent back by a department as outside its duties; the community re-whistles or cancels.</summary>
    Returned,
    /// <summary>The department reports it done; awaiting the community's evaluation.</summary>
    Resolved,
    /// <summary>Evaluated satisfied (or basically satisfied): the loop is closed.</summary>
    Closed,
    /// <summary>The community fixed it itself; never whistled.</summary>
    HandledLocally,
    /// <summary>Withdrawn, or found invalid or a duplicate.</summary>
    Cancelled,
    /// <summary>退单审核: a department's return awaits the street supervisor (where returns are reviewed); the department keeps it meanwhile.</summary>
    ReturnUnderReview,
    /// <summary>并单: a repeat report merged into the order that tracks the same problem (its mergedInto); counted once, there.</summary>
    Merged,
}
