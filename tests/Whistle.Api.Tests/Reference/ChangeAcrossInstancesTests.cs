using System.Diagnostics;
using System.Net;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Reference;

/// <summary>
/// Two instances of the service on one database: a reference change made on one is in force on the
/// other within a second (it is notified), though neither instance's clock moves.
/// </summary>
public class ChangeAcrossInstancesTests(WhistleApp first) : IClassFixture<WhistleApp>, IAsyncLifetime
{
    private sealed class OtherInstance(string connectionString) : WhistleApp
    {
        public override Task InitializeAsync() => Task.CompletedTask;

        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("ConnectionStrings:Whistle", connectionString);
        }
    }

    private OtherInstance? _second;

    public Task InitializeAsync()
    {
        _second = new OtherInstance(first.ConnectionString);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _second!.DisposeAsync();

    /// <summary>Asks until the answer is as expected, for at most a second; the time it took.</summary>
    private static async Task<TimeSpan> Within1Second(Func<Task<bool>> seen)
    {
        var clock = Stopwatch.StartNew();
        while (!await seen())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), "The other instance did not see the change within a second.");
            await Task.Delay(20);
        }
        return clock.Elapsed;
    }

    [Fact]
    public async Task A_grid_retired_on_one_instance_is_refused_by_the_other_within_a_second()
    {
        var onSecond = _second!.CreateClient();
        // The second instance has the grid in its cache: it files there.
        await onSecond.File(grid: "ST10-C01-G01");

        Assert.Equal(HttpStatusCode.OK, (await first.CreateClient().Post("/api/v1/grids/ST10-C01-G01/retire")).StatusCode);

        await Within1Second(async () =>
            (await onSecond.Post("/api/v1/orders", Filing.Valid(grid: "ST10-C01-G01"))).StatusCode == HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_catalogue_entry_and_a_rename_on_one_instance_route_and_name_on_the_other_within_a_second()
    {
        var onSecond = _second!.CreateClient();
        var before = await onSecond.File(category: "streetlight", grid: "ST11-C01-G01");
        Assert.Equal("municipal", (await onSecond.Whistle(before.Id)).DepartmentCode);
        Assert.Equal(HttpStatusCode.OK, (await onSecond.GetAsync("/api/v1/stats/breakdown?groupBy=department")).StatusCode);

        var onFirst = first.CreateClient();
        await onFirst.Created("/api/v1/catalogue", new { categoryCode = "streetlight", streetCode = "ST11", departmentCode = "power" });
        Assert.Equal(HttpStatusCode.OK, (await onFirst.Put("/api/v1/departments/municipal", new { name = "市政局（更名）" })).StatusCode);

        await Within1Second(async () =>
        {
            var breakdown = await (await onSecond.GetAsync("/api/v1/stats/breakdown?groupBy=department")).Read<Breakdown>();
            return breakdown.Rows.Any(r => r.Code == "municipal" && r.Name == "市政局（更名）");
        });
        var after = await onSecond.File(category: "streetlight", grid: "ST11-C01-G01");
        Assert.Equal("power", (await onSecond.Whistle(after.Id)).DepartmentCode);
    }
}
