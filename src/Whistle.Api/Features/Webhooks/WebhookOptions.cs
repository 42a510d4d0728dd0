namespace Whistle.Api.Features.Webhooks;

/// <summary>The webhook dispatcher's settings, under <c>Whistle:Webhooks</c>.</summary>
public sealed class WebhookOptions
{
    public const string Section = "Whistle:Webhooks";

    /// <summary>Whether this instance runs a dispatcher (any number of instances may).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Deliveries claimed at once.</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>Deliveries in flight at once, per instance.</summary>
    public int Concurrency { get; set; } = 16;

    /// <summary>How long one attempt may take before it counts as failed.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long failures are retried, from the first attempt, before a delivery is marked failed; 24 h at least.</summary>
    public TimeSpan RetryWindow { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often the dispatcher looks for due retries when no notification wakes it first.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Delivered and failed deliveries (with their attempts) are deleted this long after they ended.</summary>
    public TimeSpan RetainFor { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Whether deliveries may go to loopback, private and link-local addresses. Off in production: a
    /// subscriber's URL must not reach into the district's own network. Tests and benchmarks with a
    /// receiver on loopback turn it on.
    /// </summary>
    public bool AllowPrivateAddresses { get; set; }

    /// <summary>While a dispatcher sends a claimed delivery, nobody else may claim it; a dispatcher that dies frees it after this.</summary>
    public TimeSpan Lease => Timeout + TimeSpan.FromSeconds(30);

    public bool IsValid() =>
        BatchSize is >= 1 and <= 1000 && Concurrency is >= 1 and <= 256 && Timeout > TimeSpan.Zero
        && RetryWindow >= TimeSpan.FromHours(24) && PollInterval > TimeSpan.Zero && RetainFor >= TimeSpan.FromDays(1);
}
