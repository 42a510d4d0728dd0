namespace Whistle.Api.Features.Webhooks;

public static class ListWebhooks
{
    public sealed record Query(Caller Caller) : IQuery<IReadOnlyList<WebhookResponse>>;

    public sealed class Handler(WhistleDbContext db) : IQueryHandler<Query, IReadOnlyList<WebhookResponse>>
    {
        public async ValueTask<IReadOnlyList<WebhookResponse>> Handle(Query query, CancellationToken cancellationToken)
        {
            AccessPolicy.Ensure(query.Caller, Operation.ManageWebhooks);
            var subscriptions = await db.WebhookSubscriptions.AsNoTracking().VisibleTo(query.Caller)
                .OrderBy(s => s.CreatedAt).ThenBy(s => s.Id).ToListAsync(cancellationToken);
            return subscriptions.Select(WebhookResponse.From).ToList();
        }
    }

    internal static void Map(RouteGroupBuilder webhooks) =>
        webhooks.MapGet("/", async Task<Ok<IReadOnlyList<WebhookResponse>>> (IMediator mediator, HttpContext http, CancellationToken cancellationToken) =>
                TypedResults.Ok(await mediator.Send(new Query(http.GetCaller()), cancellationToken)))
            .WithName("ListWebhooks")
            .WithSummary("List webhook subscriptions")
            .WithDescription("The caller's department's or community's subscriptions, oldest first; an admin sees all. No secrets.")
            .ProducesProblem(StatusCodes.Status403Forbidden);
}
