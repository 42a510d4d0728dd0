namespace Whistle.Api.Features.Webhooks;

public static class DeleteWebhook
{
    public sealed record Command(Caller Caller, string Id) : ICommand<bool>;

    public sealed class Handler(WhistleDbContext db) : ICommandHandler<Command, bool>
    {
        public async ValueTask<bool> Handle(Command command, CancellationToken cancellationToken)
        {
            var subscription = await WebhookEndpoints.FindAsync(db, command.Caller, command.Id, track: true, cancellationToken);
            // Its deliveries and their attempts go with it (ON DELETE CASCADE).
            db.WebhookSubscriptions.Remove(subscription);
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
    }

    internal static void Map(RouteGroupBuilder webhooks) =>
        webhooks.MapDelete("/{id}", async Task<NoContent> (
                [Description("The subscription's id.")] string id, IMediator mediator, HttpContext http, CancellationToken cancellationToken) =>
            {
                await mediator.Send(new Command(http.GetCaller(), id), cancellationToken);
                return TypedResults.NoContent();
            })
            .WithName("DeleteWebhook")
            .WithSummary("Delete a webhook subscription")
            .WithDescription("Stops its deliveries, pending ones included, and removes their record.")
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
}
