using Whistle.Domain.Orders;

namespace Whistle.Domain.Tests;

/// <summary>Resolve limits counted in working days, Asia/Shanghai; March 2026 begins on a Sunday.</summary>
public class WorkingCalendarTests
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
    private static readonly TimeSpan China = TimeSpan.FromHours(8);

    private static WorkingCalendar Calendar(DateOnly[]? holidays = null, DateOnly[]? workdays = null) =>
        new(Shanghai, holidays ?? [], workdays ?? []);

    private static DateTimeOffset Local(int day, int hour) => new(2026, 3, day, hour, 0, 0, China);

    [Theory]
    [InlineData(2, 9, 24, 3, 9)] // Monday morning: Tuesday morning
    [InlineData(6, 16, 24, 9, 16)] // Friday afternoon: Monday afternoon, the weekend skipped
    [InlineData(7, 10, 24, 10, 0)] // Saturday: counting starts on Monday at midnight
    [InlineData(6, 16, 72, 11, 16)] // three working days from Friday: Wednesday
    [InlineData(6, 16, 8, 7, 0)] // eight hours on Friday from 16:00 end at midnight, not past it
    public void Weekends_do_not_count(int day, int hour, int hours, int endDay, int endHour) =>
        Assert.Equal(Local(endDay, endHour), Calendar().AddWorkingTime(Local(day, hour), TimeSpan.FromHours(hours)));

    [Fact]
    public void Holidays_do_not_count_and_made_up_working_days_do()
    {
        var holidayMonday = Calendar(holidays: [new DateOnly(2026, 3, 9)]);
        var workingSaturday = Calendar(workdays: [new DateOnly(2026, 3, 7)]);

        Assert.Equal(Local(10, 16), holidayMonday.AddWorkingTime(Local(6, 16), TimeSpan.FromHours(24)));
        Assert.Equal(Local(7, 16), workingSaturday.AddWorkingTime(Local(6, 16), TimeSpan.FromHours(24)));
    }

    [Fact]
    public void A_category_counts_working_days_only_when_it_says_so()
    {
        var at = Local(6, 16);
        var calendar = Calendar();
        var garbage = OrderFactory.Garbage;
        var working = new Whistle.Domain.Reference.Category
        {
            Code = "permits",
            Name = "证照",
            DepartmentCode = "admin",
            AcknowledgeWithinHours = 4,
            ResolveWithinHours = 24,
            UrgentAcknowledgeWithinHours = 1,
            UrgentResolveWithinHours = 6,
            ResolveInWorkingDays = true,
        };

        Assert.Equal(at.AddHours(24), garbage.LimitsFor(Priority.Normal, calendar).ResolveByFrom(at));
        Assert.Equal(Local(9, 16), working.LimitsFor(Priority.Normal, calendar).ResolveByFrom(at));
        Assert.Equal(Local(6, 22), working.LimitsFor(Priority.Urgent, calendar).ResolveByFrom(at)); // within Friday
        Assert.Equal(at.AddHours(24), working.LimitsFor(Priority.Normal).ResolveByFrom(at)); // no calendar: plain hours
        Assert.Equal(at.AddHours(4), at + working.LimitsFor(Priority.Normal, calendar).AcknowledgeWithin);
    }
}
