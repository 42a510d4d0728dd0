namespace Whistle.Api.Infrastructure;

public static class ClockExtensions
{
    /// <summary>
    /// Now, to the microsecond: PostgreSQL keeps microseconds, so a time the API answers with is the
    /// time it will read back later, in responses and history alike.
    /// </summary>
    public static DateTimeOffset Now(this TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        return now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMicrosecond));
    }
}
