namespace Whistle.Api.Features.Orders;

/// <summary>The community withdraws the order, or finds it invalid or a duplicate.</summary>
public static class CancelOrder
{
    /// <param name="Reason">duplicate, invalid or withdrawn. A cancelled order is never a valid order in the statistics.</param>
    /// <param name="Comment">Optional, up to 2,000 characters (for a duplicate: which order it repeats).</param>
    public sealed record Body(CancelReason? Reason, string? Comment = null);

    public sealed record Command(string OrderId, CancelReason? Reason, string? Comment, OrderActionContext Context) : ICommand<OrderResponse>;

    public sealed class Validator : AbstractValidator<Command>
    {
        public Validator()
        {
            RuleFor(c => c.Reason).NotNull().IsInEnum().OverridePropertyName("reason");
            RuleFor(c => c.Comment).MaximumLength(2000).OverridePropertyName("comment");
        }
    }

    public sealed class Handler(WhistleDbContext db, TimeProvider clock) : ICommandHandler<Command, OrderResponse>
    {
        public async ValueTask<OrderResponse> Handle(Command command, CancellationToken cancellationToken) =>
            await OrderStore.ActAsync(db, command.OrderId, command.Context,
                order => order.Cancel(command.Reason!.Value, command.Comment?.Trim(), command.Context.Actor, clock.Now()), cancellationToken);
    }

    internal static void Map(RouteGroupBuilder orders) =>
        OrderEndpoints.MapAction<Body>(orders, OrderAction.Cancel, "Cancel an order",
            "From discovered, whistled or returned. Not once a department has acknowledged it: then it must be returned or resolved.",
            (id, body, context) => new Command(id, body?.Reason, body?.Comment, context));
}
