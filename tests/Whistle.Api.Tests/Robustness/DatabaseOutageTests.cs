using System.Net;
using Whistle.Api.Features.Access;
using Whistle.Api.Infrastructure;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Robustness;

/// <summary>The service on a PostgreSQL cluster of its own, which the test stops (as a crash would) and starts again.</summary>
public sealed class OutageApp : WhistleApp
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "whistle-outage-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly List<EmbeddedPostgres> _servers = [];

    public override async Task InitializeAsync()
    {
        // Durable, as in production: a commit is on disk before it is acknowledged, so a crash loses none.
        _servers.Add(await EmbeddedPostgres.StartAsync(_directory, "whistle", durable: true, deleteOnDispose: true));
        ConnectionString = _servers[0].ConnectionStringFor("whistle");
        await using var db = TestDatabase.Context(ConnectionString);
        await DatabaseStartup.PrepareAsync(db, loadReferenceData: true, default);
    }

    public Task StopDatabaseAsync() => _servers[^1].StopAsync(immediate: true);

    public async Task StartDatabaseAsync()
    {
        // The test's own admin connections (not the service's) died with the server.
        Npgsql.NpgsqlConnection.ClearPool(new Npgsql.NpgsqlConnection(_servers[0].ConnectionStringFor("postgres")));
        _servers.Add(await EmbeddedPostgres.StartAsync(_directory, "whistle"));
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        // The last started stops the server; the first, which made the folder, removes it.
        for (var i = _servers.Count - 1; i >= 0; i--)
        {
            await _servers[i].DisposeAsync();
        }
        GC.SuppressFinalize(this);
    }
}

/// <summary>
/// While the database cannot be reached, every call that needs it is a 503 with Retry-After (a
/// problem that says so), what needs none keeps answering its known callers, and the service
/// recovers by itself the moment the database is back, having lost nothing it acknowledged.
/// </summary>
public class DatabaseOutageTests(OutageApp app) : IClassFixture<OutageApp>
{
    [Fact]
    public async Task A_database_outage_is_a_503_with_retry_after_and_the_service_recovers_without_a_restart()
    {
        var client = app.CreateClient();
        var filed = await client.File();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/workflow")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);

        await app.StopDatabaseAsync();
        // Long past the moment the key cache would ask the store again.
        app.Clock.Advance(Features.Access.CredentialCache.Lifetime * 4);

        await AssertUnavailable(await client.GetAsync($"/api/v1/orders/{filed.Id}"));
        await AssertUnavailable(await client.Post("/api/v1/orders", Filing.Valid()));
        await AssertUnavailable(await client.Post($"/api/v1/orders/{filed.Id}/whistle"));
        await AssertUnavailable(await client.GetAsync("/api/v1/stats/summary"));
        // What needs no database answers a key it knows.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/workflow")).StatusCode);
        // A key it does not know cannot be checked: unavailable, not unauthorised.
        var stranger = app.ClientWithKey(ApiKeys.NewKey());
        await AssertUnavailable(await stranger.GetAsync("/api/v1/workflow"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);

        await app.StartDatabaseAsync();

        // The first call after is served: no restart, no warm-up.
        Assert.Equal(filed.Id, (await client.Get(filed.Id)).Id);
        Assert.Equal("whistled", (await client.Whistle(filed.Id)).State);
        await client.File();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.GetAsync("/api/v1/workflow")).StatusCode);
    }

    private static async Task AssertUnavailable(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.RetryAfter?.Delta is { TotalSeconds: > 0 }, "no Retry-After");
        var problem = await response.Read<Problem>();
        Assert.Equal(503, problem.Status);
        Assert.Equal("Database unavailable", problem.Title);
    }
}
