namespace Whistle.Api.Features.Orders;

/// <summary>The community evaluates the result (评价反馈); unsatisfied reopens the order (回头看).</summary>
public static class EvaluateOrder
{
    /// <param name="Rating">satisfied or basically-satisfied closes the order; unsatisfied reopens it.</param>
    /// <param name="Comment">Up to 2,000 characters; required when unsatisfied, so the department knows what is still wrong.</param>
    public sealed record Body(Rating? Rating, string? Comment = null);

    public sealed record Command(string OrderId, Rating? Rating, string? Comment, OrderActionContext Context) : ICommand<OrderResponse>;

    public sealed class Validator : AbstractValidator<Command>
    {
        public Validator()
        {
            RuleFor(c => c.Rating).NotNull().IsInEnum().OverridePropertyName("rating");
            RuleFor(c => c.Comment).MaximumLength(2000).OverridePropertyName("comment");
            RuleFor(c => c.Comment).NotEmpty().When(c => c.Rating == Rating.Unsatisfied)
                .WithMessage("'comment' must say what is still wrong when the rating is unsatisfied.")
                .OverridePropertyName("comment");
        }
    }

    public sealed class Handler(WhistleDbContext db, ReferenceCache reference, WorkingCalendar calendar, TimeProvider clock) : ICommandHandler<Command, OrderResponse>
    {
        public async ValueTask<OrderResponse> Handle(Command command, CancellationToken cancellationToken) =>
            await OrderStore.ActAsync(db, command.OrderId, command.Context, async order =>
            {
                var category = await reference.CategoryOfAsync(db, order, cancellationToken);
                order.Evaluate(command.Rating!.Value, command.Comment?.Trim(), category.LimitsFor(order.Priority, calendar),
                    command.Context.Actor, clock.Now());
            }, cancellationToken);
    }

    internal static void Map(RouteGroupBuilder orders) =>
        OrderEndpoints.MapAction<Body>(orders, OrderAction.Evaluate, "Evaluate a resolved order",
            "From resolved. satisfied or basically-satisfied closes the order; unsatisfied reopens it: back to acknowledged " +
            "with the same department, a fresh resolveBy, and one more reopen counted.",
            (id, body, context) => new Command(id, body?.Rating, body?.Comment, context));
}
