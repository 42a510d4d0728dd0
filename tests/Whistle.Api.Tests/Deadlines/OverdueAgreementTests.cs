using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Api.Features.Deadlines;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Deadlines;

/// <summary>
/// "Overdue" as four consumers see it: the order's own <c>deadlines.overdue</c>, the
/// <c>?overdue=true</c> listing (which orders, in which order), the scheduler's choice of orders to
/// escalate, and the statistics' <c>overdueNow</c>. Random orders taken down random paths (random steps at random times), then
/// looked at from every side at random clock times: all four must agree every time.
/// </summary>
public sealed class OverdueAgreementTests : IAsyncLifetime
{
    private readonly WhistleApp _app = new();
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        await _app.InitializeAsync();
        _client = _app.CreateClient();
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task The_order_the_listing_the_scheduler_and_the_statistics_agree_on_what_is_overdue(int seed)
    {
        var random = new Random(seed);
        var orders = new List<Order>();
        for (var i = 0; i < 40; i++)
        {
            orders.Add(await _client.File(
                category: random.Next(3) switch { 0 => "garbage", 1 => "noise", _ => "water-outage" },
                priority: random.Next(4) == 0 ? "urgent" : null));
        }
        for (var step = 0; step < 120; step++)
        {
            _app.Clock.Advance(TimeSpan.FromMinutes(random.Next(0, 90)));
            var i = random.Next(orders.Count);
            orders[i] = await StepAsync(orders[i], random);
        }

        var scheduler = _app.Services.GetRequiredService<DeadlineScheduler>();
        var seen = new List<(int Overdue, int WithDeadlines)>();
        for (var look = 0; look < 5; look++)
        {
            _app.Clock.Advance(TimeSpan.FromMinutes(random.Next(0, 6 * 60)));
            var now = await AllAsync("");
            // The order's own word, ordered as a supervisor chases them: the deadline missed first, then by number.
            var overdue = now.Where(o => o.Deadlines.Overdue)
                .OrderBy(o => o.Deadlines.OverdueSince).ThenBy(o => o.Code, StringComparer.Ordinal)
                .Select(o => o.Code).ToList();

            seen.Add((overdue.Count, now.Count(o => o.Deadlines.AcknowledgeBy is not null || o.Deadlines.ResolveBy is not null)));
            Assert.Equal(overdue, (await AllAsync("overdue=true&")).Select(o => o.Code));
            Assert.Equal(overdue.Count, (await _client.Summary()).Figures.OverdueNow);
            // No action happens between looks, so an order once overdue stays overdue: after each pass
            // the scheduler has escalated exactly the orders overdue now (none was escalated by hand).
            await scheduler.RunOnceAsync(default);
            var escalated = (await AllAsync("")).Where(o => o.EscalationLevel != "none").Select(o => o.Code).Order(StringComparer.Ordinal);
            Assert.Equal(overdue.Order(StringComparer.Ordinal), escalated);
        }
        // The walk is worth its time only if it met both sides of the rule.
        Assert.Contains(seen, s => s.Overdue > 0 && s.Overdue < s.WithDeadlines);
    }

    // Small pages, so the keyset cursor of both orderings is crossed many times.
    private async Task<List<Order>> AllAsync(string query)
    {
        var all = new List<Order>();
        string? cursor = null;
        do
        {
            var response = await _client.GetAsync($"/api/v1/orders?{query}limit=7{(cursor is null ? "" : "&cursor=" + cursor)}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var page = await response.Read<OrderPage>();
            all.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return all;
    }

    /// <summary>One random permitted step for the order, if it has any left (finishing ones less often).</summary>
    private async Task<Order> StepAsync(Order order, Random random)
    {
        var choices = order.AllowedActions
            .Where(a => Steps.ContainsKey(a) && (a is not ("cancel" or "handle-locally") || random.Next(4) == 0))
            .ToArray();
        if (choices.Length == 0)
        {
            return order;
        }
        var action = choices[random.Next(choices.Length)];
        return await _client.Act(order.Id, action, Steps[action](order, _app.Clock.GetUtcNow(), random));
    }

    // Every client action but escalate (an escalation by hand would change what the scheduler may take).
    private static readonly Dictionary<string, Func<Order, DateTimeOffset, Random, object?>> Steps = new()
    {
        // A returned order names another department: the catalogue may route it back to the one that returned it.
        ["whistle"] = (order, _, _) => order.ReturnedByDepartmentCode is { } returner
            ? new { departmentCode = returner == "water" ? "sanitation" : "water" }
            : null,
        ["handle-locally"] = (_, _, _) => new { result = "Fixed by the grid" },
        ["acknowledge"] = (_, _, _) => null,
        ["return"] = (_, _, _) => new { reason = "Not our duty" },
        ["resolve"] = (_, _, _) => new { result = "Done" },
        ["evaluate"] = (_, _, random) => new { rating = random.Next(2) == 0 ? "unsatisfied" : "satisfied", comment = "Checked" },
        ["cancel"] = (_, _, _) => new { reason = "withdrawn" },
        ["request-extension"] = (order, now, random) => new
        {
            resolveBy = (order.Deadlines.ResolveBy > now ? order.Deadlines.ResolveBy.Value : now).AddHours(random.Next(1, 48)),
            reason = "Parts on order",
        },
        ["approve-extension"] = (_, _, _) => null,
        ["refuse-extension"] = (_, _, _) => new { reason = "Not justified" },
        ["reassign"] = (order, _, _) => new { departmentCode = order.DepartmentCode == "water" ? "sanitation" : "water", reason = "Its duty" },
    };
}
