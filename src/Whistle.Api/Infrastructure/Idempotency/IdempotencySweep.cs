namespace Whistle.Api.Infrastructure.Idempotency;

/// <summary>
/// Deletes expired idempotency keys every hour (on the service's clock), so keys used once do not
/// pile up. Expired keys are ignored (and overwritten) on use anyway; this only keeps the table small.
/// </summary>
public sealed class IdempotencySweep(IServiceScopeFactory scopes, TimeProvider clock, ILogger<IdempotencySweep> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await SweepAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<WhistleDbContext>();
            var purged = await IdempotencyStore.PurgeExpiredAsync(db, clock.GetUtcNow(), cancellationToken);
            if (purged > 0)
            {
                logger.LogInformation("Purged {Count} expired idempotency keys.", purged);
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The next tick tries again; a sweep that fails loses nothing.
            logger.LogWarning(exception, "Sweeping expired idempotency keys failed.");
        }
    }
}
