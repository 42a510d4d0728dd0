namespace Whistle.Domain.Orders;

/// <summary>The order's state does not permit the action.</summary>
public sealed class ActionNotPermittedException(OrderAction action, OrderState state, IReadOnlyList<OrderAction> allowedActions)
    : InvalidOperationException(
        $"An order that is {WireName.Of(state)} cannot take '{WireName.Of(action)}'.")
{
    public OrderAction Action { get; } = action;
    public OrderState State { get; } = state;
    public IReadOnlyList<OrderAction> AllowedActions { get; } = allowedActions;
}

/// <summary>The caller acted on a version of the order that is no longer current.</summary>
public sealed class StaleOrderVersionException(int currentVersion)
    : InvalidOperationException($"The order has changed since it was read; its current version is {currentVersion}.")
{
    public int CurrentVersion { get; } = currentVersion;
}

/// <summary>
/// The action is permitted, but a value given for it breaks one of the order's rules (an extension
/// that ends too early, a reassignment to the department that has it): the caller's input, named by
/// <see cref="Field"/>, is at fault, so the API answers 400 with that field's error.
/// </summary>
public sealed class OrderRuleException(string field, string message) : Exception(message)
{
    /// <summary>The request field the rule concerns, as the API names it (<c>resolveBy</c>).</summary>
    public string Field { get; } = field;
}
