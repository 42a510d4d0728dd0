using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Webhooks;

/// <summary>
/// Deleting a subscription never fails someone else's order change: a change committing at the same
/// moment queues its event for the subscription or not, and either way succeeds.
/// </summary>
public class SubscriptionDeletedMidChangeTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    private readonly HttpClient _client = app.CreateClient();

    [Fact]
    public async Task Order_changes_racing_subscription_deletions_all_succeed_and_leave_no_orphan_events()
    {
        const int Subscriptions = 40;
        const int Orders = 120;
        var subscriptions = new List<Guid>();
        for (var i = 0; i < Subscriptions; i++)
        {
            var created = await _client.PostAsJsonAsync("/api/v1/webhooks", new { url = $"https://dept.example/hooks/{i}", events = new[] { "*" } });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            subscriptions.Add((await created.Read<Webhook>()).Id);
        }
        var orders = new List<Guid>();
        for (var i = 0; i < Orders; i++)
        {
            orders.Add((await _client.File()).Id);
        }

        // Interleaved: each deletion among three whistles, all in flight together.
        var work = new List<Func<Task<(string What, HttpStatusCode Status, string Body)>>>();
        for (var i = 0; i < Orders; i++)
        {
            var order = orders[i];
            work.Add(async () => await Outcome($"whistle {order}", await _client.Post($"/api/v1/orders/{order}/whistle")));
            if (i % 3 == 0 && i / 3 < Subscriptions)
            {
                var subscription = subscriptions[i / 3];
                work.Add(async () => await Outcome($"delete {subscription}", await _client.DeleteAsync($"/api/v1/webhooks/{subscription}")));
            }
        }
        var outcomes = await Task.WhenAll(work.Select(w => Task.Run(w)));

        var failed = outcomes.Where(o => o.Status is not (HttpStatusCode.OK or HttpStatusCode.NoContent)).ToList();
        Assert.True(failed.Count == 0, $"{failed.Count} failed, the first: {failed.FirstOrDefault()}");
        foreach (var order in orders)
        {
            Assert.Equal("whistled", (await _client.Get(order)).State);
        }
        await using var db = app.Db();
        Assert.Equal(0, await db.WebhookSubscriptions.CountAsync());
        Assert.Equal(0, await db.WebhookDeliveries.CountAsync());
    }

    private static async Task<(string, HttpStatusCode, string)> Outcome(string what, HttpResponseMessage response) =>
        (what, response.StatusCode, await response.Content.ReadAsStringAsync());
}
