using System.Net;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests;

/// <summary>
/// The completion figures over a known mix of orders, with period bounds cut in Asia/Shanghai
/// (the clock starts 2026-03-02 09:00 there).
/// </summary>
public sealed class SummaryApp : WhistleApp
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var c = CreateClient();

        // Completed: resolved, and resolved then closed.
        var resolved = await Whistled(c);
        await c.Acknowledge(resolved.Id);
        await c.Resolve(resolved.Id);
        var closed = await Whistled(c);
        await c.Acknowledge(closed.Id);
        await c.Resolve(closed.Id);
        await c.Evaluate(closed.Id, "satisfied");

        // Valid but not completed: reopened by an unsatisfied evaluation, still open, returned.
        var reopened = await Whistled(c);
        await c.Acknowledge(reopened.Id);
        await c.Resolve(reopened.Id);
        await c.Act(reopened.Id, "evaluate", new { rating = "unsatisfied", comment = "Still broken" });
        await Whistled(c);
        var returned = await Whistled(c);
        await c.Return(returned.Id);

        // Not valid: cancelled after the whistle. Not counted: never whistled.
        var cancelled = await Whistled(c);
        await c.Cancel(cancelled.Id, "invalid");
        await c.File();
        var local = await c.File();
        await c.Act(local.Id, "handle-locally", new { result = "Fixed" });

        // The last second of March in Shanghai (completed), then the first minutes of April (open).
        Clock.SetUtcNow(new DateTimeOffset(2026, 3, 31, 15, 59, 59, TimeSpan.Zero));
        var lastSecond = await Whistled(c);
        await c.Acknowledge(lastSecond.Id);
        await c.Resolve(lastSecond.Id);
        var late = await c.File();
        Clock.SetUtcNow(new DateTimeOffset(2026, 3, 31, 16, 30, 0, TimeSpan.Zero));
        await c.Whistle(late.Id);
    }

    private static async Task<Order> Whistled(HttpClient client)
    {
        var order = await client.File();
        await client.Whistle(order.Id);
        return order;
    }
}

public class SummaryTests(SummaryApp app) : IClassFixture<SummaryApp>
{
    private readonly HttpClient _client = app.CreateClient();

    [Fact]
    public async Task March_counts_whistled_orders_less_cancelled_and_completed_ones_are_resolved_or_closed()
    {
        var march = await _client.Summary("?from=2026-03-01&to=2026-03-31");

        Assert.Equal(new DateTimeOffset(2026, 2, 28, 16, 0, 0, TimeSpan.Zero), march.From);
        Assert.Equal(new DateTimeOffset(2026, 3, 31, 16, 0, 0, TimeSpan.Zero), march.To);
        Assert.Equal((6L, 3L, 0.5), (march.Figures.ValidOrders, march.Figures.CompletedOrders, march.Figures.CompletionRate));
    }

    [Fact]
    public async Task April_and_all_time()
    {
        var april = await _client.Summary("?from=2026-04-01&to=2026-04-30");
        Assert.Equal((1L, 0L, 0.0), (april.Figures.ValidOrders, april.Figures.CompletedOrders, april.Figures.CompletionRate));

        var all = await _client.Summary();
        Assert.Equal((null, null, 7L, 3L, 3.0 / 7), (all.From, all.To, all.Figures.ValidOrders, all.Figures.CompletedOrders, all.Figures.CompletionRate));
    }

    [Fact]
    public async Task Date_time_bounds_are_inclusive_from_and_exclusive_to()
    {
        var lastSecond = await _client.Summary("?from=2026-03-31T23:59:59%2B08:00&to=2026-04-01T00:00:00%2B08:00");
        Assert.Equal((1L, 1L), (lastSecond.Figures.ValidOrders, lastSecond.Figures.CompletedOrders));

        var before = await _client.Summary("?from=2026-03-31T00:00:00Z&to=2026-03-31T15:59:59Z");
        Assert.Equal(0L, before.Figures.ValidOrders);

        var unencodedPlus = await _client.Summary("?from=2026-03-31T23:59:59+08:00&to=2026-04-01T00:00:00+08:00");
        Assert.Equal(1L, unencodedPlus.Figures.ValidOrders); // '+' typed into a URL arrives as a space

        var wallClock = await _client.Summary("?from=2026-03-31T23:59:59&to=2026-04-01T00:00:00");
        Assert.Equal(1L, wallClock.Figures.ValidOrders); // no offset: the district's wall clock
    }

    [Fact]
    public async Task A_period_with_no_valid_orders_has_no_rate()
    {
        var empty = await _client.Summary("?from=2025-01-01&to=2025-12-31");

        Assert.Equal((0L, 0L, (double?)null), (empty.Figures.ValidOrders, empty.Figures.CompletedOrders, empty.Figures.CompletionRate));
    }

    [Theory]
    [InlineData("?from=yesterday", "from")]
    [InlineData("?to=2026-13-01", "to")]
    [InlineData("?from=2026-04-01&to=2026-03-01", "to")]
    [InlineData("?from=2026-03-01&to=2026-03-01T00:00:00%2B08:00", "to")]
    public async Task Bad_periods_are_a_400(string query, string field)
    {
        var response = await _client.GetAsync("/api/v1/stats/summary" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal([field], (await response.Read<Problem>()).Errors!.Keys);
    }
}
