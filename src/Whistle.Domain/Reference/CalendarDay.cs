namespace Whistle.Domain.Reference;

/// <summary>What a day in the district's calendar is, against the Monday-to-Friday week.</summary>
public enum CalendarDayKind
{
    /// <summary>A public holiday: no working day even on a weekday.</summary>
    Holiday,
    /// <summary>A weekend day made a working day (调休).</summary>
    Workday,
}

/// <summary>One exception to the Monday-to-Friday week, as the district publishes them each winter.</summary>
public sealed class CalendarDay
{
    public required DateOnly Date { get; init; }
    public required CalendarDayKind Kind { get; set; }
    /// <summary>What it is for people (春节, 国庆节调休); optional.</summary>
    public string? Name { get; set; }
}
