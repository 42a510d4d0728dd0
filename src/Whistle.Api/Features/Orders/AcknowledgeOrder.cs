namespace Whistle.Api.Features.Orders;

/// <summary>The department signs for the order (签收).</summary>
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
