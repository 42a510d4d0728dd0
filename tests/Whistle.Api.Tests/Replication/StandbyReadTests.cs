using System.Net;
using System.Text.Json.Nodes;
using Npgsql;
using Whistle.Api.Features.Stats;
using Whistle.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Whistle.Api.Tests.Replication;

/// <summary>
/// Dashboards read from a synchronous standby under a write load, and say so; when the standby
/// falls behind its bound (replay paused) their answers move to the primary, and back once it
/// catches up; a grid worker always reads back the order they just filed.
/// </summary>
[Collection(ReplicationCollection.Name)]
public sealed class StandbyReadTests(ITestOutputHelper output)
{
    private static async Task<(string ReadFrom, DateTimeOffset AsOf, long Dispatched)> SummaryAsync(HttpClient client)
    {
        var response = await client.GetAsync("/api/v1/stats/summary");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return ((string)json["readFrom"]!, DateTimeOffset.Parse((string)json["asOf"]!, System.Globalization.CultureInfo.InvariantCulture),
            (long)json["figures"]!["dispatchedOrders"]!);
    }

    [ClusterFact]
    public async Task A_catch_up_from_the_standby_later_reads_an_order_whose_change_was_in_progress_when_it_read()
    {
        // A standby's snapshot lists no transaction in progress: a catch-up that trusted it would never
        // read an order changed by a transaction still open at that moment (the dashboard once stayed one short).
        await using var pair = await StreamingPair.StartAsync();
        await using (var app = new ClusterApp(pair.ConnectionString))
        {
            await app.InitializeAsync();
            var client = app.CreateClient();
            await client.File();
            await client.File();
        }
        var (first, second) = (await pair.Primary.ScalarAsync<long>("SELECT min(number) FROM orders"), await pair.Primary.ScalarAsync<long>("SELECT max(number) FROM orders"));

        await using var open = new NpgsqlConnection(pair.Primary.ConnectionString());
        await open.OpenAsync();
        await using var inProgress = await open.BeginTransactionAsync();
        await using (var change = new NpgsqlCommand($"UPDATE orders SET reopen_count = 7 WHERE number = {first}", open, inProgress))
        {
            await change.ExecuteNonQueryAsync();
        }
        // A later transaction commits around it, so the standby's snapshot has the open one below its xmax.
        await pair.Primary.ScalarAsync<object>($"UPDATE orders SET reopen_count = 1 WHERE number = {second} RETURNING 1");
        await pair.CaughtUpAsync();

        await using var standby = new NpgsqlConnection(pair.Standby.ConnectionString());
        await standby.OpenAsync();
        var read = new List<OrderRow>();
        var snapshot = await ChangedOrders.ReadAsync(standby, null, 1000, rows => { read.AddRange(rows); return Task.CompletedTask; }, default);
        Assert.Equal(1, read.Single(r => r.Number == second).Reopens);
        Assert.Equal(0, read.Single(r => r.Number == first).Reopens);

        await inProgress.CommitAsync();
        await pair.CaughtUpAsync();
        read.Clear();
        await ChangedOrders.ReadAsync(standby, snapshot, 1000, rows => { read.AddRange(rows); return Task.CompletedTask; }, default);
        Assert.Equal(7, Assert.Single(read, r => r.Number == first).Reopens);
    }

    [ClusterFact]
    public async Task Dashboards_read_the_standby_within_its_bound_the_primary_beyond_it_and_a_filer_reads_their_own_order()
    {
        await using var pair = await StreamingPair.StartAsync();
        await using var app = new ClusterApp(pair.ConnectionString, readOnly: pair.ReadOnly, realClock: true);
        await app.InitializeAsync();
        var client = app.CreateClient();

        // Whistled orders count in the figures; a writer keeps whistling new ones.
        var whistled = 0;
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await client.Whistle((await client.File()).Id);
                Interlocked.Increment(ref whistled);
            }
        });
        await Daemon.UntilAsync(async () => (await SummaryAsync(client)).ReadFrom == "standby", TimeSpan.FromSeconds(20), "the figures come from the standby");

        // Within the bound: every answer from the standby, counting (nearly) every whistle; the filer reads their order back at once.
        var fromStandby = 0;
        for (var i = 0; i < 20; i++)
        {
            var before = Volatile.Read(ref whistled);
            var summary = await SummaryAsync(client);
            fromStandby += summary.ReadFrom == "standby" ? 1 : 0;
            Assert.True(summary.Dispatched >= before - 2, $"the standby's figures lag: {summary.Dispatched} of {before}");
            var filed = await client.File();
            Assert.Equal(filed.Id, (await client.Get(filed.Id)).Id);
        }
        output.WriteLine($"under a write load, {fromStandby} of 20 summaries were read from the standby");
        Assert.True(fromStandby >= 18, $"only {fromStandby} of 20 summaries came from the standby");

        // Replay paused: the standby falls behind; within the bound (2 s) and a check the answers move to the primary.
        await pair.PauseReplayAsync();
        var pausedAt = DateTimeOffset.UtcNow;
        var stale = await SummaryAsync(client);
        var moved = await Daemon.UntilAsync(async () => (await SummaryAsync(client)).ReadFrom == "primary", TimeSpan.FromSeconds(10), "the figures move to the primary");
        output.WriteLine($"replay paused: the figures moved to the primary after {moved.TotalSeconds:0.0} s (bound 2 s)");
        // An answer from the lagging standby said how old it was: no later than the pause.
        if (stale.ReadFrom == "standby")
        {
            Assert.True(stale.AsOf <= DateTimeOffset.UtcNow);
        }
        var fromPrimary = await SummaryAsync(client);
        Assert.Equal("primary", fromPrimary.ReadFrom);
        Assert.True(fromPrimary.AsOf >= pausedAt, "the primary's answer is as of now");
        var filedWhilePaused = await client.File();
        Assert.Equal(filedWhilePaused.Id, (await client.Get(filedWhilePaused.Id)).Id);

        await pair.ResumeReplayAsync();
        var back = await Daemon.UntilAsync(async () => (await SummaryAsync(client)).ReadFrom == "standby", TimeSpan.FromSeconds(10), "the figures return to the standby");
        output.WriteLine($"replay resumed: back on the standby after {back.TotalSeconds:0.0} s");
        await stop.CancelAsync();
        await writer;

        // The standby's figures equal the primary's once it has caught up (nothing is counted twice across the moves).
        var final = await SummaryAsync(client);
        var count = await pair.Primary.ScalarAsync<long>("SELECT count(*) FROM orders WHERE first_whistled_at IS NOT NULL");
        await Daemon.UntilAsync(async () => (await SummaryAsync(client)).Dispatched == count, TimeSpan.FromSeconds(10),
            $"the figures count every whistled order ({count}; last {final.Dispatched})");
    }
}
