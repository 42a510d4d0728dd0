namespace Whistle.Api.Features.Stats;

/// <summary>
/// Reads the orders' facts once the service is up, so the first dashboard does not wait for a
/// million rows; a failure only logs, as the first statistics request reads them anyway.
/// </summary>
public sealed class StatsWarmUp(OrderFacts facts, IHostApplicationLifetime lifetime, ILogger<StatsWarmUp> logger) : BackgroundService
{
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
    }
}
