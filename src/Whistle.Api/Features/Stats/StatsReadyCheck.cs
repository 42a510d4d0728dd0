using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Whistle.Api.Features.Stats;

/// <summary>
/// Ready means the statistics have read every order once (<see cref="StatsWarmUp"/> starts that
/// read as the service starts): before, a dashboard sent here would wait for the read or, behind a
/// load balancer, the instance would take traffic it cannot yet answer in milliseconds.
/// </summary>
public sealed class StatsReadyCheck(OrderFacts facts) : IHealthCheck
{
    /// <summary>A probe arriving while a read is nearly done waits this long for it rather than failing (small databases read in milliseconds).</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(2);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await facts.Loaded.WaitAsync(Grace, cancellationToken);
            return HealthCheckResult.Healthy($"Statistics loaded: {facts.Count} rows.");
        }
        catch (TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"Statistics still loading: {facts.Count} rows read so far.");
        }
    }
}
