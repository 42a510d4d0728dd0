using Microsoft.AspNetCore.Mvc;

namespace Whistle.Api.Features.Orders;

/// <summary>The order resource: <c>/api/v1/orders</c> and its actions.</summary>
public static class OrderEndpoints
{
    public static RouteGroupBuilder MapOrders(this IEndpointRouteBuilder app)
    {
        var orders = app.MapGroup("/api/v1/orders").WithTags("Orders");
        FileOrder.Map(orders);
        ListOrders.Map(orders);
        CountOrders.Map(orders);
        Geo.NearbyOrders.Map(orders);
        ExportOrders.Map(orders);
        GetOrder.Map(orders);
        GetOrderHistory.Map(orders);
        WhistleOrder.Map(orders);
        HandleOrderLocally.Map(orders);
        AcknowledgeOrder.Map(orders);
        ReturnOrder.Map(orders);
        ResolveOrder.Map(orders);
        EvaluateOrder.Map(orders);
        CancelOrder.Map(orders);
        EscalateOrder.Map(orders);
        ReassignOrder.Map(orders);
        MergeOrder.Map(orders);
        DeadlineExtensions.Map(orders);
        SummonDepartment.Map(orders);
        PartActions.Map(orders);
        ReviewReturn.Map(orders);
        return orders;
    }

    /// <summary>
    /// Maps <c>POST /{id}/{action}</c>: reads <c>If-Match</c> and the authenticated caller, sends the
    /// command, answers 200 with the order and its new ETag. Every action documents the same failures.
    /// </summary>
    internal static RouteHandlerBuilder MapAction<TBody>(
        RouteGroupBuilder orders, OrderAction action, string summary, string description,
        Func<string, TBody?, OrderActionContext, ICommand<OrderResponse>> command)
        where TBody : class
    {
        var operation = AccessPolicy.OperationOf(action);
        return orders.MapPost($"/{{id}}/{WireName.Of(action)}", async Task<Ok<OrderResponse>> (
                [Description("The order's id or its code (WS-0000042).")] string id,
                [FromBody] TBody? body,
                [FromHeader(Name = "If-Match"), Description("The order's ETag as last read; a stale one is refused with 412.")] string? ifMatch,
                IMediator mediator, HttpContext http, CancellationToken cancellationToken) =>
            {
                var context = new OrderActionContext(ETags.ParseIfMatch(ifMatch), http.GetCaller(), operation);
                var order = await mediator.Send(command(id, body, context), cancellationToken);
                return Ok(http, order);
            })
            .WithName(action + "Order")
            .WithSummary(summary)
            .WithDescription(description)
            .ProducesOrderActionResponses();
    }

    /// <summary>What an action on an order may answer: 200 with its ETag, or 400, 403, 404, 409, 412.</summary>
    internal static RouteHandlerBuilder ProducesOrderActionResponses(this RouteHandlerBuilder endpoint) => endpoint
        .ProducesValidationProblem()
        .ProducesProblem(StatusCodes.Status403Forbidden)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status412PreconditionFailed)
        .WithOrderETag(StatusCodes.Status200OK);

    /// <summary>200 with the order's ETag, and among its next actions only those this caller may take.</summary>
    internal static Ok<OrderResponse> Ok(HttpContext http, OrderResponse order)
    {
        http.Response.Headers.ETag = ETags.For(order.Version);
        return TypedResults.Ok(ForCaller(http.GetCaller(), order));
    }

    internal static OrderResponse ForCaller(Caller caller, OrderResponse order) => order with
    {
        AllowedActions = AccessPolicy.AllowedActions(caller, order.DepartmentCode, order.AllowedActions),
        Parts = order.Parts.Count == 1 && order.Parts[0].AllowedActions.Count == 0
            ? order.Parts
            : order.Parts.Select(p => p with { AllowedActions = AccessPolicy.AllowedPartActions(caller, p.DepartmentCode, p.AllowedActions) }).ToList(),
    };
}

/// <summary>What every action carries besides its body: the versions the caller accepts, who the caller is and what it asks.</summary>
public sealed record OrderActionContext(IReadOnlyCollection<int>? IfMatch, Caller Caller, Operation Operation)
{
    /// <summary>Who history records as acting.</summary>
    public Actor Actor => Caller.Actor;
}
