using Whistle.Api.Infrastructure.Idempotency;

namespace Whistle.Api.Features.Webhooks;

/// <summary>A department, community or admin registers a receiver for order events.</summary>
public static class CreateWebhook
{
    /// <param name="Url">Where to POST events: an absolute http or https URL.</param>
    /// <param name="Events">Event types to receive (order.whistled, order.returned, order.reopened, order.escalated,
    /// order.deadline-extended, order.resolved, order.closed, order.cancelled, order.merged), or ["*"] for all, later ones included.</param>
    public sealed record Request(string? Url, IReadOnlyList<string>? Events);

    public sealed record Command(Caller Caller, string? Url, IReadOnlyList<string>? Events) : ICommand<CreatedWebhookResponse>;

    public sealed class Validator : AbstractValidator<Command>
    {
        public Validator()
        {
            RuleFor(c => c.Url).WebhookUrl().OverridePropertyName("url");
            RuleFor(c => c.Events).WebhookEvents().OverridePropertyName("events");
        }
    }

    public sealed class Handler(WhistleDbContext db, TimeProvider clock) : ICommandHandler<Command, CreatedWebhookResponse>
    {
        public async ValueTask<CreatedWebhookResponse> Handle(Command command, CancellationToken cancellationToken)
        {
            var caller = command.Caller;
            AccessPolicy.Ensure(caller, Operation.ManageWebhooks);
            var now = clock.Now();
            var subscription = new WebhookSubscription
            {
                Id = Guid.CreateVersion7(now),
                Url = command.Url!.Trim(),
                Events = WebhookRules.Normalise(command.Events!),
                Enabled = true,
                Secret = WebhookSignature.NewSecret(),
                OwnerId = caller.Id,
                OwnerRole = caller.Role,
                OwnerDepartmentCode = caller.Role == Role.Department ? caller.DepartmentCode : null,
                OwnerCommunityCode = caller.Role == Role.Community ? caller.CommunityCode : null,
                CreatedAt = now,
                UpdatedAt = now,
            };
            db.WebhookSubscriptions.Add(subscription);
            await db.SaveChangesAsync(cancellationToken);
            return CreatedWebhookResponse.From(subscription);
        }
    }

    internal static void Map(RouteGroupBuilder webhooks) =>
        webhooks.MapPost("/", async Task<Created<CreatedWebhookResponse>> (
                Request request, IMediator mediator, HttpContext http, CancellationToken cancellationToken) =>
            {
                var created = await mediator.Send(new Command(http.GetCaller(), request.Url, request.Events), cancellationToken);
                return TypedResults.Created($"/api/v1/webhooks/{created.Id}", created);
            })
            .WithName("CreateWebhook")
            // An idempotent replay answers the same 201 with secret null: the secret never rests in the key store.
            .WithMetadata(new SecretInResponseAttribute("secret"))
            .WithSummary("Subscribe to order events")
            .WithDescription(
                "Registers a receiver. The response carries the signing secret (whsec_…), shown this once: keep it. A " +
                "department's subscription receives only the events of orders assigned to it (order.returned: those it " +
                "returned), a community's only its community's orders, an admin's every order.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden);
}

/// <summary>A new subscription, with its secret: the only time the secret is shown.</summary>
/// <param name="Secret">Standard Webhooks signing secret: whsec_ and base64 of the HMAC-SHA256 key's bytes; shown only here, null in a replay of the same Idempotency-Key.</param>
public sealed record CreatedWebhookResponse(
    Guid Id, string Url, IReadOnlyList<string> Events, bool Enabled, Role OwnerRole, string? DepartmentCode, string? CommunityCode,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string? Secret)
{
    public static CreatedWebhookResponse From(WebhookSubscription s) =>
        new(s.Id, s.Url, s.Events, s.Enabled, s.OwnerRole, s.OwnerDepartmentCode, s.OwnerCommunityCode, s.CreatedAt, s.UpdatedAt, s.Secret);
}
