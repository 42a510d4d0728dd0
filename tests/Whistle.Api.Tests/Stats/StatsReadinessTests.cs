using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Whistle.Api.Features.Stats;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Stats;

/// <summary>
/// An instance is ready only once its statistics have read every order: a load balancer probing
/// /health/ready sends a starting instance nothing until then.
/// </summary>
public class StatsReadinessTests
{
    /// <summary>A second instance over the first one's database.</summary>
    private sealed class SecondInstance(string connectionString) : WhistleApp
    {
        public override Task InitializeAsync()
        {
            ConnectionString = connectionString;
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task Ready_is_unhealthy_until_the_statistics_have_read_every_order_then_healthy()
    {
        await using var first = new WhistleApp();
        await first.InitializeAsync();
        var client = first.CreateClient();
        for (var i = 0; i < 3; i++)
        {
            await client.File();
        }

        // Hold the statistics' first read back: a lock no reader of orders can pass, taken before the second instance starts.
        await using var blocker = new NpgsqlConnection(first.ConnectionString);
        await blocker.OpenAsync();
        await using var transaction = await blocker.BeginTransactionAsync();
        await using (var timeout = new NpgsqlCommand("SET LOCAL lock_timeout = '20s'; LOCK TABLE orders IN ACCESS EXCLUSIVE MODE", blocker, transaction))
        {
            await timeout.ExecuteNonQueryAsync();
        }

        await using var second = new SecondInstance(first.ConnectionString);
        await second.InitializeAsync();
        var probe = second.CreateClient();
        var facts = second.Services.GetRequiredService<OrderFacts>();
        var before = await probe.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, before.StatusCode);
        Assert.Equal("Unhealthy", await before.Content.ReadAsStringAsync());
        Assert.False(facts.Loaded.IsCompleted);
        // Alive all the same: a load balancer must not kill it, only wait.
        Assert.Equal(HttpStatusCode.OK, (await probe.GetAsync("/health/live")).StatusCode);

        await transaction.RollbackAsync();

        await facts.Loaded.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(3, facts.Count);
        var after = await probe.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal("Healthy", await after.Content.ReadAsStringAsync());
    }
}
