using System.Text.Json;

namespace Whistle.Api.Tests.Webhooks;

// The webhook API's JSON as a client reads it (declared here, not borrowed from the service).

public sealed record Webhook(
    Guid Id, string Url, string[] Events, bool Enabled, string OwnerRole, string? DepartmentCode, string? CommunityCode,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string? Secret);

public sealed record Delivery(
    long Id, Guid EventId, string EventType, Guid OrderId, string Status, int AttemptCount, DateTimeOffset CreatedAt,
    DateTimeOffset? NextAttemptAt, DateTimeOffset? FirstAttemptAt, DateTimeOffset? DeliveredAt, DateTimeOffset? FailedAt,
    int? LastStatusCode, string? LastError);

public sealed record DeliveryPage(Delivery[] Items, string? NextCursor);

public sealed record DeliveryAttempt(DateTimeOffset At, int? StatusCode, string? Error, double DurationMs);

public sealed record DeliveryDetail(Delivery Delivery, JsonElement Payload, DeliveryAttempt[] Attempts);
