using System.ComponentModel;
using FluentValidation;
using FluentValidation.Results;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Whistle.Api.Infrastructure;

namespace Whistle.Api.Features.Orders;

/// <summary>The order resource: <c>/api/v1/orders</c> and its actions.</summary>
public static class OrderEndpoints
{
    public static RouteGroupBuilder MapOrders(this IEndpointRouteBuilder app)
    {
        var orders = app.MapGroup("/api/v1/orders").WithTags("Orders");
        FileOrder.Map(orders);
        ListOrders.Map(orders);
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
        DeadlineExtensions.Map(orders);
        return orders;
    }

    /// <summary>
    /// Maps <c>POST /{id}/{action}</c>: reads <c>If-Match</c> and <c>X-Actor</c>, sends the command,
    /// answers 200 with the order and its new ETag. Every action documents the same failures.
    /// </summary>
    internal static RouteHandlerBuilder MapAction<TBody>(
        RouteGroupBuilder orders, string action, string summary, string description,
        Func<string, TBody?, ActionContext, ICommand<OrderResponse>> command)
        where TBody : class =>
        orders.MapPost($"/{{id}}/{action}", async Task<Ok<OrderResponse>> (
                [Description("The order's id or its code (WS-0000042).")] string id,
                [FromBody] TBody? body,
                [FromHeader(Name = "If-Match"), Description("The order's ETag as last read; a stale one is refused with 412.")] string? ifMatch,
                [FromHeader(Name = "X-Actor"), Description(ActorDescription)] string? actor,
                IMediator mediator, HttpContext http, CancellationToken cancellationToken) =>
            {
                var context = new ActionContext(ETags.ParseIfMatch(ifMatch), Actor(actor));
                var order = await mediator.Send(command(id, body, context), cancellationToken);
                return Ok(http, order);
            })
            .WithName(Pascal(action) + "Order")
            .WithSummary(summary)
            .WithDescription(description)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);

    internal const string ActorDescription =
        "Who is acting, recorded in the order's history (until credentials arrive, a name the caller states). Defaults to 'anonymous'.";

    internal static string Actor(string? header)
    {
        var actor = header?.Trim();
        if (string.IsNullOrEmpty(actor))
        {
            return "anonymous";
        }
        if (actor.Length > 100)
        {
            throw new ValidationException([new ValidationFailure("X-Actor", "X-Actor must be 100 characters or fewer.")]);
        }
        return actor;
    }

    internal static Ok<OrderResponse> Ok(HttpContext http, OrderResponse order)
    {
        http.Response.Headers.ETag = ETags.For(order.Version);
        return TypedResults.Ok(order);
    }

    private static string Pascal(string kebab) => string.Concat(kebab.Split('-').Select(w => char.ToUpperInvariant(w[0]) + w[1..]));
}

/// <summary>What every action carries besides its body: the versions the caller accepts and who the caller is.</summary>
public sealed record ActionContext(IReadOnlyCollection<int>? IfMatch, string Actor);
