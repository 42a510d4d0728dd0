using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Reference;

/// <summary>Garbage counted in working days; the configuration names Monday 9 March 2026 a holiday, which seeds the calendar.</summary>
public sealed class CalendarApp : WhistleApp
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await using var db = Db();
        await db.Categories.Where(c => c.Code == "garbage").ExecuteUpdateAsync(s => s.SetProperty(c => c.ResolveInWorkingDays, true));
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Whistle:Holidays:0", "2026-03-09");
    }
}

/// <summary>The working calendar as data: edited over the API, used by deadlines stamped after the edit, never by those before.</summary>
public class CalendarTests(CalendarApp app) : IClassFixture<CalendarApp>
{
    private static readonly TimeSpan China = TimeSpan.FromHours(8);
    private readonly HttpClient _admin = app.CreateClient();

    [Fact]
    public async Task A_new_holiday_moves_the_deadlines_stamped_after_it_and_leaves_those_before()
    {
        var seeded = await (await _admin.GetAsync("/api/v1/calendar?year=2026")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("2026-03-09", Assert.Single(seeded.EnumerateArray()).GetProperty("date").GetString());

        app.Clock.SetUtcNow(new DateTimeOffset(2026, 3, 6, 16, 0, 0, China).ToUniversalTime());
        var before = await _admin.Whistle((await _admin.File()).Id);
        Assert.Equal(new DateTimeOffset(2026, 3, 10, 16, 0, 0, China), before.Deadlines.ResolveBy);

        var put = await _admin.Put("/api/v1/calendar/2026", new
        {
            days = new object[]
            {
                new { date = "2026-03-09", kind = "holiday", name = "假日" },
                new { date = "2026-03-10", kind = "holiday", name = "新增假日" },
            },
        });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        var after = await _admin.Whistle((await _admin.File()).Id);
        Assert.Equal(new DateTimeOffset(2026, 3, 11, 16, 0, 0, China), after.Deadlines.ResolveBy);
        Assert.Equal(new DateTimeOffset(2026, 3, 10, 16, 0, 0, China), (await _admin.Get(before.Id)).Deadlines.ResolveBy);

        var log = await (await _admin.GetAsync("/api/v1/reference/changes?entity=calendar")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["create", "update"], log.GetProperty("items").EnumerateArray().Select(c => c.GetProperty("action").GetString()).Order());
    }

    [Fact]
    public async Task A_day_outside_the_year_twice_or_a_workday_on_a_weekday_is_a_400()
    {
        var refused = await _admin.Put("/api/v1/calendar/2027", new
        {
            days = new object[]
            {
                new { date = "2026-12-31", kind = "holiday" },
                new { date = "2027-02-10", kind = "holiday" },
                new { date = "2027-02-10", kind = "holiday" },
                new { date = "2027-02-08", kind = "workday" },
            },
        });
        Assert.Equal(["days[0].date", "days[2].date", "days[3].kind"], (await refused.Errors()).Keys.Order());
        Assert.Empty((await (await _admin.GetAsync("/api/v1/calendar?year=2027")).Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray());
        Assert.Equal(HttpStatusCode.Forbidden, (await app.ClientAs(Features.Access.Role.Supervisor).Put("/api/v1/calendar/2027", new { days = Array.Empty<object>() })).StatusCode);
    }
}
