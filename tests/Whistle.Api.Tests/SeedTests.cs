using Microsoft.EntityFrameworkCore;
using Whistle.Api.Features.Seeding;
using Whistle.Api.Tests.Infrastructure;
using Whistle.Domain.Orders;

namespace Whistle.Api.Tests;

/// <summary>The seed verb: lifelike, lifecycle-true histories bulk-loaded beside the API's own orders.</summary>
public sealed class SeededApp : WhistleApp
{
    public const int Orders = 1500;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await SeedOrders.SeedAsync(ConnectionString, new SeedOrders.Options(Orders, 2025, 7), TimeProvider.System, _ => { }, default);
    }
}

public class SeedTests(SeededApp app) : IClassFixture<SeededApp>
{
    [Fact]
    public async Task Every_seeded_history_replays_through_the_lifecycle_to_its_orders_state()
    {
        await using var db = app.Db();
        var orders = await db.Orders.AsNoTracking().ToDictionaryAsync(o => o.Id);
        var history = (await db.OrderHistory.AsNoTracking().ToListAsync()).GroupBy(e => e.OrderId).ToDictionary(g => g.Key, g => g.OrderBy(e => e.Version).ToList());
        var transitions = Lifecycle.Describe().Transitions.Select(t => (t.From, WireName.Of(t.Action), t.To)).ToHashSet();

        Assert.Equal(SeededApp.Orders, orders.Count);
        foreach (var (id, order) in orders)
        {
            var entries = history[id];
            Assert.Equal(Enumerable.Range(1, order.Version), entries.Select(e => e.Version));
            Assert.Equal(("file", (OrderState?)null, OrderState.Discovered), (entries[0].Action, entries[0].FromState, entries[0].ToState));
            for (var i = 1; i < entries.Count; i++)
            {
                Assert.Equal(entries[i - 1].ToState, entries[i].FromState);
                Assert.Contains((entries[i].FromState!.Value, entries[i].Action, entries[i].ToState), transitions);
                Assert.True(entries[i].At >= entries[i - 1].At);
            }
            Assert.Equal(order.State, entries[^1].ToState);
        }
    }

    [Fact]
    public async Task A_seeded_year_looks_like_Hohhots_about_96_percent_completed_with_returns_reopens_and_local_fixes()
    {
        var summary = await app.CreateClient().Summary("?from=2025-01-01&to=2025-12-31");

        Assert.InRange(summary.Figures.CompletionRate!.Value, 0.93, 0.99);
        Assert.InRange(summary.Figures.ValidOrders, (long)(SeededApp.Orders * 0.8), (long)(SeededApp.Orders * 0.95));
        Assert.InRange(summary.Figures.ResponseRate!.Value, 0.8, 0.97);
        Assert.InRange(summary.Figures.SatisfactionRate!.Value, 0.9, 1.0);
        Assert.True(summary.Figures.Escalations > 0);
        Assert.True(summary.Figures.MedianHoursToAcknowledge < summary.Figures.MedianHoursToResolve);
        await using var db = app.Db();
        Assert.True(await db.Orders.CountAsync(o => o.ReturnCount > 0) > 0);
        Assert.True(await db.Orders.CountAsync(o => o.ReopenCount > 0) > 0);
        Assert.True(await db.Orders.CountAsync(o => o.State == OrderState.HandledLocally) > 0);
        Assert.True(await db.Orders.CountAsync(o => o.State == OrderState.Cancelled) > 0);
        Assert.True(await db.Orders.CountAsync(o => o.AcknowledgedAt > o.AcknowledgeBy) > 0);
    }

    [Fact]
    public async Task Seeded_orders_are_served_like_any_other_newest_first_and_can_still_be_acted_on()
    {
        var client = app.CreateClient();
        var page = await (await client.GetAsync("/api/v1/orders?state=whistled&limit=5")).Read<OrderPage>();

        Assert.NotEmpty(page.Items);
        Assert.Equal(page.Items.OrderByDescending(o => o.Code, StringComparer.Ordinal).Select(o => o.Code), page.Items.Select(o => o.Code));
        var acknowledged = await client.Acknowledge(page.Items[0].Id);
        Assert.Equal("acknowledged", acknowledged.State);
    }
}
