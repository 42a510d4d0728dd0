using System.Globalization;
using System.Text.Json;
using Microsoft.OpenApi;

namespace Whistle.Api.Features.Webhooks;

/// <summary>A subscription's deliveries, newest first, a page at a time.</summary>
public static class ListDeliveries
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 200;

    /// <param name="Items">Up to limit deliveries, newest first.</param>
    /// <param name="NextCursor">Pass as cursor for the next page; null on the last page.</param>
    public sealed record Page(IReadOnlyList<DeliveryResponse> Items, string? NextCursor);

    public sealed record Query(Caller Caller, string WebhookId, string? Status, string? Limit, string? Cursor) : IQuery<Page>;

    public sealed class Validator : AbstractValidator<Query>
    {
        public Validator()
        {
            RuleFor(q => q.Status)
                .Must(status => status is null || WireName.TryParse<DeliveryStatus>(status, out _))
                .WithMessage($"'status' takes one of {string.Join(", ", WireName.All<DeliveryStatus>())}.")
                .OverridePropertyName("status");
            RuleFor(q => q.Limit)
                .Must(limit => limit is null || ParseLimit(limit) is not null)
                .WithMessage($"'limit' must be a whole number from 1 to {MaxLimit}.")
                .OverridePropertyName("limit");
            RuleFor(q => q.Cursor)
                .Must(cursor => cursor is null || ParseCursor(cursor) is not null)
                .WithMessage("'cursor' is not one this service handed out; use nextCursor from the previous page.")
                .OverridePropertyName("cursor");
        }
    }

    public sealed class Handler(WhistleDbContext db) : IQueryHandler<Query, Page>
    {
        public async ValueTask<Page> Handle(Query query, CancellationToken cancellationToken)
        {
            var subscription = await WebhookEndpoints.FindAsync(db, query.Caller, query.WebhookId, track: false, cancellationToken);
            var limit = query.Limit is null ? DefaultLimit : ParseLimit(query.Limit)!.Value;
            var deliveries = db.WebhookDeliveries.AsNoTracking().Where(d => d.SubscriptionId == subscription.Id);
            if (query.Status is not null)
            {
                var status = WireName.Parse<DeliveryStatus>(query.Status);
                deliveries = deliveries.Where(d => d.Status == status);
            }
            if (query.Cursor is not null)
            {
                var before = ParseCursor(query.Cursor)!.Value;
                deliveries = deliveries.Where(d => d.Id < before);
            }
            // Keyset pagination on the id, which only grows.
            var page = await deliveries.OrderByDescending(d => d.Id).Take(limit + 1).ToListAsync(cancellationToken);
            var more = page.Count > limit;
            if (more)
            {
                page.RemoveAt(page.Count - 1);
            }
            return new Page(
                page.Select(DeliveryResponse.From).ToList(),
                more ? "d" + page[^1].Id.ToString(CultureInfo.InvariantCulture) : null);
        }
    }

    internal static void Map(RouteGroupBuilder webhooks) =>
        webhooks.MapGet("/{id}/deliveries", async Task<Ok<Page>> (
                [Description("The subscription's id.")] string id,
                [Description("pending, delivered or failed."), DocumentedAs(JsonSchemaType.String, Values = ["pending", "delivered", "failed"])] string? status,
                [Description("Page size, 1 to 200; 20 by default."), DocumentedAs(JsonSchemaType.Integer, Minimum = 1, Maximum = 200, Default = "20")] string? limit,
                [Description("nextCursor from the previous page.")] string? cursor,
                IMediator mediator, HttpContext http, CancellationToken cancellationToken) =>
                TypedResults.Ok(await mediator.Send(new Query(http.GetCaller(), id, status, limit, cursor), cancellationToken)))
            .WithName("ListWebhookDeliveries")
            .WithSummary("List a subscription's deliveries")
            .WithDescription("Newest first; keyset pagination: follow nextCursor until it is null.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);

    private static int? ParseLimit(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit is >= 1 and <= MaxLimit ? limit : null;

    private static long? ParseCursor(string text) =>
        text.StartsWith('d') && long.TryParse(text.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0 ? id : null;
}

/// <summary>One event for one subscription, and how its delivery stands.</summary>
/// <param name="EventId">Sent as webhook-id: the same on every attempt, so a receiver can drop duplicates.</param>
/// <param name="OrderId">The order the event is about; all zeros for reference.changed (the reference data, delivered in the order it changed).</param>
/// <param name="Status">pending (queued, in flight or waiting for a retry), delivered (a 2xx came back) or failed (retried for the whole retry window).</param>
/// <param name="AttemptCount">Attempts made so far.</param>
/// <param name="NextAttemptAt">While pending: when it is sent next.</param>
public sealed record DeliveryResponse(
    long Id, Guid EventId, string EventType, Guid OrderId, DeliveryStatus Status, int AttemptCount, DateTimeOffset CreatedAt,
    DateTimeOffset? NextAttemptAt, DateTimeOffset? FirstAttemptAt, DateTimeOffset? DeliveredAt, DateTimeOffset? FailedAt,
    int? LastStatusCode, string? LastError)
{
    public static DeliveryResponse From(WebhookDelivery d) => new(
        d.Id, d.EventId, d.EventType, d.OrderId, d.Status, d.Attempts, d.CreatedAt,
        d.Status == DeliveryStatus.Pending ? d.NextAttemptAt : null, d.FirstAttemptAt, d.DeliveredAt, d.FailedAt, d.LastStatusCode, d.LastError);
}

/// <summary>A delivery with the body it sends and every attempt so far.</summary>
/// <param name="Payload">The exact body sent: {type, timestamp, data}.</param>
/// <param name="Attempts">Oldest first.</param>
public sealed record DeliveryDetailResponse(DeliveryResponse Delivery, JsonElement Payload, IReadOnlyList<AttemptResponse> Attempts);

/// <param name="StatusCode">The receiver's HTTP status; null when none came (refused, timed out).</param>
/// <param name="Error">Why the attempt failed; null when delivered.</param>
/// <param name="DurationMs">From sending to the response's headers (or the failure).</param>
public sealed record AttemptResponse(DateTimeOffset At, int? StatusCode, string? Error, double DurationMs);
