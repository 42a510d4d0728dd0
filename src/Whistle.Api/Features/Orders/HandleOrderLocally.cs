namespace Whistle.Api.Features.Orders;

/// <summary>The community fixes the problem itself; the order is never whistled.</summary>
public static class HandleOrderLocally
{
    /// <param name="Result">What the community did, up to 4,000 characters.</param>
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
                order => order.HandleLocally(command.Result!.Trim(), command.Context.Actor, clock.Now()), cancellationToken);
    }

    internal static void Map(RouteGroupBuilder orders) =>
        OrderEndpoints.MapAction<Body>(orders, OrderAction.HandleLocally, "Record that the community handled it",
            "From discovered only: the grid team fixed it without a department. The order ends handled-locally and never counts as whistled.",
            (id, body, context) => new Command(id, body?.Result, context));
}
