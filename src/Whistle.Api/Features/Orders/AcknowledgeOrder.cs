using FluentValidation;
using Mediator;
using Whistle.Api.Infrastructure;
using Whistle.Api.Persistence;
using Whistle.Domain.Orders;

namespace Whistle.Api.Features.Orders;

/// <summary>The department signs for the order (签收).</summary>
/// <remarks>
/// Its path past this file: the endpoint (<see cref="OrderEndpoints.MapAction"/>) checks the caller's role
/// (<see cref="Access.AccessPolicy"/>), <see cref="OrderStore"/> locks the order and saves the change with its
/// history in one batch, with the webhook events it raises (<see cref="Webhooks.WebhookEvents.RaisedBy(Whistle.Domain.Orders.OrderAction, Whistle.Domain.Orders.OrderState)"/>:
/// the one table of what each action publishes); the statistics count the order as it now stands at their next
/// catch-up (<see cref="Stats.OrderRow.ToFact"/>).
/// </remarks>
public static class AcknowledgeOrder
{
    /// <param name="Note">Optional, up to 2,000 characters: who will handle it, when.</param>
    public sealed record Body(string? Note = null);

    public sealed record Command(string OrderId, string? Note, OrderActionContext Context) : ICommand<OrderResponse>;

    public sealed class Validator : AbstractValidator<Command>
    {
        public Validator() => RuleFor(c => c.Note).MaximumLength(2000).OverridePropertyName("note");
    }

    public sealed class Handler(WhistleDbContext db, TimeProvider clock) : ICommandHandler<Command, OrderResponse>
    {
        public async ValueTask<OrderResponse> Handle(Command command, CancellationToken cancellationToken) =>
            await OrderStore.ActAsync(db, command.OrderId, command.Context,
                order => order.Acknowledge(command.Note?.Trim(), command.Context.Actor, clock.Now()), cancellationToken);
    }

    internal static void Map(RouteGroupBuilder orders) =>
        OrderEndpoints.MapAction<Body>(orders, OrderAction.Acknowledge, "Acknowledge an order",
            "From whistled: the department accepts the order as its duty. Acknowledging by acknowledgeBy counts towards the response rate.",
            (id, body, context) => new Command(id, body?.Note, context));
}
