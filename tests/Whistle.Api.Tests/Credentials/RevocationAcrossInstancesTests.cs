using System.Net;
using Whistle.Api.Features.Access;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Credentials;

/// <summary>Two instances of the service on one database: a key revoked on one is refused by the other once its cache entry expires.</summary>
public class RevocationAcrossInstancesTests(WhistleApp first) : IClassFixture<WhistleApp>, IAsyncLifetime
{
    /// <summary>Another instance on the first one's database, with a clock of its own.</summary>
    private sealed class OtherInstance(string connectionString) : WhistleApp
    {
        public override Task InitializeAsync() => Task.CompletedTask;

        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("ConnectionStrings:Whistle", connectionString);
        }
    }

    private OtherInstance? _second;

    public Task InitializeAsync()
    {
        _second = new OtherInstance(first.ConnectionString);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _second!.DisposeAsync();

    [Fact]
    public async Task A_key_revoked_on_one_instance_is_refused_by_another_within_the_cache_lifetime()
    {
        var key = first.CreateKey(new NewCredential(Role.Dashboard, "wall screen"));
        var onSecond = _second!.ClientWithKey(key);
        Assert.Equal(HttpStatusCode.OK, (await onSecond.GetAsync("/api/v1/stats/summary")).StatusCode);
        var id = await CredentialId(key);

        Assert.Equal(HttpStatusCode.OK, (await first.CreateClient().Post($"/api/v1/credentials/{id}/revoke")).StatusCode);

        // The first instance refuses it at once; the second still knows it from its cache, until the entry expires.
        Assert.Equal(HttpStatusCode.Unauthorized, (await first.ClientWithKey(key).GetAsync("/api/v1/stats/summary")).StatusCode);
        _second.Clock.Advance(Features.Access.CredentialCache.Lifetime - TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await onSecond.GetAsync("/api/v1/stats/summary")).StatusCode);
        _second.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.Unauthorized, (await onSecond.GetAsync("/api/v1/stats/summary")).StatusCode);
    }

    private async Task<Guid> CredentialId(string key)
    {
        await using var db = first.Db();
        var hash = ApiKeys.Hash(key);
        return db.Credentials.Single(c => c.KeyHash == hash).Id;
    }
}
