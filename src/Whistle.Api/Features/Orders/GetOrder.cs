using Microsoft.Net.Http.Headers;
using Whistle.Api.Features.Geo;
using Whistle.Domain.Geo;

namespace Whistle.Api.Features.Orders;

public static class GetOrder
{
    public sealed record Query(string Id, Caller Caller, CoordinateSystem CoordinateSystem = CoordinateSystem.Wgs84) : IQuery<OrderResponse>;

    public sealed class Handler(WhistleDbContext db, TimeProvider clock) : IQueryHandler<Query, OrderResponse>
    {
        public async ValueTask<OrderResponse> Handle(Query query, CancellationToken cancellationToken)
        {
            var order = await db.Orders.AsNoTracking().WhereKey(query.Id).Visible(query.Caller).SingleOrDefaultAsync(cancellationToken)
                ?? throw OrderStore.NotFound(query.Id);
            await OrderStore.AttachPartsAsync(db, [order], cancellationToken);
            var response = OrderResponse.From(order, clock.GetUtcNow());
            return query.CoordinateSystem == CoordinateSystem.Wgs84 ? response : response with { Location = response.Location.In(query.CoordinateSystem) };
        }
    }

    internal static void Map(RouteGroupBuilder orders) =>
        orders.MapGet("/{id}", async Task<IResult> (
                [Description("The order's id or its code (WS-0000042).")] string id,
                [Description(Coordinates.ParameterDescription), DocumentedAs(Microsoft.OpenApi.JsonSchemaType.String, OneOf = typeof(CoordinateSystem))] string? coordinateSystem,
                IMediator mediator, HttpContext http, CancellationToken cancellationToken) =>
            {
                var order = await mediator.Send(new Query(id, http.GetCaller(), Coordinates.Parse(coordinateSystem)), cancellationToken);
                if (order.MergedInto is { } into)
                {
                    // A repeat report points at the order that tracks the problem (并单).
                    http.Response.Headers.Link = $"</api/v1/orders/{into}>; rel=\"duplicate-of\"";
                }
                // A phone following its reports asks with the ETag it holds: unchanged, 304 and no body. The version
                // moves with every change; only whether a deadline has passed moves with the clock, and the client
                // holds the deadlines (the field app asks again in full once one it holds has passed).
                if (http.Request.GetTypedHeaders().IfNoneMatch.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Tag.Equals(ETags.For(order.Version))))
                {
                    http.Response.Headers.ETag = ETags.For(order.Version);
                    return Results.StatusCode(StatusCodes.Status304NotModified);
                }
                return OrderEndpoints.Ok(http, order);
            })
            .WithName("GetOrder")
            .WithSummary("Get an order")
            .WithDescription("The order with its allowed actions; the ETag header carries its version for If-Match, and If-None-Match with it answers 304 while the order is unchanged.")
            // No role check here: an order outside the caller's scope (all of them, for a dashboard) is 404, never 403.
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .Produces<OrderResponse>()
            .WithOrderETag(StatusCodes.Status200OK)
            .Produces(StatusCodes.Status304NotModified)
            .WithRequestHeader("If-None-Match", "The ETag held: 304 while the order's version is unchanged (its deadlines too, so whether one has passed is the client's to see).")
            .WithResponseHeader(StatusCodes.Status304NotModified, "ETag", "As for 200.")
            .WithResponseHeader(StatusCodes.Status200OK, "Link",
                "On a merged order: <the order it was merged into>; rel=\"duplicate-of\".", required: false);
}
