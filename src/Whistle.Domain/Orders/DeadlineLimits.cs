namespace Whistle.Domain.Orders;

/// <summary>
/// How long a department has to acknowledge and to resolve an order once it is whistled; the
/// resolve limit counts only working days' time when <paramref name="ResolveCalendar"/> is given.
/// </summary>
public sealed record DeadlineLimits(TimeSpan AcknowledgeWithin, TimeSpan ResolveWithin, WorkingCalendar? ResolveCalendar = null)
{
    /// <summary>The resolve deadline for a dispatch (or reopen) at <paramref name="at"/>.</summary>
    public DateTimeOffset ResolveByFrom(DateTimeOffset at) =>
        ResolveCalendar?.AddWorkingTime(at, ResolveWithin) ?? at + ResolveWithin;
}
