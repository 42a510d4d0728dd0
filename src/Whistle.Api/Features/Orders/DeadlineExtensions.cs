namespace Whistle.Api.Features.Orders;

/// <summary>
/// A department asks for more time to resolve (延期申请); a supervisor approves, and the resolve
/// deadline moves, or refuses. One request pending at a time, acknowledged orders only; the
/// lifecycle decides what is permitted (409 otherwise, with allowedActions).
/// </summary>
public static class DeadlineExtensions
{
    /// <param name="ResolveBy">The resolve deadline asked for: later than the current one and than now.</param>
    /// <param name="Reason">Why more time is needed, up to 2,000 characters.</param>
    public sealed record RequestBody(DateTimeOffset? ResolveBy, string? Reason);

    /// <param name="Note">Optional, up to 2,000 characters.</param>
    public sealed record ApproveBody(string? Note = null);

    /// <param name="Reason">Why the request is refused, up to 2,000 characters.</param>
    public sealed record RefuseBody(string? Reason);

    public sealed record RequestCommand(string OrderId, DateTimeOffset? ResolveBy, string? Reason, OrderActionContext Context) : ICommand<OrderResponse>;

    public sealed record ApproveCommand(string OrderId, string? Note, OrderActionContext Context) : ICommand<OrderResponse>;

    public sealed record RefuseCommand(string OrderId, string? Reason, OrderActionContext Context) : ICommand<OrderResponse>;

    public sealed class RequestValidator : AbstractValidator<RequestCommand>
    {
        public RequestValidator()
        {
            RuleFor(c => c.ResolveBy).NotNull().OverridePropertyName("resolveBy");
            RuleFor(c => c.Reason).NotEmpty().MaximumLength(2000).OverridePropertyName("reason");
        }
    }

    public sealed class ApproveValidator : AbstractValidator<ApproveCommand>
    {
        public ApproveValidator() => RuleFor(c => c.Note).MaximumLength(2000).OverridePropertyName("note");
    }

    public sealed class RefuseValidator : AbstractValidator<RefuseCommand>
    {
        public RefuseValidator() => RuleFor(c => c.Reason).NotEmpty().MaximumLength(2000).OverridePropertyName("reason");
    }

    public sealed class RequestHandler(WhistleDbContext db, TimeProvider clock) : ICommandHandler<RequestCommand, OrderResponse>
    {
        public async ValueTask<OrderResponse> Handle(RequestCommand command, CancellationToken cancellationToken) =>
            await OrderStore.ActAsync(db, command.OrderId, command.Context, order =>
            {
                var now = clock.Now();
                // Microseconds, as the store keeps them.
                var resolveBy = command.ResolveBy!.Value.AddTicks(-(command.ResolveBy.Value.Ticks % TimeSpan.TicksPerMicrosecond));
                order.RequestExtension(resolveBy, command.Reason!.Trim(), command.Context.Actor, now);
            }, cancellationToken);
    }

    public sealed class ApproveHandler(WhistleDbContext db, TimeProvider clock) : ICommandHandler<ApproveCommand, OrderResponse>
    {
        public async ValueTask<OrderResponse> Handle(ApproveCommand command, CancellationToken cancellationToken) =>
            await OrderStore.ActAsync(db, command.OrderId, command.Context,
                order => order.ApproveExtension(string.IsNullOrWhiteSpace(command.Note) ? null : command.Note.Trim(), command.Context.Actor, clock.Now()),
                cancellationToken);
    }

    public sealed class RefuseHandler(WhistleDbContext db, TimeProvider clock) : ICommandHandler<RefuseCommand, OrderResponse>
    {
        public async ValueTask<OrderResponse> Handle(RefuseCommand command, CancellationToken cancellationToken) =>
            await OrderStore.ActAsync(db, command.OrderId, command.Context,
                order => order.RefuseExtension(command.Reason!.Trim(), command.Context.Actor, clock.Now()), cancellationToken);
    }

    internal static void Map(RouteGroupBuilder orders)
    {
        OrderEndpoints.MapAction<RequestBody>(orders, OrderAction.RequestExtension, "Request a deadline extension",
            "From acknowledged, with no request pending: the department asks to resolve by a later time, with a reason. " +
            "The deadline does not move until a supervisor approves; pendingExtension shows the request.",
            (id, body, context) => new RequestCommand(id, body?.ResolveBy, body?.Reason, context));
        OrderEndpoints.MapAction<ApproveBody>(orders, OrderAction.ApproveExtension, "Approve a deadline extension",
            "With a request pending: deadlines.resolveBy moves to the time asked for. The statistics judge on-time " +
            "resolution against resolveBy, so against the extended deadline. 409 when nothing is pending.",
            (id, body, context) => new ApproveCommand(id, body?.Note, context));
        OrderEndpoints.MapAction<RefuseBody>(orders, OrderAction.RefuseExtension, "Refuse a deadline extension",
            "With a request pending: the request is dropped with a reason and the deadline stands. 409 when nothing is pending.",
            (id, body, context) => new RefuseCommand(id, body?.Reason, context));
    }
}
