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
}
