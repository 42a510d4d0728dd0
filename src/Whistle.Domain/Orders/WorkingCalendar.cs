namespace Whistle.Domain.Orders;

/// <summary>
/// The district's working days: Monday to Friday in its time zone, less public holidays, plus the
/// weekend days officially made working days (调休). Deadlines counted in working days skip the
/// rest, whole local days at a time.
/// </summary>
public sealed class WorkingCalendar(TimeZoneInfo zone, IEnumerable<DateOnly> holidays, IEnumerable<DateOnly> workdays)
{
    private sealed record Days(HashSet<DateOnly> Holidays, HashSet<DateOnly> Workdays);

    private volatile Days _days = new([.. holidays], [.. workdays]);

    public TimeZoneInfo Zone { get; } = zone;

    /// <summary>
    /// The district published a new calendar: deadlines stamped from now on use it (those stamped
    /// before stay as they were). Swapped whole, so a deadline is never counted on half of each.
    /// </summary>
    public void Use(IEnumerable<DateOnly> holidays, IEnumerable<DateOnly> workdays) => _days = new([.. holidays], [.. workdays]);

    public bool IsWorkingDay(DateOnly day) => IsWorkingDay(_days, day);

    private static bool IsWorkingDay(Days days, DateOnly day) =>
        days.Workdays.Contains(day) || (day.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday) && !days.Holidays.Contains(day));

    /// <summary>
    /// The moment <paramref name="duration"/> of working days' time has passed after <paramref name="from"/>:
    /// each working day counts its whole 24 hours, other days count nothing (a 24-hour limit set on a
    /// Friday afternoon ends on Monday afternoon, or Tuesday's when Monday is a holiday).
    /// </summary>
    public DateTimeOffset AddWorkingTime(DateTimeOffset from, TimeSpan duration)
    {
        var calendar = _days;
        var at = from;
        var remaining = duration;
        // Ten years of days is far beyond any limit; it bounds the walk should a calendar have no working day.
        for (var days = 0; remaining > TimeSpan.Zero && days < 3660; days++)
        {
            var local = TimeZoneInfo.ConvertTime(at, Zone);
            var day = DateOnly.FromDateTime(local.DateTime);
            var nextDay = StartOf(day.AddDays(1));
            if (IsWorkingDay(calendar, day))
            {
                var step = nextDay - at < remaining ? nextDay - at : remaining;
                at += step;
                remaining -= step;
            }
            else
            {
                at = nextDay;
            }
        }
        return at;
    }

    private DateTimeOffset StartOf(DateOnly day)
    {
        var local = day.ToDateTime(TimeOnly.MinValue);
        // A midnight skipped by a clock change: the first moment of the day that exists.
        while (Zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(30);
        }
        return new DateTimeOffset(local, Zone.GetUtcOffset(local)).ToUniversalTime();
    }
}
