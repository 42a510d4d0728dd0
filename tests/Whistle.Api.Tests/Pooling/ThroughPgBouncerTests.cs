using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Hosting;
using Npgsql;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Pooling;

/// <summary>
/// The service configured as docs/operating.md says for PgBouncer: <c>ConnectionStrings:Whistle</c>
/// through PgBouncer in transaction mode (two server connections), <c>ConnectionStrings:WhistleDirect</c>
/// straight to PostgreSQL. The direct connections name themselves, so the server connections PgBouncer
/// holds can be told apart from them.
/// </summary>
public class BouncedApp : WhistleApp
{
    public const string DirectName = "whistle-direct";
    public const int PoolSize = 2;

    public PgBouncer Bouncer { get; private set; } = null!;

    /// <summary>What ConnectionStrings:Whistle is set to (through PgBouncer); the extra settings are appended to it.</summary>
    public string Pooled => Bouncer.ConnectionStringFor(new NpgsqlConnectionStringBuilder(ConnectionString).Database!, PooledExtra);

    protected virtual string PooledExtra => "";

    /// <summary>Another instance on the same database and PgBouncer, when set.</summary>
    public BouncedApp? SameDatabaseAs { get; init; }

    public override async Task InitializeAsync()
    {
        if (SameDatabaseAs is { } other)
        {
            ConnectionString = other.ConnectionString;
            Bouncer = other.Bouncer;
            return;
        }
        ConnectionString = new NpgsqlConnectionStringBuilder(await TestDatabase.CreateAsync()) { ApplicationName = DirectName }.ConnectionString;
        Bouncer = await PgBouncer.StartAsync(ConnectionString, PoolSize);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("ConnectionStrings:Whistle", Pooled);
        builder.UseSetting("ConnectionStrings:WhistleDirect", ConnectionString);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Whistle.Api.Persistence.WhistleDataSources.Clear(Pooled);
        if (SameDatabaseAs is null)
        {
            await Bouncer.DisposeAsync();
        }
        GC.SuppressFinalize(this);
    }

    /// <summary>Server connections on this database that are not the direct ones: PgBouncer's.</summary>
    public async Task<long> ServerConnectionsThroughBouncerAsync()
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false, ApplicationName = "counting" }.ConnectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() " +
            "AND backend_type = 'client backend' AND application_name IS DISTINCT FROM $1", connection);
        count.Parameters.AddWithValue(DirectName);
        return (long)(await count.ExecuteScalarAsync())!;
    }
}

public class ThroughPgBouncerTests(BouncedApp first) : IClassFixture<BouncedApp>, IAsyncLifetime
{
    private BouncedApp? _second;

    public async Task InitializeAsync()
    {
        _second = new BouncedApp { SameDatabaseAs = first };
        await _second.InitializeAsync();
    }

    public async Task DisposeAsync() => await _second!.DisposeAsync();

    [Fact]
    public async Task Orders_are_filed_acted_on_and_counted_by_many_clients_sharing_two_server_connections()
    {
        var client = first.CreateClient();
        var before = await client.Summary();

        // Concurrent filings, more than PgBouncer has server connections: they queue for them and share them.
        var filed = await Task.WhenAll(Enumerable.Range(0, 24).Select(_ => client.File()));
        foreach (var order in filed.Take(6))
        {
            await client.Whistle(order.Id);
            await client.Acknowledge(order.Id);
        }
        var resolved = await Task.WhenAll(filed.Take(6).Select(order => client.Resolve(order.Id)));
        Assert.All(resolved, order => Assert.Equal("resolved", order.State));
        Assert.Equal(["whistle", "acknowledge", "resolve"], (await client.History(filed[0].Id)).Skip(1).Select(e => e.Action));

        var after = await client.Summary();
        // Counted once dispatched (whistled): the six, all resolved.
        Assert.Equal((before.Figures.ValidOrders + 6, before.Figures.CompletedOrders + 6), (after.Figures.ValidOrders, after.Figures.CompletedOrders));
        var listed = await (await client.GetAsync("/api/v1/orders?limit=100")).Read<OrderPage>();
        Assert.Subset(listed.Items.Select(o => o.Id).ToHashSet(), filed.Select(o => o.Id).ToHashSet());

        // PgBouncer never opened more than its pool: the service's transactions really shared them.
        Assert.InRange(await first.ServerConnectionsThroughBouncerAsync(), 1, BouncedApp.PoolSize);
    }

    [Fact]
    public async Task A_reference_change_through_PgBouncer_reaches_the_other_instance_through_its_direct_LISTEN()
    {
        var onSecond = _second!.CreateClient();
        await onSecond.File(grid: "ST10-C01-G01");

        Assert.Equal(HttpStatusCode.OK, (await first.CreateClient().Post("/api/v1/grids/ST10-C01-G01/retire")).StatusCode);

        // Through PgBouncer the listener would hear nothing and reload only on its five-minute poll.
        var clock = Stopwatch.StartNew();
        while ((await onSecond.Post("/api/v1/orders", Filing.Valid(grid: "ST10-C01-G01"))).StatusCode != HttpStatusCode.BadRequest)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "The other instance did not see the retired grid within 5 s.");
            await Task.Delay(50);
        }
    }
}
