namespace Whistle.Api.Features.Orders;

/// <summary>A supervisor presses the department about an order (督办).</summary>
public static class EscalateOrder
{
    /// <param name="Reason">Why it is escalated, up to 2,000 characters: usually the deadline it missed.</param>
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
                order => order.Escalate(command.Reason!.Trim(), command.Context.Actor, clock.Now()), cancellationToken);
    }

    internal static void Map(RouteGroupBuilder orders) =>
        OrderEndpoints.MapAction<Body>(orders, OrderAction.Escalate, "Escalate an order",
            "From whistled or acknowledged: raises the escalation one level (the street's supervisor, then the district; " +
            "further escalations press again at the district). The state does not change; the escalation counts in the statistics.",
            (id, body, context) => new Command(id, body?.Reason, context));
}
