namespace Whistle.Api.Features.Orders;

/// <summary>The department sends the order back as not its duty (退单).</summary>
public static class ReturnOrder
{
    /// <param name="Reason">Why it is not this department's duty, up to 2,000 characters.</param>
    public sealed record Body(string? Reason);

    public sealed record Command(string OrderId, string? Reason, OrderActionContext Context) : ICommand<OrderResponse>;

    public sealed class Validator : AbstractValidator<Command>
    {
        public Validator() => RuleFor(c => c.Reason).NotEmpty().MaximumLength(2000).OverridePropertyName("reason");
    }

    public sealed class Handler(WhistleDbContext db, TimeProvider clock) : ICommandHandler<Command, OrderResponse>
    {
        public async ValueTask<OrderResponse> Handle(Command command, CancellationToken cancellationToken) =>
            await OrderStore.ActAsync(db, command.OrderId, command.Context,
                order => order.Return(command.Reason!.Trim(), command.Context.Actor, clock.Now()), cancellationToken);
    }

    internal static void Map(RouteGroupBuilder orders) =>
        OrderEndpoints.MapAction<Body>(orders, OrderAction.Return, "Return an order",
            "From whistled or acknowledged: the department says it is not its duty. The order goes back to the community " +
            "(department and deadlines cleared) to be re-whistled or cancelled.",
            (id, body, context) => new Command(id, body?.Reason, context));
}
