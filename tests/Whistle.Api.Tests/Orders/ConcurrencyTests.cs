using System.Net;
using Microsoft.EntityFrameworkCore;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Orders;

/// <summary>Two actions on one order at the same moment never both succeed.</summary>
public class ConcurrencyTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    private const int Racers = 12;
    private readonly HttpClient _client = app.CreateClient();

    [Fact]
    public async Task Parallel_acknowledges_one_wins_the_rest_are_told_the_state_moved_on()
    {
        var order = await _client.File();
        await _client.Whistle(order.Id);

        var responses = await Task.WhenAll(Enumerable.Range(0, Racers).Select(i =>
            _client.Post($"/api/v1/orders/{order.Id}/acknowledge", actor: $"clerk-{i}")));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.OK), r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
        var history = await _client.History(order.Id);
        Assert.Single(history, e => e.Action == "acknowledge");
        Assert.Equal(3, (await _client.Get(order.Id)).Version);
    }

    [Fact]
    public async Task Parallel_different_actions_with_the_same_if_match_exactly_one_wins()
    {
        var order = await _client.File();
        await _client.Whistle(order.Id);
        string[] actions = ["acknowledge", "return", "cancel"];

        var responses = await Task.WhenAll(Enumerable.Range(0, Racers).Select(i =>
            _client.Post($"/api/v1/orders/{order.Id}/{actions[i % 3]}",
                new { reason = i % 3 == 1 ? "Not ours" : "withdrawn" }, ifMatch: "\"2\"")));

        var winner = Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        Assert.All(responses.Where(r => r != winner), r => Assert.Equal(HttpStatusCode.PreconditionFailed, r.StatusCode));
        var history = await _client.History(order.Id);
        Assert.Equal(3, history.Length);
        Assert.Equal((await winner.Read<Order>()).State, history[^1].ToState);
    }

    [Fact]
    public async Task An_action_waits_for_the_orders_row_lock_and_then_sees_the_state_left_behind()
    {
        var order = await _client.File();
        await _client.Whistle(order.Id);
        await using var db = app.Db();
        await using var holder = await db.Database.BeginTransactionAsync();
        await db.Database.ExecuteSqlAsync($"SELECT 1 FROM orders WHERE id = {order.Id} FOR UPDATE");

        var acknowledge = _client.Post($"/api/v1/orders/{order.Id}/acknowledge");
        // Queued behind the lock: the database shows the action's backend waiting for it (no sleep stands in for that).
        var queued = false;
        for (var tries = 0; !queued && tries < 500; tries++)
        {
            queued = await db.Database.SqlQuery<long>($"""
                SELECT count(*) AS "Value" FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                WHERE NOT l.granted AND a.datname = current_database()
                """).SingleAsync() > 0;
            if (!queued)
            {
                await Task.Delay(20);
            }
        }
        Assert.True(queued);
        Assert.False(acknowledge.IsCompleted);
        await db.Database.ExecuteSqlAsync($"UPDATE orders SET version = version + 1, state = 'cancelled' WHERE id = {order.Id}");
        await holder.CommitAsync();

        var response = await acknowledge;
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("cancelled", (await response.Read<Problem>()).State);
    }
}
