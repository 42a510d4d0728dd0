using System.Text.Json;

namespace Whistle.Api.Features.Webhooks;

public static class GetDelivery
{
    public sealed record Query(Caller Caller, string WebhookId, string DeliveryId) : IQuery<DeliveryDetailResponse>;

    public sealed class Handler(WhistleDbContext db) : IQueryHandler<Query, DeliveryDetailResponse>
    {
        public async ValueTask<DeliveryDetailResponse> Handle(Query query, CancellationToken cancellationToken)
        {
            var delivery = await FindAsync(db, query.Caller, query.WebhookId, query.DeliveryId, track: false, cancellationToken);
            var attempts = await db.WebhookAttempts.AsNoTracking().Where(a => a.DeliveryId == delivery.Id).OrderBy(a => a.Id)
                .Select(a => new AttemptResponse(a.At, a.StatusCode, a.Error, a.DurationMs)).ToListAsync(cancellationToken);
            using var payload = JsonDocument.Parse(delivery.Payload);
            return new DeliveryDetailResponse(DeliveryResponse.From(delivery), payload.RootElement.Clone(), attempts);
        }
    }

    /// <summary>A delivery of the caller's subscription; anything else is 404.</summary>
    internal static async Task<WebhookDelivery> FindAsync(
        WhistleDbContext db, Caller caller, string webhookId, string deliveryId, bool track, CancellationToken cancellationToken)
    {
        var subscription = await WebhookEndpoints.FindAsync(db, caller, webhookId, track: false, cancellationToken);
        var deliveries = track ? db.WebhookDeliveries : db.WebhookDeliveries.AsNoTracking();
        return (long.TryParse(deliveryId, out var id)
                ? await deliveries.SingleOrDefaultAsync(d => d.Id == id && d.SubscriptionId == subscription.Id, cancellationToken)
                : null)
            ?? throw new NotFoundException($"Subscription {webhookId} has no delivery '{deliveryId}'.");
    }

    internal static void Map(RouteGroupBuilder webhooks) =>
        webhooks.MapGet("/{id}/deliveries/{deliveryId}", async Task<Ok<DeliveryDetailResponse>> (
                [Description("The subscription's id.")] string id, [Description("The delivery's id.")] string deliveryId,
                IMediator mediator, HttpContext http, CancellationToken cancellationToken) =>
                TypedResults.Ok(await mediator.Send(new Query(http.GetCaller(), id, deliveryId), cancellationToken)))
            .WithName("GetWebhookDelivery")
            .WithSummary("Get a delivery with its attempts")
            .WithDescription("The delivery, the body it sends, and each attempt: when, the receiver's status code or the error, how long.")
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
}
