namespace Whistle.Api.Features.Webhooks;

/// <summary>Queues a failed (or delivered) delivery again, with a fresh retry window.</summary>
public static class Redeliver
{
    public sealed record Command(Caller Caller, string WebhookId, string DeliveryId) : ICommand<DeliveryResponse>;

    public sealed class Handler(WhistleDbContext db, TimeProvider clock) : ICommandHandler<Command, DeliveryResponse>
    {
        public async ValueTask<DeliveryResponse> Handle(Command command, CancellationToken cancellationToken)
        {
            var delivery = await GetDelivery.FindAsync(db, command.Caller, command.WebhookId, command.DeliveryId, track: true, cancellationToken);
            if (delivery.Status == DeliveryStatus.Pending)
            {
                throw new DeliveryPendingException(delivery.Id);
            }
            delivery.Status = DeliveryStatus.Pending;
            delivery.NextAttemptAt = clock.Now();
            delivery.FirstAttemptAt = null;
            delivery.DeliveredAt = null;
            delivery.FailedAt = null;
            await db.SaveChangesAsync(cancellationToken);
            return DeliveryResponse.From(delivery);
        }
    }

    internal static void Map(RouteGroupBuilder webhooks) =>
        webhooks.MapPost("/{id}/deliveries/{deliveryId}/redeliver", async Task<Accepted<DeliveryResponse>> (
                [Description("The subscription's id.")] string id, [Description("The delivery's id.")] string deliveryId,
                IMediator mediator, HttpContext http, CancellationToken cancellationToken) =>
            {
                var delivery = await mediator.Send(new Command(http.GetCaller(), id, deliveryId), cancellationToken);
                return TypedResults.Accepted($"/api/v1/webhooks/{id}/deliveries/{delivery.Id}", delivery);
            })
            .WithName("RedeliverWebhookDelivery")
            .WithSummary("Send a delivery again")
            .WithDescription("A failed or delivered delivery is queued again (202), with the same webhook-id and body and a new " +
                "retry window; one still pending is 409.")
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
}

/// <summary>A redelivery asked of a delivery that is still queued: 409.</summary>
public sealed class DeliveryPendingException(long id) : Exception($"Delivery {id} is still pending; it is sent (or retried) without asking.");
