using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Api.Features.Access;
using Whistle.Api.Features.Deadlines;
using Whistle.Api.Features.Webhooks;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Webhooks;

/// <summary>
/// Order events from the outbox to a real receiver on loopback, through the dispatcher run by hand
/// (<c>RunOnceAsync</c>) on the test's clock. Each test has its own service and database.
/// </summary>
public sealed class WebhookDeliveryTests : IAsyncLifetime
{
    private readonly WhistleApp _app = new();
    private HttpClient _client = null!;
    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync()
    {
        await _app.InitializeAsync();
        _client = _app.CreateClient();
        _receiver = await WebhookReceiver.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        await _app.DisposeAsync();
    }

    private WebhookDispatcher Dispatcher() => _app.Services.GetRequiredService<WebhookDispatcher>();

    private async Task<Webhook> Subscribe(params string[] events)
    {
        var response = await _client.PostAsJsonAsync("/api/v1/webhooks", new { url = _receiver.Url, events });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Read<Webhook>();
    }

    private async Task<Delivery[]> Deliveries(Webhook webhook, string query = "")
    {
        var response = await _client.GetAsync($"/api/v1/webhooks/{webhook.Id}/deliveries{query}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Read<DeliveryPage>()).Items;
    }

    private static JsonElement Body(WebhookReceiver.Received received) => JsonDocument.Parse(received.Body).RootElement;

    private static (string Type, Guid Order, int Version) Event(WebhookReceiver.Received received)
    {
        var body = Body(received);
        var data = body.GetProperty("data");
        return (body.GetProperty("type").GetString()!, data.GetProperty("id").GetGuid(), data.GetProperty("version").GetInt32());
    }

    [Fact]
    public async Task A_delivery_is_signed_the_standard_webhooks_way_and_carries_the_order_as_the_api_shows_it()
    {
        var webhook = await Subscribe("order.whistled");
        var order = await _client.File();
        var whistled = await _client.Whistle(order.Id);

        var run = await Dispatcher().RunOnceAsync(default);

        Assert.Equal(1, run.Delivered);
        var received = Assert.Single(_receiver.Requests);
        // Verified here from the secret alone, as a receiver would: HMAC-SHA256 keyed with the bytes after whsec_.
        var key = Convert.FromBase64String(webhook.Secret!["whsec_".Length..]);
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{received.Id}.{received.Timestamp}.{received.Body}")));
        Assert.Equal(expected, received.Signature);
        Assert.Equal(_app.Clock.GetUtcNow().ToUnixTimeSeconds(), long.Parse(received.Timestamp, System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(Guid.TryParse(received.Id, out _));
        // A tampered body does not verify.
        Assert.NotEqual(expected, "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{received.Id}.{received.Timestamp}.{received.Body} "))));

        var body = Body(received);
        Assert.Equal("order.whistled", body.GetProperty("type").GetString());
        Assert.Equal(whistled.Milestones.WhistledAt, body.GetProperty("timestamp").GetDateTimeOffset());
        var data = body.GetProperty("data").Deserialize<Order>(WhistleApp.Json)!;
        var current = await _client.Get(order.Id);
        Assert.Equal(JsonSerializer.Serialize(current, WhistleApp.Json), JsonSerializer.Serialize(data, WhistleApp.Json));
        Assert.Equal("whistled", body.GetProperty("data").GetProperty("state").GetString());
        Assert.Equal("sanitation", data.DepartmentCode);

        var delivery = Assert.Single(await Deliveries(webhook));
        Assert.Equal(("delivered", 1, received.Id), (delivery.Status, delivery.AttemptCount, delivery.EventId.ToString()));
        // Nothing is sent twice.
        Assert.Equal(0, (await Dispatcher().RunOnceAsync(default)).Attempts);
        Assert.Single(_receiver.Requests);
    }

    [Fact]
    public async Task Every_change_raises_its_event_and_a_subscriber_hears_each_orders_events_in_the_order_they_happened()
    {
        await Subscribe("*");
        var first = await _client.File();
        var second = await _client.File();
        // Interleaved changes of two orders, all queued before the dispatcher runs.
        await _client.Whistle(first.Id);
        await _client.Whistle(second.Id);
        await _client.Return(first.Id);
        await _client.Cancel(second.Id);
        await _client.Whistle(first.Id, "housing");
        await _client.Acknowledge(first.Id);
        await _client.Act(first.Id, "escalate", new { reason = "Residents keep calling" });
        await _client.Act(first.Id, "request-extension", new { resolveBy = WhistleApp.Start.AddDays(5), reason = "Parts on order" });
        await _client.Act(first.Id, "approve-extension", new { note = "Agreed" });
        await _client.Resolve(first.Id);
        await _client.Evaluate(first.Id, "unsatisfied");
        await _client.Resolve(first.Id);
        await _client.Evaluate(first.Id, "satisfied");

        await Dispatcher().RunOnceAsync(default);

        var received = _receiver.Accepted.Select(Event).ToList();
        Assert.Equal(
            ["order.whistled", "order.returned", "order.whistled", "order.escalated", "order.deadline-extended", "order.resolved",
             "order.reopened", "order.resolved", "order.closed"],
            received.Where(e => e.Order == first.Id).Select(e => e.Type));
        Assert.Equal(["order.whistled", "order.cancelled"], received.Where(e => e.Order == second.Id).Select(e => e.Type));
        // Each carries the order as it was right after its change.
        var versions = received.Where(e => e.Order == first.Id).Select(e => e.Version).ToList();
        Assert.Equal(versions.Order(), versions);
        Assert.Equal(received.Count, _receiver.Requests.Count);
    }

    [Fact]
    public async Task The_schedulers_escalations_and_automatic_closes_raise_events()
    {
        await Subscribe("order.escalated", "order.closed");
        var late = await _client.File();
        await _client.Whistle(late.Id);
        var unevaluated = await _client.File();
        await _client.Whistle(unevaluated.Id);
        await _client.Acknowledge(unevaluated.Id);
        await _client.Resolve(unevaluated.Id);
        _app.Clock.Advance(TimeSpan.FromDays(8));

        await _app.Services.GetRequiredService<DeadlineScheduler>().RunOnceAsync(default);
        await Dispatcher().RunOnceAsync(default);

        Assert.Equal(
            [("order.closed", unevaluated.Id), ("order.escalated", late.Id)],
            _receiver.Accepted.Select(Event).Select(e => (e.Type, e.Order)).Order());
    }

    [Fact]
    public async Task A_receiver_that_is_down_for_a_while_gets_everything_once_it_is_back_in_order()
    {
        var webhook = await Subscribe("*");
        var a = await _client.File();
        var b = await _client.File();
        await _client.Whistle(a.Id);
        await _client.Whistle(b.Id);
        await _client.Return(a.Id);
        _receiver.Status = 500;

        var down = await Dispatcher().RunOnceAsync(default);
        // Only each order's earliest event is tried while it is not delivered.
        Assert.Equal((0, 2), (down.Delivered, down.Retrying));
        Assert.All(await Deliveries(webhook, "?status=pending"), d => Assert.Equal(500, d.LastStatusCode ?? 500));

        // Still down at the first retry, 5 s (±20 %) later; then it comes back.
        _app.Clock.Advance(TimeSpan.FromSeconds(7));
        Assert.Equal(2, (await Dispatcher().RunOnceAsync(default)).Retrying);
        _receiver.Status = 200;
        Assert.Equal(0, (await Dispatcher().RunOnceAsync(default)).Attempts); // not due yet: backing off
        _app.Clock.Advance(TimeSpan.FromSeconds(40));
        var back = await Dispatcher().RunOnceAsync(default);

        Assert.Equal(3, back.Delivered);
        var accepted = _receiver.Accepted.Select(Event).ToList();
        Assert.Equal(["order.whistled", "order.returned"], accepted.Where(e => e.Order == a.Id).Select(e => e.Type));
        Assert.Equal(["order.whistled"], accepted.Where(e => e.Order == b.Id).Select(e => e.Type));
        Assert.Equal(3, _receiver.Accepted.Select(r => r.Id).Distinct().Count());
        var deliveries = await Deliveries(webhook);
        Assert.All(deliveries, d => Assert.Equal("delivered", d.Status));
        Assert.Equal([1, 3, 3], deliveries.Select(d => d.AttemptCount).Order());
        // The same webhook-id on every attempt of one event.
        var first = deliveries.Single(d => d.AttemptCount == 3 && d.OrderId == a.Id);
        Assert.Equal(3, _receiver.Requests.Count(r => r.Id == first.EventId.ToString()));
    }

    [Fact]
    public async Task A_disabled_subscription_is_paused_its_events_queue_and_go_out_in_order_once_it_is_enabled()
    {
        var webhook = await Subscribe("*");
        Assert.Equal(HttpStatusCode.OK, (await _client.PatchAsJsonAsync($"/api/v1/webhooks/{webhook.Id}", new { enabled = false })).StatusCode);
        var order = await _client.File();
        await _client.Whistle(order.Id);
        await _client.Return(order.Id);

        Assert.Equal(0, (await Dispatcher().RunOnceAsync(default)).Attempts);
        Assert.Equal(["pending", "pending"], (await Deliveries(webhook)).Select(d => d.Status));

        Assert.Equal(HttpStatusCode.OK, (await _client.PatchAsJsonAsync($"/api/v1/webhooks/{webhook.Id}", new { enabled = true })).StatusCode);
        Assert.Equal(2, (await Dispatcher().RunOnceAsync(default)).Delivered);
        Assert.Equal(["order.whistled", "order.returned"], _receiver.Accepted.Select(r => Event(r).Type));
    }

    [Fact]
    public async Task Finished_deliveries_are_deleted_after_the_retention_period_and_pending_ones_are_kept()
    {
        var webhook = await Subscribe("*");
        var delivered = await _client.File();
        await _client.Whistle(delivered.Id);
        await Dispatcher().RunOnceAsync(default);
        _receiver.Status = 500;
        var pending = await _client.File();
        await _client.Whistle(pending.Id);
        await Dispatcher().RunOnceAsync(default);

        _app.Clock.Advance(TimeSpan.FromDays(29));
        Assert.Equal(0, await Dispatcher().SweepAsync(default));
        _app.Clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(1, await Dispatcher().SweepAsync(default));

        var left = Assert.Single(await Deliveries(webhook));
        Assert.Equal((pending.Id, "pending"), (left.OrderId, left.Status));
    }

    [Fact]
    public async Task A_refused_connection_is_retried_and_recorded_as_an_attempt_with_its_error()
    {
        // A port nothing listens on: the receiver refuses the connection.
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var response = await _client.PostAsJsonAsync("/api/v1/webhooks", new { url = $"http://127.0.0.1:{port}/hook", events = new[] { "*" } });
        var webhook = await response.Read<Webhook>();
        var order = await _client.File();
        await _client.Whistle(order.Id);

        Assert.Equal(1, (await Dispatcher().RunOnceAsync(default)).Retrying);

        var delivery = Assert.Single(await Deliveries(webhook));
        var detail = await (await _client.GetAsync($"/api/v1/webhooks/{webhook.Id}/deliveries/{delivery.Id}")).Read<DeliveryDetail>();
        var attempt = Assert.Single(detail.Attempts);
        Assert.Null(attempt.StatusCode);
        Assert.False(string.IsNullOrEmpty(attempt.Error));
        Assert.Equal(_app.Clock.GetUtcNow(), attempt.At, TimeSpan.FromMilliseconds(1));
        Assert.Equal("pending", detail.Delivery.Status);
        Assert.True(detail.Delivery.NextAttemptAt > _app.Clock.GetUtcNow());
        Assert.Equal("order.whistled", detail.Payload.GetProperty("type").GetString());
    }

    [Fact]
    public async Task After_the_retry_window_a_delivery_is_failed_and_can_be_redelivered()
    {
        var webhook = await Subscribe("*");
        var order = await _client.File();
        await _client.Whistle(order.Id);
        _receiver.Status = 503;
        var started = _app.Clock.GetUtcNow();

        var passes = 0;
        while ((await Deliveries(webhook, "?status=failed")).Length == 0)
        {
            Assert.True(++passes < 60, "The delivery should have failed after its 24 h retry window.");
            await Dispatcher().RunOnceAsync(default);
            _app.Clock.Advance(TimeSpan.FromMinutes(30));
        }

        var failed = Assert.Single(await Deliveries(webhook, "?status=failed"));
        Assert.True(failed.FailedAt - started >= TimeSpan.FromHours(24), $"failed after {failed.FailedAt - started}");
        Assert.True(failed.FailedAt - started < TimeSpan.FromHours(25), $"failed after {failed.FailedAt - started}");
        var detail = await (await _client.GetAsync($"/api/v1/webhooks/{webhook.Id}/deliveries/{failed.Id}")).Read<DeliveryDetail>();
        Assert.Equal(failed.AttemptCount, detail.Attempts.Length);
        Assert.InRange(detail.Attempts.Length, 8, 20);
        Assert.All(detail.Attempts, a => Assert.Equal(503, a.StatusCode));
        // Backing off: each wait at least as long as the one before (up to the jitter), from seconds to hours.
        var waits = detail.Attempts.Zip(detail.Attempts.Skip(1), (x, y) => y.At - x.At).ToList();
        Assert.True(waits[^2] > TimeSpan.FromHours(2), string.Join(", ", waits));
        Assert.Equal(0, (await Dispatcher().RunOnceAsync(default)).Attempts);

        _receiver.Status = 200;
        var redeliver = await _client.PostAsync($"/api/v1/webhooks/{webhook.Id}/deliveries/{failed.Id}/redeliver", null);
        Assert.Equal(HttpStatusCode.Accepted, redeliver.StatusCode);
        Assert.Equal("pending", (await redeliver.Read<Delivery>()).Status);
        var again = await _client.PostAsync($"/api/v1/webhooks/{webhook.Id}/deliveries/{failed.Id}/redeliver", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        Assert.Equal(1, (await Dispatcher().RunOnceAsync(default)).Delivered);
        var delivered = Assert.Single(await Deliveries(webhook));
        Assert.Equal("delivered", delivered.Status);
        Assert.Equal(failed.EventId.ToString(), _receiver.Accepted.Single().Id);
    }

    [Fact]
    public async Task Two_dispatchers_at_once_deliver_each_event_exactly_once_and_in_order_per_order()
    {
        await Subscribe("*");
        var orders = new List<Guid>();
        for (var i = 0; i < 30; i++)
        {
            var order = await _client.File();
            await _client.Whistle(order.Id);
            await _client.Acknowledge(order.Id);
            await _client.Resolve(order.Id);
            orders.Add(order.Id);
        }
        _receiver.Delay = TimeSpan.FromMilliseconds(5);
        // Two dispatchers as two instances would have them: their own objects over the one database,
        // claiming a few at a time so that neither can take the whole backlog in one pass.
        var small = Microsoft.Extensions.Options.Options.Create(new WebhookOptions { BatchSize = 4, Concurrency = 4 });
        var one = ActivatorUtilities.CreateInstance<WebhookDispatcher>(_app.Services, small);
        var two = ActivatorUtilities.CreateInstance<WebhookDispatcher>(_app.Services, small);
        var delivered = 0;

        var runs = await Task.WhenAll(Loop(one), Loop(two));

        Assert.Equal(60, _receiver.Requests.Count);
        Assert.Equal(60, _receiver.Requests.Select(r => r.Id).Distinct().Count());
        Assert.Equal(60, runs.Sum(r => r));
        Assert.All(runs, r => Assert.True(r > 0, $"each dispatcher took a share: {string.Join(", ", runs)}"));
        var events = _receiver.Requests.OrderBy(r => r.At).Select(Event).ToList();
        foreach (var order in orders)
        {
            Assert.Equal(["order.whistled", "order.resolved"], events.Where(e => e.Order == order).Select(e => e.Type));
        }

        // Passes until everything is delivered (a pass ends when nothing is due for it, while the other
        // may still hold the earlier event of an order), within a bound so a lost event fails the test.
        async Task<int> Loop(WebhookDispatcher dispatcher)
        {
            var mine = 0;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (Volatile.Read(ref delivered) < 60 && DateTime.UtcNow < deadline)
            {
                var now = (await dispatcher.RunOnceAsync(default)).Delivered;
                mine += now;
                Interlocked.Add(ref delivered, now);
                await Task.Yield();
            }
            return mine;
        }
    }

    [Fact]
    public async Task A_change_that_is_rolled_back_writes_no_event_and_an_event_that_cannot_be_written_rolls_back_the_change()
    {
        var webhook = await Subscribe("*");
        var order = await _client.File();
        // A history row already holding the version the whistle would take: its batch fails after the order update.
        await using (var db = _app.Db())
        {
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO order_history (order_id, version, action, from_state, to_state, actor, at, details)
                VALUES ({order.Id}, {order.Version + 1}, 'whistle', 'discovered', 'whistled', 'someone', now(), {"{}"}::jsonb)
                """);
        }
        var failed = await _client.Post($"/api/v1/orders/{order.Id}/whistle");
        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal("discovered", (await _client.Get(order.Id)).State);
        Assert.Empty(await Deliveries(webhook));

        // And the other way round: the outbox refuses the row, so the order does not change either.
        var other = await _client.File();
        await using (var db = _app.Db())
        {
            await db.Database.ExecuteSqlRawAsync("""
                CREATE FUNCTION refuse_delivery() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'outbox unavailable'; END $$;
                CREATE TRIGGER refuse_delivery BEFORE INSERT ON webhook_deliveries FOR EACH ROW EXECUTE FUNCTION refuse_delivery();
                """);
        }
        Assert.Equal(HttpStatusCode.InternalServerError, (await _client.Post($"/api/v1/orders/{other.Id}/whistle")).StatusCode);
        Assert.Equal("discovered", (await _client.Get(other.Id)).State);
        Assert.Single(await _client.History(other.Id));

        await Dispatcher().RunOnceAsync(default);
        Assert.Empty(_receiver.Requests);
    }

    [Fact]
    public async Task A_department_hears_only_its_own_orders_and_a_community_only_its_communitys_each_seeing_the_order_as_it_would_get_it()
    {
        var sanitationClient = _app.ClientAs(Role.Department, department: "sanitation");
        var housingClient = _app.ClientAs(Role.Department, department: "housing");
        var communityClient = _app.ClientAs(Role.Community, community: "ST01-C01");
        var sanitationReceiver = _receiver;
        await using var housingReceiver = await WebhookReceiver.StartAsync();
        await using var communityReceiver = await WebhookReceiver.StartAsync();
        await SubscribeWith(sanitationClient, sanitationReceiver);
        await SubscribeWith(housingClient, housingReceiver);
        await SubscribeWith(communityClient, communityReceiver);

        var garbage = await _client.File(grid: "ST01-C01-G01");
        await _client.Whistle(garbage.Id);                 // to sanitation (the duty catalogue)
        var elsewhere = await _client.File(grid: "ST01-C02-G01");
        await _client.Whistle(elsewhere.Id, "housing");    // to housing, another community
        await _client.Return(elsewhere.Id);                // housing's return: housing's event, though it has no department now
        await _client.Whistle(elsewhere.Id, "sanitation");
        await _client.Act(garbage.Id, "reassign", new { departmentCode = "housing", reason = "Bulky waste from a renovation" });

        await Dispatcher().RunOnceAsync(default);

        Assert.Equal([("order.whistled", garbage.Id), ("order.whistled", elsewhere.Id)], sanitationReceiver.Accepted.Select(Event).Select(e => (e.Type, e.Order)).Order());
        // Housing: its return, its whistle, and the reassignment of sanitation's order to it (a whistle to housing).
        Assert.Equal(
            [("order.returned", elsewhere.Id), ("order.whistled", garbage.Id), ("order.whistled", elsewhere.Id)],
            housingReceiver.Accepted.Select(Event).Select(e => (e.Type, e.Order)).Order());
        Assert.Equal([("order.whistled", garbage.Id), ("order.whistled", garbage.Id)], communityReceiver.Accepted.Select(Event).Select(e => (e.Type, e.Order)));
        // allowedActions as each would GET the order: the department's acknowledge and return, the community's cancel.
        var toHousing = Body(housingReceiver.Accepted.Single(r => Event(r).Order == garbage.Id)).GetProperty("data").Deserialize<Order>(WhistleApp.Json)!;
        Assert.Equal((await housingClient.Get(garbage.Id)).AllowedActions, toHousing.AllowedActions);
        var toCommunity = Body(communityReceiver.Accepted.Last()).GetProperty("data").Deserialize<Order>(WhistleApp.Json)!;
        Assert.Equal((await communityClient.Get(garbage.Id)).AllowedActions, toCommunity.AllowedActions);
        var toSanitation = Body(sanitationReceiver.Accepted.Single(r => Event(r).Order == elsewhere.Id)).GetProperty("data").Deserialize<Order>(WhistleApp.Json)!;
        Assert.Equal((await sanitationClient.Get(elsewhere.Id)).AllowedActions, toSanitation.AllowedActions);
        Assert.NotEqual(toSanitation.AllowedActions, toCommunity.AllowedActions);
    }

    private static async Task SubscribeWith(HttpClient client, WebhookReceiver receiver)
    {
        var response = await client.PostAsJsonAsync("/api/v1/webhooks", new { url = receiver.Url, events = new[] { "*" } });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }
}
