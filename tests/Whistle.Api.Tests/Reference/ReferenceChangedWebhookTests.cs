using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Api.Features.Access;
using Whistle.Api.Features.Webhooks;
using Whistle.Api.Tests.Infrastructure;
using Whistle.Api.Tests.Webhooks;

namespace Whistle.Api.Tests.Reference;

/// <summary>
/// <c>reference.changed</c>: each row of the change log is one event, queued with the change, to every
/// role's subscriptions that name it (the lists are public to every role), delivered through the
/// dispatcher run by hand to real receivers that check each body against the document.
/// </summary>
public sealed class ReferenceChangedWebhookTests : IAsyncLifetime
{
    private readonly WhistleApp _app = new();
    private HttpClient _admin = null!;
    private WebhookReceiver _adminReceiver = null!;
    private WebhookReceiver _departmentReceiver = null!;
    private WebhookReceiver _communityReceiver = null!;

    public async Task InitializeAsync()
    {
        await _app.InitializeAsync();
        _admin = _app.CreateClient();
        _adminReceiver = await WebhookReceiver.StartAsync();
        _departmentReceiver = await WebhookReceiver.StartAsync();
        _communityReceiver = await WebhookReceiver.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _adminReceiver.DisposeAsync();
        await _departmentReceiver.DisposeAsync();
        await _communityReceiver.DisposeAsync();
        await _app.DisposeAsync();
    }

    private static async Task Subscribe(HttpClient client, WebhookReceiver receiver, params string[] events)
    {
        var response = await client.PostAsJsonAsync("/api/v1/webhooks", new { url = receiver.Url, events });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    private Task<DispatchRun> Dispatch() => _app.Services.GetRequiredService<WebhookDispatcher>().RunOnceAsync(default);

    [Fact]
    public async Task Each_logged_change_reaches_every_role_subscribed_to_it_as_the_change_log_shows_it()
    {
        await Subscribe(_admin, _adminReceiver, WebhookEvents.ReferenceChanged);
        await Subscribe(_app.ClientAs(Role.Department, department: "sanitation"), _departmentReceiver, WebhookEvents.All);
        await Subscribe(_app.ClientAs(Role.Community, community: "ST01-C01"), _communityReceiver, WebhookEvents.Whistled);

        await _admin.Street("HOOK1", "钩子街道");
        Assert.Equal(HttpStatusCode.OK, (await _admin.Put("/api/v1/streets/HOOK1", new { name = "改名街道" })).StatusCode);
        await _admin.Community("HOOK1-A", "HOOK1");
        await _admin.Community("HOOK1-B", "HOOK1");
        await _admin.Grid("HOOK1-A-G1", "HOOK1-A");
        Assert.Equal(HttpStatusCode.OK, (await _admin.Post("/api/v1/communities/HOOK1-A/merge", new { intoCommunityCode = "HOOK1-B" })).StatusCode);
        // A refused change logs nothing and raises nothing.
        Assert.Equal(HttpStatusCode.BadRequest, (await _admin.Post("/api/v1/streets", new { code = "HOOK1", name = "重复" })).StatusCode);

        await Dispatch();

        var log = (await (await _admin.GetAsync("/api/v1/reference/changes?limit=500")).Content.ReadFromJsonAsync<JsonElement>())
            .GetProperty("items").EnumerateArray().Reverse().ToList();
        Assert.Equal(7, log.Count);
        foreach (var receiver in new[] { _adminReceiver, _departmentReceiver })
        {
            var bodies = receiver.Accepted.Select(r => JsonDocument.Parse(r.Body).RootElement).ToList();
            Assert.All(bodies, b => Assert.Equal("reference.changed", b.GetProperty("type").GetString()));
            // One event per change, in the order made, each the change as the log shows it (the same members and values).
            Assert.Equal(log.Count, bodies.Count);
            Assert.All(log.Zip(bodies), pair => Assert.True(JsonElement.DeepEquals(pair.First, pair.Second.GetProperty("data")), $"{pair.First} / {pair.Second}"));
            Assert.Equal(
                ["streets HOOK1 create", "streets HOOK1 update", "communities HOOK1-A create", "communities HOOK1-B create",
                 "grids HOOK1-A-G1 create", "grids HOOK1-A-G1 merge", "communities HOOK1-A merge"],
                bodies.Select(b => b.GetProperty("data")).Select(d => $"{d.GetProperty("entity").GetString()} {d.GetProperty("code").GetString()} {d.GetProperty("action").GetString()}"));
            var merge = bodies[5].GetProperty("data");
            Assert.Equal(("HOOK1-A", "HOOK1-B", "test admin"),
                (merge.GetProperty("before").GetProperty("communityCode").GetString(), merge.GetProperty("after").GetProperty("communityCode").GetString(),
                 merge.GetProperty("actor").GetString()));
            Assert.Equal(merge.GetProperty("at").GetDateTimeOffset(), bodies[5].GetProperty("timestamp").GetDateTimeOffset());
        }
        // A subscription that names only order events hears none of it.
        Assert.Empty(_communityReceiver.Requests);
    }

    [Fact]
    public async Task A_catalogue_and_a_calendar_change_raise_it_too_and_a_department_can_subscribe_to_it_alone()
    {
        await Subscribe(_app.ClientAs(Role.Department, department: "housing"), _departmentReceiver, WebhookEvents.ReferenceChanged);

        Assert.Equal(HttpStatusCode.Created, (await _admin.Post("/api/v1/catalogue", new { categoryCode = "garbage", streetCode = "ST02", departmentCode = "housing" })).StatusCode);
        var year = DateTime.UtcNow.Year + 1;
        Assert.Equal(HttpStatusCode.OK, (await _admin.Put($"/api/v1/calendar/{year}", new { days = new[] { new { date = $"{year}-10-08", kind = "holiday", name = "国庆" } } })).StatusCode);
        // An order event the subscription does not name.
        await _admin.Whistle((await _admin.File(grid: "ST02-C01-G01")).Id);

        await Dispatch();

        var log = (await (await _admin.GetAsync("/api/v1/reference/changes?limit=500")).Content.ReadFromJsonAsync<JsonElement>())
            .GetProperty("items").EnumerateArray().Reverse().ToList();
        var received = _departmentReceiver.Accepted.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("data")).ToList();
        Assert.Equal(log.Count, received.Count);
        Assert.All(log.Zip(received), pair => Assert.True(JsonElement.DeepEquals(pair.First, pair.Second), $"{pair.First} / {pair.Second}"));
        Assert.Contains(received, d => d.GetProperty("entity").GetString() == "catalogue" && d.GetProperty("after").GetProperty("departmentCode").GetString() == "housing");
        Assert.Contains(received, d => d.GetProperty("entity").GetString() == "calendar" && d.GetProperty("code").GetString() == $"{year}-10-08");
    }
}
