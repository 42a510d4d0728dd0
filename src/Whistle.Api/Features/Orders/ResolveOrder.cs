namespace Whistle.Api.Features.Orders;

/// <summary>The department reports the problem handled (办结).</summary>
public static class ResolveOrder
{
    /// <param name="Result">What the department did, up to 4,000 characters.</param>
    public sealed record Body(string? Result);

    public sealed record Command(string OrderId, string? Result, OrderActionContext Context) : ICommand<OrderResponse>;

    public sealed class Validator : AbstractValidator<Command>
    {
        public Validator() => RuleFor(c => c.Result).NotEmpty().MaximumLength(4000).OverridePropertyName("result");
    }

    public sealed class Handler(WhistleDbContext db, ReferenceCache reference, TimeProvider clock) : ICommandHandler<Command, OrderResponse>
    {
        public async ValueTask<OrderResponse> Handle(Command command, CancellationToken cancellationToken) =>
            await OrderStore.ActAsync(db, command.OrderId, command.Context, async order =>
            {
                // A category that asks for the after photo (处置后照片) is resolved only with one.
                order.EnsureResolutionPhoto((await reference.CategoryOfAsync(db, order, cancellationToken)).RequiresResolutionPhoto);
                order.Resolve(command.Result!.Trim(), command.Context.Actor, clock.Now());
            }, cancellationToken);
    }

    internal static void Map(RouteGroupBuilder orders) =>
        OrderEndpoints.MapAction<Body>(orders, OrderAction.Resolve, "Resolve an order",
            "From acknowledged: the department reports what it did. The order awaits the community's evaluation and counts as completed unless reopened. " +
            "A category with requiresResolutionPhoto is resolved only once a resolution photo is on the order (else 400, field 'photos').",
            (id, body, context) => new Command(id, body?.Result, context));
}
