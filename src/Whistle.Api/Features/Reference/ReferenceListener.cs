using Npgsql;
using Whistle.Api.Features.Stats;

namespace Whistle.Api.Features.Reference;

/// <summary>
/// Keeps every instance's reference data current: LISTENs on the channel every change notifies in
/// its own transaction (<see cref="ReferenceStore.Channel"/>), and on each notification reloads the
/// reference cache and the statistics' reference tables, so a change made anywhere is in force
/// everywhere within a second. Without a notification it reloads anyway every few minutes (a slow
/// poll, should a notification be lost with a dropped connection); after a dropped connection it
/// reconnects and reloads, since changes made meanwhile were not heard.
/// </summary>
public sealed class ReferenceListener(
    ReferenceCache cache, OrderFacts facts, IServiceScopeFactory scopes, DatabaseConnections connections, ILogger<ReferenceListener> logger)
    : BackgroundService
{
    /// <summary>How long without a notification before it reloads anyway.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMinutes(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A connection of its own, outside the pool: it stays open, listening, for the life of the service.
        // The direct one: through a transaction-mode pooler the LISTEN would be left on a server
        // connection other clients share, and no notification would reach this one.
        var listening = new NpgsqlConnectionStringBuilder(connections.Direct) { Pooling = false, KeepAlive = 30 }.ConnectionString;
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(listening);
                await connection.OpenAsync(stoppingToken);
                await using (var listen = new NpgsqlCommand($"LISTEN {ReferenceStore.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                failures = 0;
                // Whatever changed while nobody was listening.
                await ReloadAsync(stoppingToken);
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(PollInterval, stoppingToken);
                    await ReloadAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                failures++;
                if (failures == 1)
                {
                    logger.LogWarning(e, "Listening for reference data changes failed; reconnecting");
                }
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, failures)), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task ReloadAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        await cache.ReloadAsync(scope.ServiceProvider.GetRequiredService<WhistleDbContext>(), cancellationToken);
        await facts.ReloadReferenceAsync(cancellationToken, force: true);
    }
}
