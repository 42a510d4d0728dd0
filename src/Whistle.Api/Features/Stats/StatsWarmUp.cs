namespace Whistle.Api.Features.Stats;

/// <summary>
/// Reads the orders' facts once the service is up, so the first dashboard does not wait for a
/// million rows; then, every second, catches up with committed changes and computes again the
/// answers screens have asked for in the last ten minutes, so their next poll finds them ready.
/// Failures only log: every request catches up by itself anyway.
/// </summary>
public sealed class StatsWarmUp(OrderFacts facts, StatsService stats, IHostApplicationLifetime lifetime, ILogger<StatsWarmUp> logger)
    : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan AskedWithin = TimeSpan.FromMinutes(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource();
        using var registration = lifetime.ApplicationStarted.Register(started.SetResult);
        await started.Task.WaitAsync(stoppingToken);
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            await facts.CatchUpAsync(stoppingToken);
            logger.LogInformation("Statistics: {Count} orders read in {Elapsed} ms", facts.Count, clock.ElapsedMilliseconds);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Reading the orders for the statistics failed; the first statistics request will try again");
        }
        // Real seconds, not the service's TimeProvider: this paces work, it decides nothing.
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await facts.CatchUpAsync(stoppingToken);
                stats.RefreshAsked(AskedWithin);
                facts.DropStanding(AskedWithin);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Refreshing the statistics in the background failed; requests compute their own answers");
            }
        }
    }
}
