using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Whistle.Api.Features.Access;
using Whistle.Api.Infrastructure.Idempotency;
using Whistle.Api.Persistence;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests;

/// <summary>Idempotency-Key on POST: a retry replays the first response and never acts twice.</summary>
public class IdempotencyTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    private readonly HttpClient _client = app.CreateClient();

    private Task<HttpResponseMessage> Send(string path, object? body, string? key, string? actor = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = body is null ? null : new StringContent(System.Text.Json.JsonSerializer.Serialize(body, WhistleApp.Json), Encoding.UTF8, "application/json"),
        };
        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation(IdempotencyMiddleware.Header, key);
        }
        if (actor is not null)
        {
            request.Headers.Add(ApiKeys.Header, app.KeyActingAs(actor));
        }
        return _client.SendAsync(request);
    }

    private static Dictionary<string, object?> Filing(string title)
    {
        var body = Infrastructure.Filing.Valid();
        body["title"] = title;
        return body;
    }

    private async Task<int> OrdersTitled(string title)
    {
        await using var db = app.Db();
        return await db.Orders.CountAsync(o => o.Title == title);
    }

    private static string NewKey() => Guid.NewGuid().ToString();

    private static bool Replayed(HttpResponseMessage response) =>
        response.Headers.TryGetValues(IdempotencyMiddleware.ReplayedHeader, out var values) && values.Single() == "true";

    [Fact]
    public async Task Filing_again_after_a_lost_response_replays_the_first_response_and_files_once()
    {
        var key = NewKey();
        var title = "Lost response " + key;

        var first = await Send("/api/v1/orders", Filing(title), key);   // the client never sees this one
        var retry = await Send("/api/v1/orders", Filing(title), key);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.False(Replayed(first));
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.True(Replayed(retry));
        Assert.Equal(await first.Content.ReadAsStringAsync(), await retry.Content.ReadAsStringAsync());
        Assert.Equal(first.Headers.Location, retry.Headers.Location);
        Assert.Equal(first.Headers.ETag, retry.Headers.ETag);
        Assert.Equal(first.Content.Headers.ContentType, retry.Content.Headers.ContentType);
        Assert.Equal(1, await OrdersTitled(title));
        var order = await first.Read<Order>();
        Assert.Single(await _client.History(order.Id));
    }

    [Fact]
    public async Task An_action_retried_with_its_key_replays_without_acting_again()
    {
        var order = await _client.File();
        await _client.Whistle(order.Id);
        var key = NewKey();

        var first = await Send($"/api/v1/orders/{order.Id}/acknowledge", new { note = "Crew 2" }, key);
        var retry = await Send($"/api/v1/orders/{order.Id}/acknowledge", new { note = "Crew 2" }, key);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.True(Replayed(retry));
        Assert.Equal(await first.Content.ReadAsStringAsync(), await retry.Content.ReadAsStringAsync());
        Assert.Equal(first.Headers.ETag, retry.Headers.ETag);
        Assert.Equal(3, (await _client.History(order.Id)).Length);
        Assert.Equal(3, (await _client.Get(order.Id)).Version);
    }

    [Fact]
    public async Task The_same_key_with_another_body_is_422_and_does_not_act()
    {
        var key = NewKey();
        var title = "Other body " + key;
        Assert.Equal(HttpStatusCode.Created, (await Send("/api/v1/orders", Filing(title), key)).StatusCode);

        var other = await Send("/api/v1/orders", Filing(title + " (edited)"), key);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, other.StatusCode);
        Assert.Equal("application/problem+json", other.Content.Headers.ContentType?.MediaType);
        Assert.Contains("another request", (await other.Read<Problem>()).Title);
        Assert.Equal(0, await OrdersTitled(title + " (edited)"));
        Assert.Equal(1, await OrdersTitled(title));
    }

    [Fact]
    public async Task The_same_key_on_another_path_is_422()
    {
        var order = await _client.File();
        await _client.Whistle(order.Id);
        var key = NewKey();
        Assert.Equal(HttpStatusCode.OK, (await Send($"/api/v1/orders/{order.Id}/acknowledge", null, key)).StatusCode);

        var other = await Send($"/api/v1/orders/{order.Id}/escalate", null, key);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, other.StatusCode);
        Assert.Equal("none", (await _client.Get(order.Id)).EscalationLevel);
    }

    [Fact]
    public async Task Concurrent_duplicate_filings_file_exactly_one_order()
    {
        for (var round = 0; round < 20; round++)
        {
            var key = NewKey();
            var title = "Race " + key;

            var responses = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Send("/api/v1/orders", Filing(title), key)));

            var acted = Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created && !Replayed(r));
            var firstBody = await acted.Content.ReadAsStringAsync();
            foreach (var other in responses.Where(r => r != acted))
            {
                if (other.StatusCode == HttpStatusCode.Conflict)
                {
                    Assert.Contains("in progress", (await other.Read<Problem>()).Title);
                }
                else
                {
                    Assert.Equal(HttpStatusCode.Created, other.StatusCode);
                    Assert.True(Replayed(other));
                    Assert.Equal(firstBody, await other.Content.ReadAsStringAsync());
                }
            }
            Assert.Equal(1, await OrdersTitled(title));
        }
    }

    [Fact]
    public async Task Concurrent_duplicate_actions_act_exactly_once()
    {
        for (var round = 0; round < 10; round++)
        {
            var order = await _client.File();
            await _client.Whistle(order.Id);
            var key = NewKey();

            var responses = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ =>
                Send($"/api/v1/orders/{order.Id}/escalate", new { reason = "Late" }, key)));

            Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK && !Replayed(r));
            Assert.All(responses, r => Assert.True(
                r.StatusCode == HttpStatusCode.Conflict || (r.StatusCode == HttpStatusCode.OK), $"{(int)r.StatusCode}"));
            var now = await _client.Get(order.Id);
            Assert.Equal("street", now.EscalationLevel);
            Assert.Equal(3, now.Version);
            Assert.Equal(3, (await _client.History(order.Id)).Length);
        }
    }

    [Fact]
    public async Task Keys_of_different_actors_are_independent()
    {
        var key = NewKey();
        var title = "Two actors " + key;

        var ann = await Send("/api/v1/orders", Filing(title), key, actor: "ann");
        var bob = await Send("/api/v1/orders", Filing(title), key, actor: "bob");
        var annAgain = await Send("/api/v1/orders", Filing(title), key, actor: "ann");

        Assert.Equal(HttpStatusCode.Created, ann.StatusCode);
        Assert.Equal(HttpStatusCode.Created, bob.StatusCode);
        Assert.False(Replayed(bob));
        Assert.NotEqual((await ann.Read<Order>()).Id, (await bob.Read<Order>()).Id);
        Assert.True(Replayed(annAgain));
        Assert.Equal(2, await OrdersTitled(title));
    }

    [Fact]
    public async Task A_failed_request_does_not_use_up_its_key()
    {
        var order = await _client.File();
        var key = NewKey();

        // Not yet whistled: the lifecycle refuses, nothing happened, and the key is free again.
        var refused = await Send($"/api/v1/orders/{order.Id}/acknowledge", null, key);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.False(Replayed(refused));
        await _client.Whistle(order.Id);

        var retried = await Send($"/api/v1/orders/{order.Id}/acknowledge", null, key);

        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.False(Replayed(retried));
        Assert.Equal("acknowledged", (await retried.Read<Order>()).State);
    }

    [Fact]
    public async Task An_invalid_request_can_be_fixed_and_sent_again_with_the_same_key()
    {
        var key = NewKey();
        var title = "Fixed " + key;
        var invalid = Filing(title);
        invalid["gridCode"] = "NO-SUCH-GRID";

        Assert.Equal(HttpStatusCode.BadRequest, (await Send("/api/v1/orders", invalid, key)).StatusCode);
        var fixedUp = await Send("/api/v1/orders", Filing(title), key);

        Assert.Equal(HttpStatusCode.Created, fixedUp.StatusCode);
        Assert.False(Replayed(fixedUp));
        Assert.Equal(1, await OrdersTitled(title));
    }

    [Theory]
    [InlineData("with\ttab")]
    [InlineData("has space")]
    [InlineData("ключ")]
    [InlineData(null)] // 256 characters
    public async Task A_malformed_key_is_400_naming_the_header(string? key)
    {
        key ??= new string('k', 256);
        var title = "Bad key " + Guid.NewGuid();

        var response = await Send("/api/v1/orders", Filing(title), key);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(IdempotencyMiddleware.Header, (await response.Read<Problem>()).Errors!.Keys);
        Assert.Equal(0, await OrdersTitled(title));
    }

    [Fact]
    public async Task A_key_of_255_visible_characters_is_accepted()
    {
        var key = "~!" + new string('a', 253);
        Assert.Equal(HttpStatusCode.Created, (await Send("/api/v1/orders", Filing("Long key " + Guid.NewGuid()), key)).StatusCode);
    }

    [Fact]
    public async Task A_key_is_honoured_for_24_hours_and_then_forgotten()
    {
        var key = NewKey();
        var title = "Expiry " + key;
        var first = await Send("/api/v1/orders", Filing(title), key);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);

        app.Clock.Advance(TimeSpan.FromHours(23) + TimeSpan.FromMinutes(59));
        var withinADay = await Send("/api/v1/orders", Filing(title), key);
        Assert.True(Replayed(withinADay));
        Assert.Equal(1, await OrdersTitled(title));

        app.Clock.Advance(TimeSpan.FromMinutes(2));
        var afterADay = await Send("/api/v1/orders", Filing(title), key);
        Assert.Equal(HttpStatusCode.Created, afterADay.StatusCode);
        Assert.False(Replayed(afterADay));
        Assert.NotEqual((await first.Read<Order>()).Id, (await afterADay.Read<Order>()).Id);
        Assert.Equal(2, await OrdersTitled(title));
    }

    [Fact]
    public async Task Expired_keys_are_purged()
    {
        var key = NewKey();
        var filedAt = app.Clock.GetUtcNow();
        Assert.Equal(HttpStatusCode.Created, (await Send("/api/v1/orders", Filing("Purge " + key), key)).StatusCode);
        await using var db = app.Db();
        Task<int> Stored() => db.Database.SqlQuery<int>($"SELECT count(*)::int AS \"Value\" FROM idempotency_keys WHERE key = {key}").SingleAsync();

        await IdempotencyStore.PurgeExpiredAsync(db, filedAt.AddHours(23).AddMinutes(59), CancellationToken.None);
        Assert.Equal(1, await Stored());
        Assert.True(await IdempotencyStore.PurgeExpiredAsync(db, filedAt.AddHours(24), CancellationToken.None) >= 1);
        Assert.Equal(0, await Stored());
    }

    [Fact]
    public async Task A_reservation_left_by_a_crashed_request_frees_itself_after_its_lease()
    {
        var key = NewKey();
        var title = "Crashed " + key;
        // A request that crashed where its server session lives on (behind a pooler, the session is the pooler's): only the lease frees it.
        await using var session = app.Db();
        await session.Database.OpenConnectionAsync();
        await Reserve(session, key, title);
        var meanwhile = await Send("/api/v1/orders", Filing(title), key);
        Assert.Equal(HttpStatusCode.Conflict, meanwhile.StatusCode);

        app.Clock.Advance(IdempotencyStore.Lease);
        var later = await Send("/api/v1/orders", Filing(title), key);

        Assert.Equal(HttpStatusCode.Created, later.StatusCode);
        Assert.Equal(1, await OrdersTitled(title));
    }

    [Fact]
    public async Task A_reservation_whose_server_session_is_gone_is_taken_over_at_once()
    {
        var key = NewKey();
        var title = "Failed over " + key;
        // What an instance killed mid-request, or a failover, leaves: a reservation whose session no longer exists.
        await using (var session = app.Db())
        {
            await session.Database.OpenConnectionAsync();
            await Reserve(session, key, title);
        }
        // Its connection back in the pool would keep the session: close the pool's idle ones.
        WhistleDataSources.Clear(app.ConnectionString);
        await Task.Delay(200); // the server ends the session once its connection closes

        var retry = await Send("/api/v1/orders", Filing(title), key);

        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal(1, await OrdersTitled(title));
    }

    /// <summary>Writes the reservation a request makes before acting, owned by the given context's server session.</summary>
    private async Task Reserve(WhistleDbContext session, string key, string title)
    {
        var fingerprint = IdempotencyMiddleware.Fingerprint("POST", "/api/v1/orders",
            Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(Filing(title), WhistleApp.Json)));
        var now = app.Clock.GetUtcNow();
        // Keys are scoped to the credential that used them: this client's admin key.
        var scope = "ApiKey:" + await session.Credentials.Where(c => c.Name == "test admin").Select(c => c.Id).SingleAsync();
        await session.Database.ExecuteSqlAsync($"""
            INSERT INTO idempotency_keys (scope, key, fingerprint, state, token, created_at, expires_at, locked_until, owner_pid, owner_started)
            SELECT {scope}, {key}, {fingerprint}, 'in-progress', {Guid.NewGuid()}, {now}, {now.AddHours(24)}, {now + IdempotencyStore.Lease}, a.pid, a.backend_start
            FROM pg_stat_get_activity(pg_backend_pid()) a
            """);
    }

    [Fact]
    public async Task A_request_that_outlives_its_reservation_is_undone_when_a_retry_took_the_key_over()
    {
        var order = await _client.File();
        await _client.Whistle(order.Id);
        var key = NewKey();
        await using var db = app.Db();
        Task<DateTimeOffset?> LockedUntil() => db.Database
            .SqlQuery<DateTimeOffset?>($"SELECT locked_until AS \"Value\" FROM idempotency_keys WHERE key = {key}").SingleOrDefaultAsync();
        async Task WaitFor(Func<DateTimeOffset?, bool> condition)
        {
            for (var polls = 0; !condition(await LockedUntil()); polls++)
            {
                Assert.True(polls < 500, "the request never reserved its key");
                await Task.Delay(10);
            }
        }
        // Hold the order's row so the first request reserves its key and then waits, past its lease.
        // (Polling reads on the holder's connection: reservations commit at once, so it sees them.)
        var holder = await db.Database.BeginTransactionAsync();
        await db.Database.ExecuteSqlAsync($"SELECT 1 FROM orders WHERE id = {order.Id} FOR UPDATE");
        var first = Send($"/api/v1/orders/{order.Id}/escalate", new { reason = "Late" }, key);
        await WaitFor(lockedUntil => lockedUntil is not null);
        var firstLease = await LockedUntil();

        app.Clock.Advance(IdempotencyStore.Lease);
        var retry = Send($"/api/v1/orders/{order.Id}/escalate", new { reason = "Late" }, key);
        await WaitFor(lockedUntil => lockedUntil > firstLease); // the retry took the lapsed reservation over
        await holder.CommitAsync();
        await holder.DisposeAsync();
        var responses = await Task.WhenAll(first, retry);

        var acted = Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        var undone = Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Conflict);
        Assert.Same(await retry, acted);
        Assert.Contains("in progress", (await undone.Read<Problem>()).Title);
        var now = await _client.Get(order.Id);
        Assert.Equal("street", now.EscalationLevel);
        Assert.Equal(3, now.Version);
        Assert.Equal(3, (await _client.History(order.Id)).Length);
        var again = await Send($"/api/v1/orders/{order.Id}/escalate", new { reason = "Late" }, key);
        Assert.True(Replayed(again));
        Assert.Equal(await acted.Content.ReadAsStringAsync(), await again.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Without_a_key_every_post_acts()
    {
        var title = "No key " + Guid.NewGuid();
        await Send("/api/v1/orders", Filing(title), key: null);
        await Send("/api/v1/orders", Filing(title), key: null);
        Assert.Equal(2, await OrdersTitled(title));
    }
}
