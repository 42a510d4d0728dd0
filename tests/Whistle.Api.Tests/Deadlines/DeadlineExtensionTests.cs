using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Api.Features.Deadlines;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Deadlines;

/// <summary>
/// request-extension, approve-extension, refuse-extension. Garbage orders are due to be resolved
/// 24 h after the whistle.
/// </summary>
public sealed class DeadlineExtensionTests : IAsyncLifetime
{
    private readonly WhistleApp _app = new();
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        await _app.InitializeAsync();
        _client = _app.CreateClient();
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private async Task<Order> Acknowledged()
    {
        var order = await _client.File();
        await _client.Whistle(order.Id);
        return await _client.Acknowledge(order.Id);
    }

    [Fact]
    public async Task An_approved_extension_moves_the_deadline_the_scheduler_and_the_statistics_judge_against()
    {
        var order = await Acknowledged();
        var asked = order.Deadlines.ResolveBy!.Value.AddHours(24);

        var requested = await _client.Act(order.Id, "request-extension", new { resolveBy = asked, reason = "Parts arrive Thursday" }, actor: "sanitation");

        Assert.Equal(order.Deadlines.ResolveBy, requested.Deadlines.ResolveBy);
        Assert.Equal(new OrderExtension(_app.Clock.GetUtcNow(), "sanitation", asked, "Parts arrive Thursday"), requested.PendingExtension);
        Assert.Equal(["return", "resolve", "escalate", "approve-extension", "refuse-extension", "reassign", "summon", "merge"], requested.AllowedActions);
        var again = await _client.Post($"/api/v1/orders/{order.Id}/request-extension", new { resolveBy = asked.AddHours(1), reason = "More" });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        var approved = await _client.Act(order.Id, "approve-extension", new { note = "Fine" }, actor: "street-supervisor");

        Assert.Equal(asked, approved.Deadlines.ResolveBy);
        Assert.Null(approved.PendingExtension);
        Assert.Contains("request-extension", approved.AllowedActions);
        var history = await _client.History(order.Id);
        Assert.Equal(["request-extension", "approve-extension"], history[^2..].Select(e => e.Action));
        Assert.Equal((asked, order.Deadlines.ResolveBy), (DateTimeOffset.Parse(history[^1].Details["resolveBy"]!), DateTimeOffset.Parse(history[^1].Details["previousResolveBy"]!)));

        // Past the old deadline, within the new one: not overdue, not escalated, and resolved on time.
        _app.Clock.Advance(TimeSpan.FromHours(30));
        Assert.False((await _client.Get(order.Id)).Deadlines.Overdue);
        Assert.Equal(new SchedulerRun(0, 0), await _app.Services.GetRequiredService<DeadlineScheduler>().RunOnceAsync(default));
        await _client.Resolve(order.Id);
        Assert.Equal(1, (await _client.Summary()).Figures.ResolvedOnTime);
    }

    [Fact]
    public async Task A_refused_extension_leaves_the_deadline_and_nothing_pending_is_a_409()
    {
        var order = await Acknowledged();
        await _client.Act(order.Id, "request-extension", new { resolveBy = order.Deadlines.ResolveBy!.Value.AddDays(2), reason = "Busy" });

        var noReason = await _client.Post($"/api/v1/orders/{order.Id}/refuse-extension", new { });
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        Assert.Equal(["reason"], (await noReason.Read<Problem>()).Errors!.Keys);

        var refused = await _client.Act(order.Id, "refuse-extension", new { reason = "Everyone is busy" });
        Assert.Equal(order.Deadlines.ResolveBy, refused.Deadlines.ResolveBy);
        Assert.Null(refused.PendingExtension);
        var entry = (await _client.History(order.Id))[^1];
        Assert.Equal(("refuse-extension", "Everyone is busy"), (entry.Action, entry.Details["reason"]));

        foreach (var action in new[] { "approve-extension", "refuse-extension" })
        {
            var response = await _client.Post($"/api/v1/orders/{order.Id}/{action}", new { reason = "x" });
            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
            Assert.Equal(["return", "resolve", "escalate", "request-extension", "reassign", "summon", "merge"], (await response.Read<Problem>()).AllowedActions!);
        }
        Assert.Equal(refused.Version, (await _client.Get(order.Id)).Version);
    }

    [Fact]
    public async Task Only_acknowledged_orders_ask_and_only_for_a_later_time()
    {
        var whistled = await _client.Whistle((await _client.File()).Id);
        var notAcknowledged = await _client.Post($"/api/v1/orders/{whistled.Id}/request-extension",
            new { resolveBy = whistled.Deadlines.ResolveBy!.Value.AddDays(1), reason = "Busy" });
        Assert.Equal(HttpStatusCode.Conflict, notAcknowledged.StatusCode);

        var order = await Acknowledged();
        var earlier = await _client.Post($"/api/v1/orders/{order.Id}/request-extension",
            new { resolveBy = order.Deadlines.ResolveBy!.Value.AddHours(-1), reason = "Busy" });
        var missing = await _client.Post($"/api/v1/orders/{order.Id}/request-extension", new { reason = "Busy" });

        Assert.Equal(HttpStatusCode.BadRequest, earlier.StatusCode);
        Assert.Equal(["resolveBy"], (await earlier.Read<Problem>()).Errors!.Keys);
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Equal(["resolveBy"], (await missing.Read<Problem>()).Errors!.Keys);
        Assert.Null((await _client.Get(order.Id)).PendingExtension);
    }

    [Fact]
    public async Task Reassigning_to_the_department_that_has_the_order_is_a_400_on_departmentCode()
    {
        var order = await Acknowledged();

        var response = await _client.Post($"/api/v1/orders/{order.Id}/reassign", new { departmentCode = order.DepartmentCode, reason = "Again" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(["departmentCode"], (await response.Read<Problem>()).Errors!.Keys);
        Assert.Equal(order.Version, (await _client.Get(order.Id)).Version);
    }

    [Fact]
    public async Task Resolving_drops_a_pending_request()
    {
        var order = await Acknowledged();
        await _client.Act(order.Id, "request-extension", new { resolveBy = order.Deadlines.ResolveBy!.Value.AddDays(1), reason = "Busy" });

        var resolved = await _client.Resolve(order.Id);

        Assert.Null(resolved.PendingExtension);
        Assert.Equal(["evaluate"], resolved.AllowedActions);
    }
}
