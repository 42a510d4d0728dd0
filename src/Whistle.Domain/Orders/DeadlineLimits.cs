namespace Whistle.Domain.Orders;

/// <summary>How long a department has to acknowledge and to resolve an order once it is whistled.</summary>
public sealed record DeadlineLimits(TimeSpan AcknowledgeWithin, TimeSpan ResolveWithin);
