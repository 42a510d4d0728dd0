using System.Net;
using Microsoft.AspNetCore.Hosting;
using Whistle.Api.Features.Access;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Credentials;

/// <summary>
/// A token bucket per credential. The limiter keeps its own time (it takes no TimeProvider), so the
/// bucket here refills one token per 100 s: nothing refills during a test.
/// </summary>
public class RateLimitTests(RateLimitTests.LimitedApp app) : IClassFixture<RateLimitTests.LimitedApp>
{
    public sealed class LimitedApp : WhistleApp
    {
        public const int Burst = 3;

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Whistle:RateLimit:Enabled", "true");
            builder.UseSetting("Whistle:RateLimit:PermitsPerSecond", "0.01");
            builder.UseSetting("Whistle:RateLimit:Burst", Burst.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public async Task A_key_over_its_limit_gets_429_with_Retry_After_and_another_key_is_unaffected()
    {
        var busy = app.ClientAs(Role.Dashboard, name: "busy screen");
        var quiet = app.ClientAs(Role.Dashboard, name: "quiet screen");

        for (var i = 0; i < RateLimitTests.LimitedApp.Burst; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await busy.GetAsync("/api/v1/stats/summary")).StatusCode);
        }
        var refused = await busy.GetAsync("/api/v1/stats/summary");

        var problem = await AccessProblemTests.AssertProblem(refused, (HttpStatusCode)429);
        Assert.Equal("Too many requests", problem.Title);
        var retryAfter = refused.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value.TotalSeconds, 1, 100);
        Assert.Equal(HttpStatusCode.OK, (await quiet.GetAsync("/api/v1/stats/summary")).StatusCode);
    }

}

/// <summary>Made-up keys: a class of its own, since the test server's clients all share one address.</summary>
public class KeyFloodTests(RateLimitTests.LimitedApp app) : IClassFixture<RateLimitTests.LimitedApp>
{
    [Fact]
    public async Task A_flood_of_made_up_keys_is_throttled_by_address()
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 2 * RateLimitTests.LimitedApp.Burst + 2; i++)
        {
            var response = await app.ClientWithKey(ApiKeys.NewKey()).GetAsync("/api/v1/streets");
            statuses.Add(response.StatusCode);
        }

        // Each made-up key is refused; once the address's bucket is empty, before anything is asked of it.
        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Unauthorized, RateLimitTests.LimitedApp.Burst), statuses.Take(RateLimitTests.LimitedApp.Burst));
        Assert.All(statuses.Skip(RateLimitTests.LimitedApp.Burst), s => Assert.Equal((HttpStatusCode)429, s));
    }
}
