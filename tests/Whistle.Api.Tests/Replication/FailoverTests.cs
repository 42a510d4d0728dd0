using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Whistle.Api.Features.Deadlines;
using Whistle.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Whistle.Api.Tests.Replication;

/// <summary>An instance of the service on a replicated database: several hosts in its connection string, maybe a standby to read.</summary>
public sealed class ClusterApp(string connectionString, string? readOnly = null, bool realClock = false) : WhistleApp
{
    public override Task InitializeAsync()
    {
        ConnectionString = connectionString;
        return Task.CompletedTask;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        if (readOnly is not null)
        {
            builder.UseSetting("ConnectionStrings:WhistleReadOnly", readOnly);
            builder.UseSetting("Whistle:Replicas:MaxLagSeconds", "2");
            builder.UseSetting("Whistle:Replicas:CheckInterval", "00:00:00.250");
        }
        if (realClock)
        {
            // Replay lag is measured in real time: the answers' asOf must be on the same clock.
            builder.ConfigureServices(services => services.Replace(ServiceDescriptor.Singleton(TimeProvider.System)));
        }
    }
}

/// <summary>A replication test: skipped, with the reason, when this machine lacks the servers it starts.</summary>
public sealed class ClusterFactAttribute : FactAttribute
{
    public ClusterFactAttribute(bool patroni = false)
    {
        if ((patroni ? PatroniCluster.Unavailable : StreamingPair.Unavailable) is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>
/// Losing the primary under a write load, with every filing carrying its Idempotency-Key: the
/// standby is promoted (by Patroni, or by hand), the service finds it by itself, no acknowledged
/// filing is missing or doubled, the answers in the window are 503s with Retry-After (never a
/// 500), reference changes reach every instance after it, and no escalation runs twice.
/// </summary>
[Collection(ReplicationCollection.Name)]
public sealed class FailoverTests(ITestOutputHelper output)
{
    [ClusterFact]
    public async Task A_primary_killed_and_its_standby_promoted_by_hand_loses_no_acknowledged_filing_and_answers_only_503s_meanwhile()
    {
        await using var pair = await StreamingPair.StartAsync();
        await using var app = new ClusterApp(pair.ConnectionString);
        await app.InitializeAsync();
        var client = app.CreateClient();
        await client.File();

        var load = FilingLoad.Start([client], workersPerClient: 4);
        await Task.Delay(TimeSpan.FromSeconds(3));
        var killedAt = load.Now;
        pair.Primary.SignalAll("KILL");
        await pair.PromoteAsync();
        var promotedAt = load.Now;
        await Daemon.UntilAsync(() => Task.FromResult(load.Acknowledged.Any(a => a.At > promotedAt)), TimeSpan.FromSeconds(30), "a filing acknowledged after the promotion");
        await Task.Delay(TimeSpan.FromSeconds(2));
        await load.StopAsync();

        var tally = await load.CountAsync(pair.Standby.ConnectionString());
        var (window, firstAfter) = load.GapAfter(killedAt);
        output.WriteLine($"by hand: promoted {(promotedAt - killedAt).TotalSeconds:0.0} s after the kill; no filing acknowledged for {window.TotalSeconds:0.0} s; first after the kill {firstAfter.TotalSeconds:0.0} s; {tally}; answers {load.StatusLine()}");
        AssertNothingLost(load, tally);
    }

    [ClusterFact]
    public async Task A_filing_whose_commit_times_out_waiting_for_the_synchronous_standby_is_not_acknowledged()
    {
        // PostgreSQL ends a commit's wait for the standby when the client cancels it, and answers
        // success: the order is then on the primary alone. A command timeout sends such a cancel.
        await using var pair = await StreamingPair.StartAsync();
        await using var app = new ClusterApp(pair.WhistleReadWrite(";Command Timeout=2"));
        await app.InitializeAsync();
        var client = app.CreateClient();
        await client.File();

        pair.StopStandby();
        var key = Guid.NewGuid().ToString("N");
        Task<HttpResponseMessage> FileOnce() => FilingLoad.SendAsync(client, key);

        // No standby confirms it: not acknowledged, however often it is sent (a replay of what only
        // the primary holds would be an acknowledgement too).
        for (var i = 0; i < 2; i++)
        {
            using var waiting = await FileOnce();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, waiting.StatusCode);
            Assert.True(waiting.Headers.RetryAfter is not null, "a 503 says when to retry");
        }

        // The primary is lost; the standby, which never received the filing, takes over.
        pair.Primary.SignalAll("KILL");
        await pair.StartStandbyAsync();
        await pair.PromoteAsync();
        Guid? acknowledged = null;
        await Daemon.UntilAsync(async () =>
        {
            using var retry = await FileOnce();
            acknowledged = retry.StatusCode == HttpStatusCode.Created ? (await retry.Content.ReadFromJsonAsync<Order>(WhistleApp.Json))!.Id : null;
            return acknowledged is not null;
        }, TimeSpan.FromSeconds(60), "the filing acknowledged by the new primary");
        Assert.Equal(1L, await pair.Standby.ScalarAsync<long>($"SELECT count(*) FROM orders WHERE id = '{acknowledged}'"));
        Assert.Equal(1L, await pair.Standby.ScalarAsync<long>($"SELECT count(*) FROM orders WHERE description = 'failover {key}'"));
    }

    [ClusterFact(patroni: true)]
    public async Task Patroni_promotes_the_synchronous_standby_when_the_primary_is_killed_and_the_service_loses_nothing_and_runs_no_escalation_twice()
    {
        await using var cluster = await PatroniCluster.StartAsync();
        await using var first = new ClusterApp(cluster.ConnectionString);
        await using var second = new ClusterApp(cluster.ConnectionString);
        await first.InitializeAsync();
        await second.InitializeAsync();
        var (a, b) = (first.CreateClient(), second.CreateClient());
        // Orders whose acknowledgement deadline will have passed when both schedulers run after the failover.
        var whistled = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            whistled.Add((await a.Whistle((await a.File()).Id)).Id);
        }
        // Both instances' reference caches are warm with the grid retired below.
        await b.File(grid: "ST10-C01-G01");

        var load = FilingLoad.Start([a, b], workersPerClient: 3);
        await Task.Delay(TimeSpan.FromSeconds(3));
        var primary = await cluster.PrimaryAsync();
        var killedAt = load.Now;
        cluster.Kill(primary);
        var survivor = cluster.Nodes.Single(n => n != primary);
        await Daemon.UntilAsync(() => survivor.IsPrimaryAsync(), TimeSpan.FromSeconds(60), "Patroni promotes the standby");
        var promotedAt = load.Now;
        await Daemon.UntilAsync(() => Task.FromResult(load.Acknowledged.Any(a => a.At > promotedAt)), TimeSpan.FromSeconds(30), "a filing acknowledged after the promotion");
        await Task.Delay(TimeSpan.FromSeconds(2));
        await load.StopAsync();

        var tally = await load.CountAsync(survivor.ConnectionString());
        var (window, firstAfter) = load.GapAfter(killedAt);
        output.WriteLine($"Patroni: promoted {(promotedAt - killedAt).TotalSeconds:0.0} s after the kill (TTL {PatroniCluster.TtlSeconds} s); no filing acknowledged for {window.TotalSeconds:0.0} s; first after the kill {firstAfter.TotalSeconds:0.0} s; {tally}; answers {load.StatusLine()}");
        AssertNothingLost(load, tally);

        // A reference change on one instance, after the failover, is in force on the other: its listener found the new primary.
        Assert.Equal(HttpStatusCode.OK, (await a.Post("/api/v1/grids/ST10-C01-G01/retire")).StatusCode);
        var heard = await Daemon.UntilAsync(async () =>
            (await b.Post("/api/v1/orders", Filing.Valid(grid: "ST10-C01-G01"))).StatusCode == HttpStatusCode.BadRequest,
            TimeSpan.FromSeconds(40), "the other instance refuses the retired grid");
        output.WriteLine($"the other instance applied a reference change made after the failover in {heard.TotalMilliseconds:0} ms");

        // Both schedulers at once, past the deadlines: each order is escalated once.
        foreach (var app in (ClusterApp[])[first, second])
        {
            app.Clock.Advance(TimeSpan.FromDays(3));
        }
        var runs = await Task.WhenAll(
            first.Services.GetRequiredService<DeadlineScheduler>().RunOnceAsync(default),
            second.Services.GetRequiredService<DeadlineScheduler>().RunOnceAsync(default));
        foreach (var id in whistled)
        {
            var escalations = (await a.History(id)).Count(h => h.Action == "escalate");
            Assert.Equal(1, escalations);
        }
        output.WriteLine($"schedulers: {string.Join("; ", runs.Select(r => r.ToString()))}");
    }

    [ClusterFact(patroni: true)]
    public async Task A_frozen_primary_is_replaced_and_comes_back_as_a_standby_without_losing_an_acknowledged_filing()
    {
        await using var cluster = await PatroniCluster.StartAsync();
        await using var app = new ClusterApp(cluster.ConnectionString);
        await app.InitializeAsync();
        var client = app.CreateClient();
        await client.File();

        var load = FilingLoad.Start([client], workersPerClient: 4);
        await Task.Delay(TimeSpan.FromSeconds(3));
        var frozen = await cluster.PrimaryAsync();
        var survivor = cluster.Nodes.Single(n => n != frozen);
        var frozenAt = load.Now;
        cluster.Freeze(frozen);
        await Daemon.UntilAsync(() => survivor.IsPrimaryAsync(), TimeSpan.FromSeconds(60), "Patroni promotes the standby past the frozen leader's TTL");
        var promotedAt = load.Now;
        await Daemon.UntilAsync(() => Task.FromResult(load.Acknowledged.Any(a => a.At > promotedAt)), TimeSpan.FromSeconds(40), "a filing acknowledged on the new primary");

        var thawedAt = load.Now;
        cluster.Thaw(frozen);
        TimeSpan rejoined;
        try
        {
            // Patroni demotes it, rewinds it (pg_rewind) and starts it as a standby: slow on a loaded machine.
            rejoined = await Daemon.UntilAsync(async () => await cluster.RoleAsync(frozen.Name) is "replica" or "sync_standby",
                TimeSpan.FromSeconds(240), "the old primary rejoins as a standby");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n{cluster.Logs()}", e);
        }
        await Task.Delay(TimeSpan.FromSeconds(2));
        await load.StopAsync();

        var tally = await load.CountAsync(survivor.ConnectionString());
        var (window, _) = load.GapAfter(frozenAt);
        output.WriteLine($"frozen primary: frozen at {frozenAt.TotalSeconds:0.000} s, thawed at {thawedAt.TotalSeconds:0.000} s; promoted {(promotedAt - frozenAt).TotalSeconds:0.0} s after the freeze; no filing acknowledged for {window.TotalSeconds:0.0} s; rejoined as a standby {rejoined.TotalSeconds:0.0} s after the thaw; {tally}; answers {load.StatusLine()}");
        AssertNothingLost(load, tally);
        // What it acknowledged before the freeze, and all since, is on it again as a standby.
        await Daemon.UntilAsync(async () => (await load.CountAsync(frozen.ConnectionString())).Found == tally.Acknowledged,
            TimeSpan.FromSeconds(30), "the old primary holds every acknowledged filing");
    }

    private static void AssertNothingLost(FilingLoad load, FilingLoad.Tally tally)
    {
        Assert.True(tally.Acknowledged > 0, "no filing was acknowledged");
        Assert.Equal(0, tally.Missing);
        Assert.Equal(0, tally.Duplicates);
        // The only refusals a failover may cause: 503 (Retry-After), never a 500.
        Assert.All(load.Statuses.Keys, status => Assert.True(status is 201 or 503, $"answered {status}: {load.StatusLine()}"));
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ReplicationCollection
{
    // Each test starts and kills servers of its own; run alone, their timings are the servers', not the suite's.
    public const string Name = "replication";
}
