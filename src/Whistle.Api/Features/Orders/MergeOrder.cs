namespace Whistle.Api.Features.Orders;

/// <summary>
/// 并单: a community or supervisor merges a repeat report into the order that tracks the same
/// problem (the 2025 State Council guidance on 12345 dispatch). The repeat ends merged with
/// mergedInto; the survivor's history records it; the figures count the problem once.
/// </summary>
public static class MergeOrder
{
    /// <param name="IntoOrderId">The order that tracks the problem (its id or code); it must be in the caller's scope, not cancelled nor merged.</param>
    public sealed record Body(string? IntoOrderId);

    public sealed record Command(string OrderId, string? IntoOrderId, OrderActionContext Context) : ICommand<OrderResponse>;

    public sealed class Validator : AbstractValidator<Command>
    {
        public Validator() => RuleFor(c => c.IntoOrderId).NotEmpty().MaximumLength(100).OverridePropertyName("intoOrderId");
    }

    public sealed class Handler(WhistleDbContext db, TimeProvider clock) : ICommandHandler<Command, OrderResponse>
    {
        public async ValueTask<OrderResponse> Handle(Command command, CancellationToken cancellationToken)
        {
            var duplicateId = await IdOf(command.OrderId, cancellationToken);
            var survivorId = await IdOf(command.IntoOrderId!, cancellationToken);
            // Both rows locked, always in the same order, so two merges of the same pair cannot deadlock.
            var first = await OrderStore.LockAsync(db, Min(duplicateId, survivorId).ToString(), cancellationToken);
            var second = duplicateId == survivorId ? first : await OrderStore.LockAsync(db, Max(duplicateId, survivorId).ToString(), cancellationToken);
            var (duplicate, survivor) = first.Id == duplicateId ? (first, second) : (second, first);

            AccessPolicy.Ensure(command.Context.Caller, command.Context.Operation, duplicate, command.OrderId);
            // The survivor too must be the caller's: out of scope it is not found, as anywhere else.
            AccessPolicy.Ensure(command.Context.Caller, command.Context.Operation, survivor, command.IntoOrderId!);
            duplicate.EnsureVersion(command.Context.IfMatch);
            duplicate.MergeInto(survivor, command.Context.Actor, clock.Now());
            if (survivor.NewHistory.Count > 0)
            {
                await OrderStore.SaveAsync(db, survivor, cancellationToken);
            }
            return await OrderStore.SaveAsync(db, duplicate, cancellationToken);
        }

        private async Task<Guid> IdOf(string key, CancellationToken cancellationToken) =>
            await db.Orders.AsNoTracking().WhereKey(key).Select(o => (Guid?)o.Id).SingleOrDefaultAsync(cancellationToken)
                ?? throw OrderStore.NotFound(key);

        private static Guid Min(Guid a, Guid b) => a.CompareTo(b) <= 0 ? a : b;

        private static Guid Max(Guid a, Guid b) => a.CompareTo(b) <= 0 ? b : a;
    }

    internal static void Map(RouteGroupBuilder orders) =>
        OrderEndpoints.MapAction<Body>(orders, OrderAction.Merge, "Merge a repeat report into another order (并单)",
            "From discovered, whistled, acknowledged or returned: the order is a repeat report of the problem intoOrderId tracks. " +
            "It ends 'merged' with mergedInto (and GET names that order in a Link header), its deadlines stopped; the other " +
            "order's history records the repeat with its reporter. In the statistics a merged order counts among cancelledOrders " +
            "and is not a valid order, so the problem counts once, as the order it was merged into. Raises order.merged.",
            (id, body, context) => new Command(id, body?.IntoOrderId, context));
}
