namespace Whistle.Api.Features.Webhooks;

/// <summary>Changes a subscription's URL, events or whether it is enabled; what is left out stays as it is.</summary>
public static class UpdateWebhook
{
    /// <param name="Url">A new absolute http or https URL.</param>
    /// <param name="Events">A new, non-empty set of event types (or ["*"]).</param>
    /// <param name="Enabled">false pauses deliveries (events still queue, in order); true resumes them.</param>
    public sealed record Request(string? Url = null, IReadOnlyList<string>? Events = null, bool? Enabled = null);

    public sealed record Command(Caller Caller, string Id, Request Request) : ICommand<WebhookResponse>;

    public sealed class Validator : AbstractValidator<Command>
    {
        public Validator()
        {
            RuleFor(c => c.Request.Url).WebhookUrl().When(c => c.Request.Url is not null).OverridePropertyName("url");
            RuleFor(c => c.Request.Events).WebhookEvents().When(c => c.Request.Events is not null).OverridePropertyName("events");
        }
    }

    public sealed class Handler(WhistleDbContext db, TimeProvider clock) : ICommandHandler<Command, WebhookResponse>
    {
        public async ValueTask<WebhookResponse> Handle(Command command, CancellationToken cancellationToken)
        {
            var subscription = await WebhookEndpoints.FindAsync(db, command.Caller, command.Id, track: true, cancellationToken);
            var request = command.Request;
            if (request.Url is not null)
            {
                subscription.Url = request.Url.Trim();
            }
            if (request.Events is not null)
            {
                subscription.Events = WebhookRules.Normalise(request.Events);
            }
            var resumed = request.Enabled == true && !subscription.Enabled;
            if (request.Enabled is { } enabled)
            {
                subscription.Enabled = enabled;
            }
            subscription.UpdatedAt = clock.Now();
            await db.SaveChangesAsync(cancellationToken);
            if (resumed)
            {
                // What queued while it was paused is due now: wake the dispatchers when this commits.
                await db.Database.ExecuteSqlRawAsync(WebhookOutbox.NotifySql, cancellationToken);
            }
            return WebhookResponse.From(subscription);
        }
    }

    internal static void Map(RouteGroupBuilder webhooks) =>
        webhooks.MapPatch("/{id}", async Task<Ok<WebhookResponse>> (
                [Description("The subscription's id.")] string id, Request request,
                IMediator mediator, HttpContext http, CancellationToken cancellationToken) =>
                TypedResults.Ok(await mediator.Send(new Command(http.GetCaller(), id, request), cancellationToken)))
            .WithName("UpdateWebhook")
            .WithSummary("Change a webhook subscription")
            .WithDescription("Any of url, events and enabled; the others stay. The secret does not change.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
}
