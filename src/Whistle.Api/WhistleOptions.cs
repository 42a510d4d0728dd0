namespace Whistle.Api;

/// <summary>The service's own settings, under <c>Whistle</c> in configuration.</summary>
public sealed class WhistleOptions
{
    public const string Section = "Whistle";

    /// <summary>The district's time zone: bare dates in statistics periods are days there.</summary>
    public string TimeZone { get; set; } = "Asia/Shanghai";

    public TimeZoneInfo Zone => TimeZoneInfo.FindSystemTimeZoneById(TimeZone);

    public bool HasKnownTimeZone() => TimeZoneInfo.TryFindSystemTimeZoneById(TimeZone, out _);

    /// <summary>
    /// Where the embedded PostgreSQL keeps its data when no connection string is configured;
    /// defaults to WHISTLE_DATA_DIR or the user's data folder.
    /// </summary>
    public string? DataDirectory { get; set; }

    /// <summary>Whether this instance runs the deadline scheduler in the background (any number of instances may).</summary>
    public bool SchedulerEnabled { get; set; } = true;

    /// <summary>How often the scheduler looks for overdue and unevaluated orders.</summary>
    public TimeSpan SchedulerInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>An order escalated to the street and still overdue this long after goes to the district.</summary>
    public TimeSpan EscalateAgainAfter { get; set; } = TimeSpan.FromHours(24);

    /// <summary>A resolved order not evaluated within this many days is closed without evaluation.</summary>
    public double AutoCloseAfterDays { get; set; } = 7;

    /// <summary>Public holidays (dates, yyyy-MM-dd, in <see cref="TimeZone"/>): not working days.</summary>
    public List<string> Holidays { get; set; } = [];

    /// <summary>Weekend dates made working days (调休), yyyy-MM-dd.</summary>
    public List<string> Workdays { get; set; } = [];

    public bool HasValidCalendar() => Holidays.Concat(Workdays).All(d => DateOnly.TryParseExact(d, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out _));

    /// <summary>The district's working days, for resolve limits counted in working days.</summary>
    public Whistle.Domain.Orders.WorkingCalendar Calendar() => new(
        Zone,
        Holidays.Select(d => DateOnly.ParseExact(d, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)),
        Workdays.Select(d => DateOnly.ParseExact(d, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>How the district treats departments' returns (退单): <c>Whistle__Returns__Review=direct|supervisor</c>.</summary>
    public ReturnsOptions Returns { get; set; } = new();

    public bool HasValidSchedule() => SchedulerInterval > TimeSpan.Zero && EscalateAgainAfter > TimeSpan.Zero && AutoCloseAfterDays > 0;
}

/// <summary>Whether a return goes straight back to the community or first to the street supervisor's review.</summary>
public sealed class ReturnsOptions
{
    public ReturnReview Review { get; set; } = ReturnReview.Direct;
}

public enum ReturnReview
{
    /// <summary>A return goes straight back to the community (the default).</summary>
    Direct,
    /// <summary>A return waits for the street supervisor, who approves or refuses it.</summary>
    Supervisor,
}
