namespace Whistle.Api.Features.Webhooks;

public static class GetWebhook
{
    public sealed record Query(Caller Caller, string Id) : IQuery<WebhookResponse>;

    public sealed class Handler(WhistleDbContext db) : IQueryHandler<Query, WebhookResponse>
    {
        public async ValueTask<WebhookResponse> Handle(Query query, CancellationToken cancellationToken) =>
            WebhookResponse.From(await WebhookEndpoints.FindAsync(db, query.Caller, query.Id, track: false, cancellationToken));
    }

    internal static void Map(RouteGroupBuilder webhooks) =>
        webhooks.MapGet("/{id}", async Task<Ok<WebhookResponse>> (
                [Description("The subscription's id.")] string id, IMediator mediator, HttpContext http, CancellationToken cancellationToken) =>
                TypedResults.Ok(await mediator.Send(new Query(http.GetCaller(), id), cancellationToken)))
            .WithName("GetWebhook")
            .WithSummary("Get a webhook subscription")
            .WithDescription("Without its secret. Another department's or community's subscription is 404.")
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
}
