using FluentValidation;
using Mediator;
using Whistle.Api.Infrastructure;
using Whistle.Api.Persistence;
using Whistle.Domain.Orders;

namespace Whistle.Api.Features.Orders;

/// <summary>The department reports the problem handled (办结).</summary>
/// <remarks>
/// Its path past this file: the endpoint (<see cref="OrderEndpoints.MapAction"/>) checks the caller's role
/// (<see cref="Access.AccessPolicy"/>), <see cref="OrderStore"/> locks the order and saves the change with its
/// history in one batch, with the webhook events it raises (<see cref="Webhooks.WebhookEvents.RaisedBy(Whistle.Domain.Orders.OrderAction, Whistle.Domain.Orders.OrderState)"/>:
/// the one table of what each action publishes); the statistics count the order as it now stands at their next
/// catch-up (<see cref="Stats.OrderRow.ToFact"/>).
/// </remarks>
public static class ResolveOrder
{
    /// <param name="Result">What the department did, up to 4,000 characters.</param>
    public sealed record Body(string? Result);

    public sealed record Command(string OrderId, string? Result, OrderActionContext Context) : ICommand<OrderResponse>;

    public sealed class Validator : AbstractValidator<Command>
    {
        public Validator() => RuleFor(c => c.Result).NotEmpty().MaximumLength(4000).OverridePropertyName("result");
    }

    public sealed class Handler(WhistleDbContext db, TimeProvider clock) : ICommandHandler<Command, OrderResponse>
    {
        public async ValueTask<OrderResponse> Handle(Command command, CancellationToken cancellationToken) =>
            await OrderStore.ActAsync(db, command.OrderId, command.Context,
                order => order.Resolve(command.Result!.Trim(), command.Context.Actor, clock.Now()), cancellationToken);
    }

    internal static void Map(RouteGroupBuilder orders) =>
        OrderEndpoints.MapAction<Body>(orders, OrderAction.Resolve, "Resolve an order",
            "From acknowledged: the department reports what it did. The order awaits the community's evaluation and counts as completed unless reopened.",
            (id, body, context) => new Command(id, body?.Result, context));
}
