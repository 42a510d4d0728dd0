using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Api.Features.Deadlines;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Deadlines;

/// <summary>
/// The deadline scheduler against the test's clock. Garbage orders are due to be acknowledged 4 h
/// and resolved 24 h after the whistle; escalating again waits 24 h; unevaluated orders close after 7 days.
/// </summary>
public sealed class DeadlineSchedulerTests : IAsyncLifetime
{
    private readonly WhistleApp _app = new();
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        await _app.InitializeAsync();
        _client = _app.CreateClient();
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private DeadlineScheduler Scheduler() => _app.Services.GetRequiredService<DeadlineScheduler>();

    private async Task<Order> Whistled()
    {
        var order = await _client.File();
        return await _client.Whistle(order.Id);
    }

    [Fact]
    public async Task An_order_that_cannot_be_saved_is_left_for_the_next_pass_and_the_others_are_escalated()
    {
        var blocked = await Whistled();
        var others = new[] { await Whistled(), await Whistled() };
        // A history row already holding the version its escalation would take: saving it fails on the unique index.
        await using (var db = _app.Db())
        {
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO order_history (order_id, version, action, from_state, to_state, actor, at, details)
                VALUES ({blocked.Id}, {blocked.Version + 1}, 'escalate', 'whistled', 'whistled', 'someone', now(), {"{}"}::jsonb)
                """);
        }
        _app.Clock.Advance(TimeSpan.FromHours(5));

        Assert.Equal(new SchedulerRun(2, 0), await Scheduler().RunOnceAsync(default));

        Assert.Equal("none", (await _client.Get(blocked.Id)).EscalationLevel);
        foreach (var order in others)
        {
            Assert.Equal("street", (await _client.Get(order.Id)).EscalationLevel);
        }
    }

    [Fact]
    public async Task An_overdue_order_is_escalated_to_the_street_then_after_a_day_to_the_district_and_no_further()
    {
        var order = await Whistled();

        _app.Clock.Advance(TimeSpan.FromHours(4));
        Assert.Equal(new SchedulerRun(0, 0), await Scheduler().RunOnceAsync(default));
        Assert.False((await _client.Get(order.Id)).Deadlines.Overdue);

        _app.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(new SchedulerRun(1, 0), await Scheduler().RunOnceAsync(default));
        var street = await _client.Get(order.Id);
        Assert.Equal("street", street.EscalationLevel);
        Assert.True(street.Deadlines.Overdue);
        Assert.Equal(order.Deadlines.AcknowledgeBy, street.Deadlines.OverdueSince);
        Assert.Equal("whistled", street.State);
        var entry = (await _client.History(order.Id))[^1];
        Assert.Equal(("escalate", "scheduler", "street"), (entry.Action, entry.Actor, entry.Details["level"]));
        Assert.Contains("acknowledge deadline", entry.Details["reason"]);

        // Still overdue, but not yet a day after the street escalation.
        Assert.Equal(new SchedulerRun(0, 0), await Scheduler().RunOnceAsync(default));
        _app.Clock.Advance(TimeSpan.FromHours(23));
        Assert.Equal(new SchedulerRun(0, 0), await Scheduler().RunOnceAsync(default));

        _app.Clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(new SchedulerRun(1, 0), await Scheduler().RunOnceAsync(default));
        var district = await _client.Get(order.Id);
        Assert.Equal("district", district.EscalationLevel);
        Assert.Equal(2, district.Counters.Escalations);

        _app.Clock.Advance(TimeSpan.FromDays(3));
        Assert.Equal(new SchedulerRun(0, 0), await Scheduler().RunOnceAsync(default));
        Assert.Equal(2, (await _client.Get(order.Id)).Counters.Escalations);
        Assert.Equal(2, (await _client.Summary()).Figures.Escalations);
    }

    [Fact]
    public async Task Orders_within_their_deadlines_or_without_a_running_one_are_left_alone_and_a_missed_resolve_is_named()
    {
        var acknowledged = await Whistled();
        await _client.Acknowledge(acknowledged.Id);
        var resolved = await Whistled();
        await _client.Acknowledge(resolved.Id);
        await _client.Resolve(resolved.Id);
        var returned = await Whistled();
        await _client.Return(returned.Id);

        _app.Clock.Advance(TimeSpan.FromHours(23));
        Assert.Equal(new SchedulerRun(0, 0), await Scheduler().RunOnceAsync(default));

        _app.Clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(new SchedulerRun(1, 0), await Scheduler().RunOnceAsync(default));
        var late = await _client.Get(acknowledged.Id);
        Assert.Equal(("street", true), (late.EscalationLevel, late.Deadlines.Overdue));
        Assert.Equal(late.Deadlines.ResolveBy, late.Deadlines.OverdueSince);
        Assert.Contains("resolve deadline", (await _client.History(acknowledged.Id))[^1].Details["reason"]);
        Assert.Equal("none", (await _client.Get(resolved.Id)).EscalationLevel);
        Assert.Equal("none", (await _client.Get(returned.Id)).EscalationLevel);
    }

    [Fact]
    public async Task Two_schedulers_at_once_escalate_each_order_exactly_once_per_level()
    {
        var orders = new List<Order>();
        for (var i = 0; i < 120; i++)
        {
            orders.Add(await Whistled());
        }
        var one = ActivatorUtilitiesScheduler();
        var two = ActivatorUtilitiesScheduler();

        _app.Clock.Advance(TimeSpan.FromHours(5));
        var first = await Task.WhenAll(Task.Run(() => one.RunOnceAsync(default)), Task.Run(() => two.RunOnceAsync(default)));
        _app.Clock.Advance(TimeSpan.FromHours(25));
        var second = await Task.WhenAll(Task.Run(() => one.RunOnceAsync(default)), Task.Run(() => two.RunOnceAsync(default)));

        Assert.Equal(120, first.Sum(r => r.Escalated));
        Assert.Equal(120, second.Sum(r => r.Escalated));
        foreach (var order in orders)
        {
            var escalations = (await _client.History(order.Id)).Where(e => e.Action == "escalate").Select(e => e.Details["level"]);
            Assert.Equal(["street", "district"], escalations);
        }
    }

    private DeadlineScheduler ActivatorUtilitiesScheduler() => ActivatorUtilities.CreateInstance<DeadlineScheduler>(_app.Services);

    [Fact]
    public async Task A_resolved_order_not_evaluated_in_seven_days_closes_without_evaluation_and_counts_as_completed_not_evaluated()
    {
        var order = await Whistled();
        await _client.Acknowledge(order.Id);
        var resolved = await _client.Resolve(order.Id);
        Assert.Equal(["evaluate"], resolved.AllowedActions);
        var evaluatedInTime = await Whistled();
        await _client.Acknowledge(evaluatedInTime.Id);
        await _client.Resolve(evaluatedInTime.Id);

        _app.Clock.Advance(TimeSpan.FromDays(7) - TimeSpan.FromSeconds(1));
        await _client.Evaluate(evaluatedInTime.Id, "satisfied");
        Assert.Equal(new SchedulerRun(0, 0), await Scheduler().RunOnceAsync(default));
        Assert.Equal("resolved", (await _client.Get(order.Id)).State);

        _app.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(new SchedulerRun(0, 1), await Scheduler().RunOnceAsync(default));

        var closed = await _client.Get(order.Id);
        Assert.Equal(("closed", null, 0), (closed.State, closed.Rating, closed.AllowedActions.Length));
        Assert.Equal(_app.Clock.GetUtcNow(), closed.Milestones.ClosedAt);
        var entry = (await _client.History(order.Id))[^1];
        Assert.Equal(("close-unevaluated", "resolved", "closed", "scheduler"), (entry.Action, entry.FromState, entry.ToState, entry.Actor));
        var figures = (await _client.Summary()).Figures;
        Assert.Equal((2L, 1L, 1L), (figures.CompletedOrders, figures.EvaluatedOrders, figures.SatisfiedOrders));
        Assert.Equal(new SchedulerRun(0, 0), await Scheduler().RunOnceAsync(default));
    }

    [Fact]
    public async Task Clients_cannot_close_an_order_unevaluated()
    {
        var order = await Whistled();
        await _client.Acknowledge(order.Id);
        await _client.Resolve(order.Id);

        var response = await _client.Post($"/api/v1/orders/{order.Id}/close-unevaluated");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("resolved", (await _client.Get(order.Id)).State);
    }
}

/// <summary>The scheduler as the service runs it: ticking on the service's clock, with nobody calling it.</summary>
public sealed class BackgroundSchedulerTests : IAsyncLifetime
{
    private readonly WhistleApp _app = new() { SchedulerEnabled = true };

    public Task InitializeAsync() => _app.InitializeAsync();

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Moving_the_clock_past_a_deadline_escalates_the_order_without_anyone_asking()
    {
        var client = _app.CreateClient();
        var order = await client.Whistle((await client.File()).Id);

        _app.Clock.Advance(TimeSpan.FromHours(4) + TimeSpan.FromMinutes(1));

        // The tick runs on the timer's thread: wait for its result, bounded, without moving time.
        var deadline = DateTime.UtcNow.AddSeconds(15);
        Order current;
        do
        {
            current = await client.Get(order.Id);
            if (current.EscalationLevel != "none")
            {
                break;
            }
            await Task.Delay(50);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Equal("street", current.EscalationLevel);
        Assert.Equal("scheduler", (await client.History(order.Id))[^1].Actor);
    }
}
