using System.Text.Json.Nodes;

namespace Whistle.Api.Features.Orders;

public static class GetOrderHistory
{
    /// <summary>One change in the order's life.</summary>
    /// <param name="Version">The order's version after the change; the filing is 1.</param>
    /// <param name="Action">file, or the action taken (whistle, acknowledge, …).</param>
    /// <param name="FromState">The state before; null for the filing.</param>
    /// <param name="Actor">The name of the credential that made the change (or the service's, such as the scheduler).</param>
    /// <param name="ActorId">That credential: <c>key:</c> and an API key's id, or <c>token:</c> and a JWT's subject; null for the service's own changes.</param>
    /// <param name="Details">
    /// The fields the actor gave, and what the change stamped (deadlines, department), named as in the request
    /// bodies. Each value is any JSON value: today text or null (numbers and times written as text: latitude
    /// "40.8424", resolveBy "2026-03-04T09:00:00+00:00"); later actions may add numbers or objects, so read
    /// the keys you know and ignore the rest.
    /// </param>
    public sealed record Entry(
        int Version, string Action, OrderState? FromState, OrderState ToState, string Actor, string? ActorId, DateTimeOffset At,
        IReadOnlyDictionary<string, JsonNode?> Details);

    public sealed record Query(string Id, Caller Caller) : IQuery<IReadOnlyList<Entry>>;

    public sealed class Handler(WhistleDbContext db) : IQueryHandler<Query, IReadOnlyList<Entry>>
    {
        public async ValueTask<IReadOnlyList<Entry>> Handle(Query query, CancellationToken cancellationToken)
        {
            var orderId = await db.Orders.AsNoTracking().WhereKey(query.Id).Visible(query.Caller).Select(o => (Guid?)o.Id).SingleOrDefaultAsync(cancellationToken)
                ?? throw OrderStore.NotFound(query.Id);
            var entries = await db.OrderHistory.AsNoTracking()
                .Where(e => e.OrderId == orderId)
                .OrderBy(e => e.Version)
                .ToListAsync(cancellationToken);
            return entries
                .Select(e => new Entry(e.Version, e.Action, e.FromState, e.ToState, e.Actor, e.ActorId, e.At,
                    e.Details.ToDictionary(d => d.Key, d => d.Value is null ? null : (JsonNode)JsonValue.Create(d.Value))))
                .ToList();
        }
    }

    internal static void Map(RouteGroupBuilder orders) =>
        orders.MapGet("/{id}/history", async Task<Ok<IReadOnlyList<Entry>>> (
                [Description("The order's id or its code (WS-0000042).")] string id,
                IMediator mediator, HttpContext http, CancellationToken cancellationToken) =>
                TypedResults.Ok(await mediator.Send(new Query(id, http.GetCaller()), cancellationToken)))
            .WithName("GetOrderHistory")
            .WithSummary("Get an order's history")
            .WithDescription("Every change, oldest first, starting with the filing: who, when, which action, from which state to which, with the fields given.")
            // No role check here: an order outside the caller's scope (all of them, for a dashboard) is 404, never 403.
            .ProducesProblem(StatusCodes.Status404NotFound);
}
