using FluentValidation.Results;

namespace Whistle.Api.Features.Orders;

/// <summary>改派: a supervisor sends an order to another department, which receives it as a fresh whistle.</summary>
public static class ReassignOrder
{
    /// <param name="DepartmentCode">The department to send the order to; not the one that has it.</param>
    /// <param name="Reason">Why, for both departments and the history.</param>
    public sealed record Body(string? DepartmentCode, string? Reason);

    public sealed record Command(string OrderId, string? DepartmentCode, string? Reason, OrderActionContext Context) : ICommand<OrderResponse>;

    public sealed class Validator : AbstractValidator<Command>
    {
        public Validator()
        {
            RuleFor(c => c.DepartmentCode).NotEmpty().MaximumLength(50).OverridePropertyName("departmentCode");
            RuleFor(c => c.Reason).NotEmpty().MaximumLength(2000).OverridePropertyName("reason");
        }
    }

    public sealed class Handler(WhistleDbContext db, ReferenceCache reference, WorkingCalendar calendar, TimeProvider clock) : ICommandHandler<Command, OrderResponse>
    {
        public async ValueTask<OrderResponse> Handle(Command command, CancellationToken cancellationToken)
        {
            var department = await reference.DepartmentAsync(db, command.DepartmentCode!, cancellationToken);
            if (department is null || department.RetiredAt is not null)
            {
                throw new ValidationException([new ValidationFailure("departmentCode", department is null
                    ? $"No department has the code '{command.DepartmentCode}'."
                    : $"The department '{command.DepartmentCode}' is retired: it takes no new orders.")]);
            }
            return await OrderStore.ActAsync(db, command.OrderId, command.Context, async order =>
            {
                var category = await reference.CategoryOfAsync(db, order, cancellationToken);
                order.Reassign(command.DepartmentCode!, category.LimitsFor(order.Priority, calendar), command.Reason!.Trim(),
                    command.Context.Actor, clock.Now());
            }, cancellationToken);
        }
    }

    internal static void Map(RouteGroupBuilder orders) =>
        OrderEndpoints.MapAction<Body>(orders, OrderAction.Reassign, "Reassign an order to another department",
            "A supervisor (改派), from whistled, acknowledged or returned: the order is whistled afresh to departmentCode, with new " +
            "acknowledgeBy and resolveBy from the category's limits; the department that had it no longer sees it.",
            (id, body, context) => new Command(id, body?.DepartmentCode, body?.Reason, context));
}
