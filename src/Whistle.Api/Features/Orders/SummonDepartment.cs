using FluentValidation.Results;

namespace Whistle.Api.Features.Orders;

/// <summary>加派: the community or a supervisor summons one more department into a running order, to co-handle it (协办).</summary>
public static class SummonDepartment
{
    /// <param name="DepartmentCode">The department to summon; neither the lead nor one already co-handling.</param>
    public sealed record Body(string? DepartmentCode);

    public sealed record Command(string OrderId, string? DepartmentCode, OrderActionContext Context) : ICommand<OrderResponse>;

    public sealed class Validator : AbstractValidator<Command>
    {
        public Validator() => RuleFor(c => c.DepartmentCode).NotEmpty().MaximumLength(50).OverridePropertyName("departmentCode");
    }

    public sealed class Handler(WhistleDbContext db, ReferenceCache reference, WorkingCalendar calendar, TimeProvider clock) : ICommandHandler<Command, OrderResponse>
    {
        public async ValueTask<OrderResponse> Handle(Command command, CancellationToken cancellationToken)
        {
            if (!await reference.DepartmentExistsAsync(db, command.DepartmentCode!, cancellationToken))
            {
                throw new ValidationException([new ValidationFailure("departmentCode", $"No department has the code '{command.DepartmentCode}'.")]);
            }
            return await OrderStore.ActAsync(db, command.OrderId, command.Context, async order =>
            {
                // The part's acknowledge deadline comes from the category's limits, as the lead's does.
                var category = await reference.CategoryOfAsync(db, order, cancellationToken);
                order.Summon(command.DepartmentCode!, category.LimitsFor(order.Priority, calendar), command.Context.Actor, clock.Now());
            }, cancellationToken);
        }
    }

    internal static void Map(RouteGroupBuilder orders) =>
        OrderEndpoints.MapAction<Body>(orders, OrderAction.Summon, "Summon a further department to co-handle",
            "From whistled or acknowledged, by the community or a supervisor: departmentCode joins as a co-handler (协办) with its own " +
            "part, summoned now with an acknowledge deadline from the category's limits. Raises order.summoned.",
            (id, body, context) => new Command(id, body?.DepartmentCode, context));
}
