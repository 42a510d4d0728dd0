using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Whistle.Api.Features.Access;

/// <summary>Rate limits, under <c>Whistle:RateLimit</c>: a token bucket per credential (per address for requests without one).</summary>
public sealed class RateLimitOptions
{
    public const string Section = "Whistle:RateLimit";

    /// <summary>Off switch; a PermitsPerSecond or Burst of 0 also turns the limits off.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The sustained rate each credential may call at; fractions allowed (0.5 = one request every 2 s).</summary>
    public double PermitsPerSecond { get; set; } = 20;

    /// <summary>How many requests a credential may send at once after a quiet spell (the bucket's size).</summary>
    public int Burst { get; set; } = 100;

    public bool Active => Enabled && PermitsPerSecond > 0 && Burst > 0;
}

/// <summary>
/// One token bucket per credential (its id and how it authenticated: an API key or a JWT), and per
/// remote address for requests that carry none or a bad one. It runs right after authentication.
/// Looking up an API key this instance does not know yet takes a token from another bucket of the
/// address's, before the store is asked: a flood of made-up keys is throttled before it reaches the
/// database (each is then refused 401, or 429 once the address's bucket is empty).
/// </summary>
public sealed class RateLimits
{
    public RateLimits(IOptions<RateLimitOptions> options)
    {
        Options = options.Value;
        if (!Options.Active)
        {
            return;
        }
        var (tokens, period) = Options.PermitsPerSecond >= 1
            ? ((int)Math.Round(Options.PermitsPerSecond), TimeSpan.FromSeconds(1))
            : (1, TimeSpan.FromSeconds(1 / Options.PermitsPerSecond));
        var bucket = new TokenBucketRateLimiterOptions
        {
            TokenLimit = Options.Burst,
            TokensPerPeriod = tokens,
            ReplenishmentPeriod = period,
            QueueLimit = 0,
            // The partitioned limiter refills every bucket from one timer, instead of a timer per bucket.
            AutoReplenishment = false,
        };
        _buckets = PartitionedRateLimiter.Create<string, string>(partition => RateLimitPartition.GetTokenBucketLimiter(partition, _ => bucket));
        Limiter = _buckets.WithTranslatedKey<HttpContext>(PartitionOf, leaveOpen: true);
    }

    private readonly PartitionedRateLimiter<string>? _buckets;

    public RateLimitOptions Options { get; }

    /// <summary>The limiter; null when rate limits are off.</summary>
    public PartitionedRateLimiter<HttpContext>? Limiter { get; }

    /// <summary>Whether a request's API key may be looked up in the store now: a token from its address's bucket of lookups.</summary>
    public bool MayLookUpKey(HttpContext http)
    {
        if (_buckets is null)
        {
            return true;
        }
        using var lease = _buckets.AttemptAcquire("lookup:" + AddressOf(http));
        return lease.IsAcquired;
    }

    private static string PartitionOf(HttpContext http)
    {
        var user = http.User;
        if (user.Identity is { IsAuthenticated: true } identity && user.FindFirst(Caller.IdClaim)?.Value is { Length: > 0 } id)
        {
            return identity.AuthenticationType + ":" + id;
        }
        return "address:" + AddressOf(http);
    }

    private static IPAddress AddressOf(HttpContext http) => http.Connection.RemoteIpAddress ?? IPAddress.None;

    internal async ValueTask RejectAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var http = context.HttpContext;
        var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)) : 1;
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var problem = new ProblemDetails
        {
            Status = StatusCodes.Status429TooManyRequests,
            Title = "Too many requests",
            Detail = string.Create(CultureInfo.InvariantCulture,
                $"Each credential may send {Options.PermitsPerSecond:0.##} requests a second, in bursts of up to {Options.Burst}; retry in {seconds} s."),
        };
        var problems = http.RequestServices.GetRequiredService<IProblemDetailsService>();
        // Written whatever the client accepts (see ProblemResponses).
        await problems.WriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem });
    }
}

public static class RateLimitSetup
{
    public static IServiceCollection AddWhistleRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RateLimitOptions>().Bind(configuration.GetSection(RateLimitOptions.Section));
        services.AddSingleton<RateLimits>();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<RateLimits>((options, limits) =>
        {
            if (limits.Limiter is not null)
            {
                options.GlobalLimiter = limits.Limiter;
            }
            options.OnRejected = limits.RejectAsync;
        });
        return services;
    }

    /// <summary>The limiter, when rate limits are on; it must follow authentication, which tells whose bucket a request takes from.</summary>
    public static IApplicationBuilder UseWhistleRateLimits(this WebApplication app) =>
        app.Services.GetRequiredService<RateLimits>().Limiter is null ? app : app.UseRateLimiter();
}
