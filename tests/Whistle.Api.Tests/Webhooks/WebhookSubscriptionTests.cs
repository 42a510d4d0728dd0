using System.Net;
using System.Net.Http.Json;
using Whistle.Api.Features.Access;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Webhooks;

/// <summary>Registering, reading, changing and deleting subscriptions.</summary>
public sealed class WebhookSubscriptionTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    private readonly HttpClient _client = app.CreateClient();

    [Fact]
    public async Task The_secret_is_shown_in_the_201_and_never_again()
    {
        var response = await _client.PostAsJsonAsync("/api/v1/webhooks", new { url = "https://dept.example/hooks", events = new[] { "order.whistled", "order.closed", "order.whistled" } });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.Read<Webhook>();
        Assert.Equal($"/api/v1/webhooks/{created.Id}", response.Headers.Location!.OriginalString);
        Assert.StartsWith("whsec_", created.Secret);
        Assert.InRange(Convert.FromBase64String(created.Secret!["whsec_".Length..]).Length, 24, 32);
        Assert.Equal(["order.closed", "order.whistled"], created.Events);
        Assert.True(created.Enabled);

        var one = await _client.GetAsync($"/api/v1/webhooks/{created.Id}");
        var all = await _client.GetAsync("/api/v1/webhooks");
        foreach (var read in new[] { one, all })
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            var text = await read.Content.ReadAsStringAsync();
            Assert.DoesNotContain(created.Secret!, text);
            Assert.DoesNotContain("secret", text, StringComparison.OrdinalIgnoreCase);
        }
        Assert.Equal(created.Url, (await one.Read<Webhook>()).Url);
        Assert.Contains(await all.Read<Webhook[]>(), w => w.Id == created.Id);

        // A retry with the same Idempotency-Key replays the 201 without the secret, which is never stored.
        var key = Guid.NewGuid().ToString();
        var body = new { url = "https://dept.example/retried", events = new[] { "*" } };
        var firstTry = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/v1/webhooks")
        {
            Content = JsonContent.Create(body),
            Headers = { { "Idempotency-Key", key } },
        });
        var retry = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/v1/webhooks")
        {
            Content = JsonContent.Create(body),
            Headers = { { "Idempotency-Key", key } },
        });
        var original = await firstTry.Read<Webhook>();
        var replayed = await retry.Read<Webhook>();
        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Created), (firstTry.StatusCode, retry.StatusCode));
        Assert.StartsWith("whsec_", original.Secret);
        Assert.Equal(original.Id, replayed.Id);
        Assert.Null(replayed.Secret);

        // Two subscriptions never share a secret.
        var second = await (await _client.PostAsJsonAsync("/api/v1/webhooks", new { url = "https://dept.example/hooks", events = new[] { "*" } })).Read<Webhook>();
        Assert.NotEqual(created.Secret, second.Secret);
    }

    [Theory]
    [InlineData("""{"url":"ftp://dept.example/hooks","events":["order.whistled"]}""", "url")]
    [InlineData("""{"url":"/hooks","events":["order.whistled"]}""", "url")]
    [InlineData("""{"events":["order.whistled"]}""", "url")]
    [InlineData("""{"url":"https://dept.example/hooks","events":[]}""", "events")]
    [InlineData("""{"url":"https://dept.example/hooks"}""", "events")]
    [InlineData("""{"url":"https://dept.example/hooks","events":["order.whistled","order.filed"]}""", "events")]
    public async Task An_invalid_subscription_is_400_with_the_field(string body, string field)
    {
        var response = await _client.PostAsync("/api/v1/webhooks", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Read<Problem>();
        Assert.Equal([field], problem.Errors!.Keys);
    }

    [Fact]
    public async Task A_subscription_can_be_changed_and_deleted()
    {
        var created = await (await _client.PostAsJsonAsync("/api/v1/webhooks", new { url = "https://dept.example/a", events = new[] { "*" } })).Read<Webhook>();
        app.Clock.Advance(TimeSpan.FromMinutes(1));

        var patch = await _client.PatchAsJsonAsync($"/api/v1/webhooks/{created.Id}", new { enabled = false, events = new[] { "order.resolved" } });
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        var changed = await patch.Read<Webhook>();
        Assert.Equal((created.Url, false), (changed.Url, changed.Enabled));
        Assert.Equal(["order.resolved"], changed.Events);
        Assert.Equal(created.CreatedAt.AddMinutes(1), changed.UpdatedAt);
        var invalid = await _client.PatchAsJsonAsync($"/api/v1/webhooks/{created.Id}", new { url = "mailto:x@example.org" });
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync($"/api/v1/webhooks/{created.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/api/v1/webhooks/{created.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.DeleteAsync($"/api/v1/webhooks/{created.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/api/v1/webhooks/not-an-id")).StatusCode);
    }

    [Fact]
    public async Task A_department_sees_and_changes_only_its_own_subscriptions_and_other_roles_may_not_manage_any()
    {
        var sanitation = app.ClientAs(Role.Department, department: "sanitation");
        var sanitationAgain = app.ClientAs(Role.Department, department: "sanitation", name: "sanitation's second key");
        var housing = app.ClientAs(Role.Department, department: "housing");
        var response = await sanitation.PostAsJsonAsync("/api/v1/webhooks", new { url = "https://sanitation.example/hooks", events = new[] { "*" } });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var mine = await response.Read<Webhook>();
        Assert.Equal(("department", "sanitation", (string?)null), (mine.OwnerRole, mine.DepartmentCode, mine.CommunityCode));

        Assert.Contains(await (await sanitationAgain.GetAsync("/api/v1/webhooks")).Read<Webhook[]>(), w => w.Id == mine.Id);
        Assert.DoesNotContain(await (await housing.GetAsync("/api/v1/webhooks")).Read<Webhook[]>(), w => w.Id == mine.Id);
        Assert.Contains(await (await _client.GetAsync("/api/v1/webhooks")).Read<Webhook[]>(), w => w.Id == mine.Id); // the admin sees all
        // Someone else's subscription does not exist for them.
        Assert.Equal(HttpStatusCode.NotFound, (await housing.GetAsync($"/api/v1/webhooks/{mine.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await housing.PatchAsJsonAsync($"/api/v1/webhooks/{mine.Id}", new { enabled = false })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await housing.DeleteAsync($"/api/v1/webhooks/{mine.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await housing.GetAsync($"/api/v1/webhooks/{mine.Id}/deliveries")).StatusCode);
        Assert.True((await (await sanitationAgain.GetAsync($"/api/v1/webhooks/{mine.Id}")).Read<Webhook>()).Enabled);

        foreach (var role in new[] { Role.Supervisor, Role.GridWorker, Role.Dashboard })
        {
            var other = app.ClientAs(role, street: role == Role.Supervisor ? "ST01" : null, community: role == Role.GridWorker ? "ST01-C01" : null);
            Assert.Equal(HttpStatusCode.Forbidden, (await other.GetAsync("/api/v1/webhooks")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await other.PostAsJsonAsync("/api/v1/webhooks", new { url = "https://x.example/", events = new[] { "*" } })).StatusCode);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.AnonymousClient().GetAsync("/api/v1/webhooks")).StatusCode);
    }
}
