namespace Whistle.Api.Features.Webhooks;

/// <summary>
/// A receiver's URL, the events it wants and the secret its deliveries are signed with; owned by the
/// credential that registered it, and scoped like it (a department hears only its own orders).
/// </summary>
public sealed class WebhookSubscription
{
    public Guid Id { get; set; }
    public string Url { get; set; } = "";
    /// <summary>Event type names (<c>order.whistled</c>, …), or <c>*</c> for every event.</summary>
    public List<string> Events { get; set; } = [];
    public bool Enabled { get; set; } = true;
    /// <summary><c>whsec_</c> and base64 of the key bytes; shown once, in the creating response.</summary>
    public string Secret { get; set; } = "";
    public string OwnerId { get; set; } = "";
    public Role OwnerRole { get; set; }
    public string? OwnerDepartmentCode { get; set; }
    public string? OwnerCommunityCode { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>Where a delivery stands: waiting (or being sent, or waiting for a retry), delivered, or given up.</summary>
public enum DeliveryStatus
{
    Pending,
    Delivered,
    Failed,
}

/// <summary>
/// One event for one subscription: the outbox row the order's transaction wrote, and the state of
/// its delivery. The id only grows, so it orders an order's events as they were committed.
/// </summary>
public sealed class WebhookDelivery
{
    public long Id { get; set; }
    /// <summary>The event's id, sent as <c>webhook-id</c>: the same on every retry.</summary>
    public Guid EventId { get; set; }
    public Guid SubscriptionId { get; set; }
    public Guid OrderId { get; set; }
    public string EventType { get; set; } = "";
    /// <summary>The exact body sent (and signed): <c>{type, timestamp, data}</c>.</summary>
    public string Payload { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DeliveryStatus Status { get; set; }
    /// <summary>Attempts begun so far; also the claim's token (a claim is one attempt).</summary>
    public int Attempts { get; set; }
    /// <summary>When it may be sent (again); while a dispatcher holds it, the end of that dispatcher's lease.</summary>
    public DateTimeOffset NextAttemptAt { get; set; }
    /// <summary>The first attempt since it was queued (or queued again): the retry window counts from here.</summary>
    public DateTimeOffset? FirstAttemptAt { get; set; }
    public DateTimeOffset? DeliveredAt { get; set; }
    public DateTimeOffset? FailedAt { get; set; }
    public int? LastStatusCode { get; set; }
    public string? LastError { get; set; }
}

/// <summary>One try at sending a delivery: when, what came back (or what went wrong), how long it took.</summary>
public sealed class WebhookAttempt
{
    public long Id { get; set; }
    public long DeliveryId { get; set; }
    public DateTimeOffset At { get; set; }
    public int? StatusCode { get; set; }
    public string? Error { get; set; }
    public double DurationMs { get; set; }
}
