using System.Globalization;
using Microsoft.Extensions.Options;
using Prometheus;

namespace Whistle.Api.Features.Stats;

/// <summary>
/// Prometheus exposition at <c>/metrics</c>: the HTTP request metrics, and the headline figures of
/// the current year (in the district's time zone) as gauges, read fresh at every scrape, so a
/// district's Grafana charts them with no code of its own.
/// </summary>
public static class StatsMetrics
{
    /// <summary>
    /// One registry per application, not the process-wide default: the figures are read through
    /// this application's services, and a test process hosts several applications in turn.
    /// </summary>
    public static void MapStatsMetrics(this WebApplication app)
    {
        var registry = Metrics.NewCustomRegistry();
        DotNetStats.Register(registry);
        var metrics = Metrics.WithCustomRegistry(registry);
        var orders = metrics.CreateGauge(
            "whistle_orders", "Orders first whistled this year (handled_locally: filed this year), by figure as in GET /api/v1/stats/summary.",
            new GaugeConfiguration { LabelNames = ["figure"] });
        var rates = metrics.CreateGauge(
            "whistle_rate", "The assessment rates this year, 0 to 1; NaN with nothing to divide by.",
            new GaugeConfiguration { LabelNames = ["rate"] });
        var hours = metrics.CreateGauge(
            "whistle_hours", "Hours from the first whistle to the first acknowledgement or to the resolution this year, by quantile; NaN with none.",
            new GaugeConfiguration { LabelNames = ["milestone", "quantile"] });

        app.UseHttpMetrics(options => options.SetMetricFactory(metrics));
        registry.AddBeforeCollectCallback(async cancellationToken =>
        {
            await using var scope = app.Services.CreateAsyncScope();
            var zone = scope.ServiceProvider.GetRequiredService<IOptions<WhistleOptions>>().Value.Zone;
            var clock = scope.ServiceProvider.GetRequiredService<TimeProvider>();
            var year = TimeZoneInfo.ConvertTime(clock.GetUtcNow(), zone).Year;
            var filter = new StatsFilter { From = new DateOnly(year, 1, 1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) };
            var figures = (await scope.ServiceProvider.GetRequiredService<IMediator>().Send(new GetSummary.Query(filter), cancellationToken)).Figures;
            Set(orders, "dispatched", figures.DispatchedOrders);
            Set(orders, "valid", figures.ValidOrders);
            Set(orders, "cancelled", figures.CancelledOrders);
            Set(orders, "completed", figures.CompletedOrders);
            Set(orders, "acknowledged_on_time", figures.AcknowledgedOnTime);
            Set(orders, "resolved_on_time", figures.ResolvedOnTime);
            Set(orders, "evaluated", figures.EvaluatedOrders);
            Set(orders, "satisfied", figures.SatisfiedOrders);
            Set(orders, "open_backlog", figures.OpenBacklog);
            Set(orders, "overdue", figures.OverdueNow);
            Set(orders, "returns", figures.Returns);
            Set(orders, "reopens", figures.Reopens);
            Set(orders, "escalations", figures.Escalations);
            Set(orders, "handled_locally", figures.HandledLocally);
            Set(rates, "completion", figures.CompletionRate);
            Set(rates, "response", figures.ResponseRate);
            Set(rates, "on_time_completion", figures.OnTimeCompletionRate);
            Set(rates, "satisfaction", figures.SatisfactionRate);
            hours.WithLabels("acknowledge", "0.5").Set(figures.MedianHoursToAcknowledge ?? double.NaN);
            hours.WithLabels("acknowledge", "0.9").Set(figures.P90HoursToAcknowledge ?? double.NaN);
            hours.WithLabels("resolve", "0.5").Set(figures.MedianHoursToResolve ?? double.NaN);
            hours.WithLabels("resolve", "0.9").Set(figures.P90HoursToResolve ?? double.NaN);
        });
        // District-wide figures; scrapers send a dashboard key as a bearer token (Authorization: Bearer wk_…).
        app.MapMetrics("/metrics", registry).RequireAuthorization(AccessSetup.WholeDistrictStatistics);
    }

    private static void Set(Gauge gauge, string label, double? value) => gauge.WithLabels(label).Set(value ?? double.NaN);
}
