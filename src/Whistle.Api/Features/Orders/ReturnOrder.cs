using Microsoft.Extensions.Options;

namespace Whistle.Api.Features.Orders;

/// <summary>The department sends the order back as not its duty (退单).</summary>
public static class ReturnOrder
{
    /// <param name="Reason">Why it is not this department's duty, up to 2,000 characters.</param>
    /// <param name="ReasonCode">not-our-duty, outside-district, duplicate or insufficient-information; required where returns are reviewed.</param>
    /// <param name="Basis">The duty catalogue item or rule the return rests on, up to 2,000 characters; required where returns are reviewed.</param>
    public sealed record Body(string? Reason, string? ReasonCode = null, string? Basis = null);

    public sealed record Command(string OrderId, string? Reason, OrderActionContext Context, string? ReasonCode = null, string? Basis = null) : ICommand<OrderResponse>;

    public sealed class Validator : AbstractValidator<Command>
    {
        public Validator(IOptions<WhistleOptions> options)
        {
            var reviewed = options.Value.Returns.Review == ReturnReview.Supervisor;
            RuleFor(c => c.Reason).NotEmpty().MaximumLength(2000).OverridePropertyName("reason");
            RuleFor(c => c.ReasonCode)
                .Must(code => code is null || WireName.TryParse<ReturnReasonCode>(code, out _))
                .WithMessage($"'reasonCode' is one of: {string.Join(", ", WireName.All<ReturnReasonCode>())}.")
                .OverridePropertyName("reasonCode");
            RuleFor(c => c.Basis).MaximumLength(2000).OverridePropertyName("basis");
            // A reviewer judges a return by its reason and what it rests on.
            RuleFor(c => c.ReasonCode).NotEmpty().When(_ => reviewed).OverridePropertyName("reasonCode");
            RuleFor(c => c.Basis).NotEmpty().When(_ => reviewed).OverridePropertyName("basis");
        }
    }

    public sealed class Handler(WhistleDbContext db, TimeProvider clock, IOptions<WhistleOptions> options) : ICommandHandler<Command, OrderResponse>
    {
        public async ValueTask<OrderResponse> Handle(Command command, CancellationToken cancellationToken) =>
            await OrderStore.ActAsync(db, command.OrderId, command.Context,
                order => order.Return(command.Reason!.Trim(), command.Context.Actor, clock.Now(),
                    command.ReasonCode is null ? null : WireName.Parse<ReturnReasonCode>(command.ReasonCode),
                    string.IsNullOrWhiteSpace(command.Basis) ? null : command.Basis.Trim(),
                    reviewed: options.Value.Returns.Review == ReturnReview.Supervisor),
                cancellationToken);
    }

    internal static void Map(RouteGroupBuilder orders) =>
        OrderEndpoints.MapAction<Body>(orders, OrderAction.Return, "Return an order",
            "From whistled or acknowledged: the department says it is not its duty. The order goes back to the community " +
            "(department and deadlines cleared) to be re-whistled or cancelled. Where returns are reviewed " +
            "(Whistle__Returns__Review=supervisor) it goes to return-under-review instead, and reasonCode and basis are required.",
            (id, body, context) => new Command(id, body?.Reason, context, body?.ReasonCode, body?.Basis));
}
