using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Deadlines;

/// <summary>Garbage counted in working days, with Monday 9 March 2026 a holiday and Saturday 14 March a working day.</summary>
public sealed class WorkingDaysApp : WhistleApp
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
        builder.UseSetting("Whistle:Workdays:0", "2026-03-14");
    }
}

public class WorkingDaysTests(WorkingDaysApp app) : IClassFixture<WorkingDaysApp>
{
    private static readonly TimeSpan China = TimeSpan.FromHours(8);

    [Fact]
    public async Task A_whistle_on_friday_must_be_resolved_on_tuesday_when_monday_is_a_holiday_and_only_the_resolve_limit_moves()
    {
        var client = app.CreateClient();
        var garbage = (await (await client.GetAsync("/api/v1/categories")).Read<ReferenceDataTests.Category[]>()).Single(c => c.Code == "garbage");
        Assert.True(garbage.ResolveInWorkingDays);

        // WhistleApp starts on Monday 2 March, 09:00 in Shanghai; Friday 6 March 16:00 is 4 days 7 hours later.
        app.Clock.SetUtcNow(new DateTimeOffset(2026, 3, 6, 16, 0, 0, China));
        var order = await client.Whistle((await client.File()).Id);
        var noise = await client.Whistle((await client.File(category: "noise")).Id);

        Assert.Equal(new DateTimeOffset(2026, 3, 10, 16, 0, 0, China), order.Deadlines.ResolveBy);
        Assert.Equal(new DateTimeOffset(2026, 3, 6, 20, 0, 0, China), order.Deadlines.AcknowledgeBy);
        Assert.Equal(new DateTimeOffset(2026, 3, 9, 16, 0, 0, China), noise.Deadlines.ResolveBy); // 72 plain hours
    }
}
