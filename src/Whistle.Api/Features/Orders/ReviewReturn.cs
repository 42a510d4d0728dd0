namespace Whistle.Api.Features.Orders;

/// <summary>
/// 退单审核: the street supervisor approves a return under review (the order goes back to the
/// community) or refuses it (back to the department as it was, deadlines unchanged; the second
/// refusal escalates). Only where <c>Whistle__Returns__Review=supervisor</c>.
/// </summary>
public static class ReviewReturn
{
    /// <param name="Note">The supervisor's note: optional when approving, required when refusing (up to 2,000 characters).</param>
    public sealed record Body(string? Note = null);

    public sealed record Approve(string OrderId, string? Note, OrderActionContext Context) : ICommand<OrderResponse>;

    public sealed record Refuse(string OrderId, string? Note, OrderActionContext Context) : ICommand<OrderResponse>;

    public sealed class ApproveValidator : AbstractValidator<Approve>
    {
        public ApproveValidator() => RuleFor(c => c.Note).MaximumLength(2000).OverridePropertyName("note");
    }

    public sealed class RefuseValidator : AbstractValidator<Refuse>
    {
        public RefuseValidator() => RuleFor(c => c.Note).NotEmpty().MaximumLength(2000).OverridePropertyName("note");
    }

    public sealed class ApproveHandler(WhistleDbContext db, TimeProvider clock) : ICommandHandler<Approve, OrderResponse>
    {
        public async ValueTask<OrderResponse> Handle(Approve command, CancellationToken cancellationToken) =>
            await OrderStore.ActAsync(db, command.OrderId, command.Context,
                order => order.ApproveReturn(command.Note?.Trim(), command.Context.Actor, clock.Now()), cancellationToken);
    }

    public sealed class RefuseHandler(WhistleDbContext db, TimeProvider clock) : ICommandHandler<Refuse, OrderResponse>
    {
        public async ValueTask<OrderResponse> Handle(Refuse command, CancellationToken cancellationToken) =>
            await OrderStore.ActAsync(db, command.OrderId, command.Context,
                order => order.RefuseReturn(command.Note!.Trim(), command.Context.Actor, clock.Now()), cancellationToken);
    }

    internal static void Map(RouteGroupBuilder orders)
    {
        OrderEndpoints.MapAction<Body>(orders, OrderAction.ApproveReturn, "Approve a return under review",
            "The street supervisor, from return-under-review: the return stands and the order goes back to the community " +
            "(department and deadlines cleared), which may re-whistle it. Raises order.returned.",
            (id, body, context) => new Approve(id, body?.Note, context));
        OrderEndpoints.MapAction<Body>(orders, OrderAction.RefuseReturn, "Refuse a return under review",
            "The street supervisor, from return-under-review, with a note: the order goes back to the department in the state it " +
            "left (whistled or acknowledged), its deadlines unchanged. The second refusal on an order, and each later one, also " +
            "escalates it. Raises order.return-refused.",
            (id, body, context) => new Refuse(id, body?.Note, context));
    }
}
