using System.Net;
using System.Net.Http.Headers;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Stats;

/// <summary>
/// A small district day by day (the clock starts 2026-03-02 09:00 in Shanghai), with figures a
/// person can work out by hand: two departments, two streets, deadlines met and missed.
/// </summary>
public sealed class StatsApp : WhistleApp
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var c = CreateClient();

        // Sanitation (garbage: acknowledge within 4 h, resolve within 24 h), street ST01.
        // Acknowledged after 2 h and resolved after 10 h: on time; closed satisfied.
        var onTime = await c.File("garbage", "ST01-C01-G01");
        await c.Whistle(onTime.Id);
        Clock.Advance(TimeSpan.FromHours(2));
        await c.Acknowledge(onTime.Id);
        Clock.Advance(TimeSpan.FromHours(8));
        await c.Resolve(onTime.Id);
        await c.Evaluate(onTime.Id, "satisfied");

        // Acknowledged after 6 h (late), resolved after 30 h (late), rated unsatisfied: reopened and open.
        var late = await c.File("garbage", "ST01-C01-G01");
        await c.Whistle(late.Id);
        Clock.Advance(TimeSpan.FromHours(6));
        await c.Acknowledge(late.Id);
        Clock.Advance(TimeSpan.FromHours(24));
        await c.Resolve(late.Id);
        await c.Evaluate(late.Id, "unsatisfied");

        // Water (pipe-blockage: 4 h / 48 h), street ST02: whistled, escalated twice, never acknowledged.
        var stalled = await c.File("pipe-blockage", "ST02-C03-G04");
        await c.Whistle(stalled.Id);
        Clock.Advance(TimeSpan.FromHours(5));
        await c.Act(stalled.Id, "escalate", new { reason = "An hour past the acknowledge deadline" });
        await c.Act(stalled.Id, "escalate", new { reason = "Still no word" });

        // Returned by water, then cancelled: dispatched but not valid; its return still counts.
        var cancelled = await c.File("pipe-blockage", "ST02-C03-G04");
        await c.Whistle(cancelled.Id);
        await c.Return(cancelled.Id);
        await c.Cancel(cancelled.Id, "invalid");

        // Handled locally in ST01: never whistled.
        var local = await c.File("garbage", "ST01-C01-G01");
        await c.Act(local.Id, "handle-locally", new { result = "Fixed by the building leader" });
        // Now 2026-03-04 06:00 in Shanghai.
    }
}

public class StatsApiTests(StatsApp app) : IClassFixture<StatsApp>
{
    private readonly HttpClient _client = app.CreateClient();

    [Fact]
    public async Task The_summary_gives_every_figure_worked_out_by_hand()
    {
        var f = (await _client.Summary()).Figures;

        // One named record, so a failure names the figure that differs.
        Assert.Equal(new Figures(
            DispatchedOrders: 4, ValidOrders: 3, CancelledOrders: 1, CompletedOrders: 1, CompletionRate: 1.0 / 3,
            // Over every dispatched order, as domain.md has it.
            AcknowledgedOnTime: 1, ResponseRate: 1.0 / 4,
            ResolvedOnTime: 1, OnTimeCompletionRate: 1.0,
            // The reopened order's latest word is unsatisfied.
            EvaluatedOrders: 2, SatisfiedOrders: 1, SatisfactionRate: 0.5,
            // Open: the reopened order (resolve deadline renewed, not passed) and the stalled one (past both deadlines).
            OpenBacklog: 2, OverdueNow: 1,
            Returns: 1, Reopens: 1, Escalations: 2, HandledLocally: 1,
            // Acknowledged after 2 h and 6 h: median 4, p90 2 + 0.9 × 4; resolved (completed) after 10 h.
            MedianHoursToAcknowledge: 4.0, P90HoursToAcknowledge: 5.6, MedianHoursToResolve: 10.0, P90HoursToResolve: 10.0),
            f with { P90HoursToAcknowledge = Math.Round(f.P90HoursToAcknowledge!.Value, 9) });
    }

    [Fact]
    public async Task Filters_narrow_the_figures_and_handled_locally_orders_have_no_department()
    {
        var street = (await _client.Summary("?streetCode=ST01")).Figures;
        Assert.Equal(new { ValidOrders = 2L, CompletedOrders = 1L, HandledLocally = 1L }, new { street.ValidOrders, street.CompletedOrders, street.HandledLocally });

        var water = (await _client.Summary("?departmentCode=water")).Figures;
        Assert.Equal(
            new { DispatchedOrders = 2L, ValidOrders = 1L, CompletedOrders = 0L, Returns = 1L, Escalations = 2L, HandledLocally = 0L },
            new { water.DispatchedOrders, water.ValidOrders, water.CompletedOrders, water.Returns, water.Escalations, water.HandledLocally });
        Assert.Null(water.MedianHoursToAcknowledge); // neither was ever acknowledged

        var category = (await _client.Summary("?categoryCode=garbage&communityCode=ST01-C01")).Figures;
        Assert.Equal(new { ValidOrders = 2L, HandledLocally = 1L }, new { category.ValidOrders, category.HandledLocally });
    }

    [Fact]
    public async Task The_breakdown_ranks_departments_with_empty_rates_last()
    {
        var response = await _client.GetAsync("/api/v1/stats/breakdown?groupBy=department&sort=completionRate&order=desc");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var breakdown = await response.Read<Breakdown>();

        Assert.Equal(["sanitation", "water"], breakdown.Rows.Select(r => r.Code));
        Assert.Equal((0.5, 0.0), (breakdown.Rows[0].Figures.CompletionRate, breakdown.Rows[1].Figures.CompletionRate));
        Assert.False(string.IsNullOrEmpty(breakdown.Rows[0].Name));

        var byStreet = await (await _client.GetAsync("/api/v1/stats/breakdown?groupBy=street&sort=medianHoursToAcknowledge")).Read<Breakdown>();
        Assert.Equal(["ST01", "ST02"], byStreet.Rows.Select(r => r.Code)); // ST02 has no acknowledgement: null, last
        Assert.Equal(1L, byStreet.Rows[0].Figures.HandledLocally);
        Assert.Null(byStreet.Rows[1].Figures.MedianHoursToAcknowledge);
    }

    [Fact]
    public async Task The_timeseries_cuts_days_weeks_and_months_in_Shanghai_and_keeps_empty_periods()
    {
        var days = await (await _client.GetAsync("/api/v1/stats/timeseries?interval=day&from=2026-03-01&to=2026-03-04")).Read<Timeseries>();
        Assert.Equal(["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"], days.Points.Select(p => p.Label));
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 16, 0, 0, TimeSpan.Zero), days.Points[1].Start);
        Assert.Equal([0L, 2L, 0L, 2L], days.Points.Select(p => p.Figures.DispatchedOrders)); // whistled 09:00 and 19:00 on the 2nd, 01:00 on the 4th
        Assert.Equal("Asia/Shanghai", days.TimeZone);

        var weeks = await (await _client.GetAsync("/api/v1/stats/timeseries?interval=week&from=2026-02-23&to=2026-03-15")).Read<Timeseries>();
        Assert.Equal(["2026-W09", "2026-W10", "2026-W11"], weeks.Points.Select(p => p.Label));
        Assert.Equal([0L, 4L, 0L], weeks.Points.Select(p => p.Figures.DispatchedOrders));

        var months = await (await _client.GetAsync("/api/v1/stats/timeseries?interval=month")).Read<Timeseries>();
        var march = Assert.Single(months.Points);
        Assert.Equal(("2026-03", 3L, 1L), (march.Label, march.Figures.ValidOrders, march.Figures.HandledLocally));
    }

    [Theory]
    [InlineData("/api/v1/stats/summary?streetCode=ST99", "streetCode")]
    [InlineData("/api/v1/stats/summary?departmentCode=nobody", "departmentCode")]
    [InlineData("/api/v1/stats/breakdown", "groupBy")]
    [InlineData("/api/v1/stats/breakdown?groupBy=grid", "groupBy")]
    [InlineData("/api/v1/stats/breakdown?groupBy=street&sort=colour", "sort")]
    [InlineData("/api/v1/stats/breakdown?groupBy=street&order=up", "order")]
    [InlineData("/api/v1/stats/timeseries?interval=hour", "interval")]
    [InlineData("/api/v1/stats/timeseries?interval=day&from=2020-01-01&to=2026-01-01", "interval")]
    [InlineData("/api/v1/stats/timeseries?interval=day&from=2026-03-05&to=2026-03-01", "to")]
    [InlineData("/api/v1/stats/timeseries?interval=day&to=2020-01-01", "to")]
    public async Task Bad_statistics_requests_are_a_400_naming_the_field(string url, string field)
    {
        var response = await _client.GetAsync(url);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal([field], (await response.Read<Problem>()).Errors!.Keys);
    }

    [Fact]
    public async Task Metrics_expose_the_headline_figures_for_prometheus()
    {
        await _client.Summary(); // one request for the request metrics to count
        var text = await _client.GetStringAsync("/metrics");

        Assert.Contains("whistle_orders{figure=\"valid\"} 3", text);
        Assert.Contains("whistle_orders{figure=\"escalations\"} 2", text);
        Assert.Contains("whistle_rate{rate=\"satisfaction\"} 0.5", text);
        Assert.Contains("http_requests_received_total", text);
    }
}

/// <summary>Polling: the same figures keep their ETag; a change, or a deadline passing, gives new ones.</summary>
public class StatsPollingTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    private readonly HttpClient _client = app.CreateClient();

    private async Task<HttpResponseMessage> Poll(string url, EntityTagHeaderValue? etag)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (etag is not null)
        {
            request.Headers.IfNoneMatch.Add(etag);
        }
        return await _client.SendAsync(request);
    }

    [Fact]
    public async Task Unchanged_figures_are_a_304_and_a_change_or_a_passing_deadline_is_not()
    {
        const string url = "/api/v1/stats/summary?categoryCode=garbage";
        var order = await _client.File("garbage");
        await _client.Whistle(order.Id);

        var first = await Poll(url, null);
        var etag = first.Headers.ETag!;
        Assert.False(etag.IsWeak);
        Assert.Contains("max-age", first.Headers.CacheControl!.ToString());

        var again = await Poll(url, etag);
        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
        Assert.Equal(etag, again.Headers.ETag);
        Assert.Empty(await again.Content.ReadAsByteArrayAsync());

        // Four hours and a microsecond later the order misses its acknowledge deadline: no write, new figures.
        app.Clock.Advance(TimeSpan.FromHours(4));
        Assert.Equal(HttpStatusCode.NotModified, (await Poll(url, etag)).StatusCode);
        app.Clock.Advance(TimeSpan.FromMilliseconds(1));
        var overdue = await Poll(url, etag);
        Assert.Equal(HttpStatusCode.OK, overdue.StatusCode);
        Assert.Equal(1L, (await overdue.Read<Summary>()).Figures.OverdueNow);

        // An action changes the figures at once, from the very next request.
        await _client.Acknowledge(order.Id);
        var acknowledged = await Poll(url, overdue.Headers.ETag);
        Assert.Equal(HttpStatusCode.OK, acknowledged.StatusCode);
        var figures = (await acknowledged.Read<Summary>()).Figures;
        Assert.Equal(new { OverdueNow = 0L, AcknowledgedOnTime = 0L }, new { figures.OverdueNow, figures.AcknowledgedOnTime });
    }

    [Fact]
    public async Task A_change_elsewhere_keeps_the_etag_of_figures_it_does_not_touch()
    {
        const string url = "/api/v1/stats/summary?categoryCode=public-toilet";
        var mine = await _client.File("public-toilet");
        await _client.Whistle(mine.Id);
        await Poll(url, null);
        var first = await Poll(url, null); // asked twice: now kept up to date change by change
        var elsewhere = await _client.File("streetlight");
        await _client.Whistle(elsewhere.Id);

        var after = await Poll(url, first.Headers.ETag);

        Assert.Equal(HttpStatusCode.NotModified, after.StatusCode);
    }

    [Fact]
    public async Task An_order_evaluated_then_returned_and_cancelled_still_counts_as_evaluated()
    {
        var order = await _client.File("street-vending");
        await _client.Whistle(order.Id);
        await _client.Acknowledge(order.Id);
        await _client.Resolve(order.Id);
        await _client.Evaluate(order.Id, "unsatisfied");
        await _client.Return(order.Id);
        await _client.Cancel(order.Id, "duplicate");

        var f = (await _client.Summary("?categoryCode=street-vending")).Figures;

        Assert.Equal(
            new { DispatchedOrders = 1L, ValidOrders = 0L, CancelledOrders = 1L, EvaluatedOrders = 1L, SatisfiedOrders = 0L, SatisfactionRate = (double?)0.0 },
            new { f.DispatchedOrders, f.ValidOrders, f.CancelledOrders, f.EvaluatedOrders, f.SatisfiedOrders, f.SatisfactionRate });
    }

    [Fact]
    public async Task Escalation_raises_the_level_street_then_district_and_is_refused_once_resolved()
    {
        var order = await _client.File("noise");
        await _client.Whistle(order.Id);

        var street = await _client.Act(order.Id, "escalate", new { reason = "Residents complain every night" }, actor: "supervisor-ST01");
        Assert.Equal(("street", 1, "whistled"), (street.EscalationLevel, street.Counters.Escalations, street.State));
        await _client.Acknowledge(order.Id);
        var district = await _client.Act(order.Id, "escalate", new { reason = "Still loud" }, actor: "supervisor-district");
        Assert.Equal(("district", 2), (district.EscalationLevel, district.Counters.Escalations));
        Assert.Equal(app.Clock.GetUtcNow(), district.Milestones.LastEscalatedAt);

        var history = await _client.History(order.Id);
        Assert.Equal(("escalate", "district", "Still loud", "supervisor-district"),
            (history[^1].Action, history[^1].Details["level"], history[^1].Details["reason"], history[^1].Actor));

        var missingReason = await _client.Post($"/api/v1/orders/{order.Id}/escalate", new { });
        Assert.Equal(HttpStatusCode.BadRequest, missingReason.StatusCode);
        await _client.Resolve(order.Id);
        var refused = await _client.Post($"/api/v1/orders/{order.Id}/escalate", new { reason = "Too late" });
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
    }
}
