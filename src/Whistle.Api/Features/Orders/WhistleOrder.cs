using FluentValidation.Results;

namespace Whistle.Api.Features.Orders;

/// <summary>The community blows the whistle: the order goes to a department and its deadlines start (吹哨上报).</summary>
public static class WhistleOrder
{
    /// <param name="DepartmentCode">The department to whistle, the lead (主办); without it the category's duty catalogue entry decides.</param>
    /// <param name="CoDepartmentCodes">Departments summoned to co-handle (协办), each with its own part and acknowledge deadline; none by default.</param>
    public sealed record Body(string? DepartmentCode = null, IReadOnlyList<string>? CoDepartmentCodes = null);

    public sealed record Command(string OrderId, string? DepartmentCode, OrderActionContext Context, IReadOnlyList<string>? CoDepartmentCodes = null) : ICommand<OrderResponse>;

    public sealed class Validator : AbstractValidator<Command>
    {
        public Validator()
        {
            RuleFor(c => c.DepartmentCode).MaximumLength(50).OverridePropertyName("departmentCode");
            RuleFor(c => c.CoDepartmentCodes)
                .Must(codes => codes is null || codes.Count <= Reference.ReferenceRules.MaxCoDepartments)
                .WithMessage($"At most {Reference.ReferenceRules.MaxCoDepartments} co-handling departments.")
                .Must(codes => codes is null || codes.Distinct().Count() == codes.Count).WithMessage("Each co-handling department once.")
                .OverridePropertyName("coDepartmentCodes");
            RuleForEach(c => c.CoDepartmentCodes).NotEmpty().MaximumLength(50).OverridePropertyName("coDepartmentCodes");
        }
    }

    public sealed class Handler(WhistleDbContext db, ReferenceCache reference, WorkingCalendar calendar, TimeProvider clock) : ICommandHandler<Command, OrderResponse>
    {
        public async ValueTask<OrderResponse> Handle(Command command, CancellationToken cancellationToken)
        {
            // Checked before the order is locked: an unknown code may reload the reference data.
            if (command.DepartmentCode is not null)
            {
                var department = await reference.DepartmentAsync(db, command.DepartmentCode, cancellationToken);
                if (department?.RetiredAt is not null || department is null)
                {
                    throw new ValidationException([new ValidationFailure("departmentCode", department is null
                        ? $"No department has the code '{command.DepartmentCode}'."
                        : $"The department '{command.DepartmentCode}' is retired: it takes no new whistles.")]);
                }
            }
            foreach (var code in command.CoDepartmentCodes ?? [])
            {
                var department = await reference.DepartmentAsync(db, code, cancellationToken);
                if (department?.RetiredAt is not null || department is null)
                {
                    throw new ValidationException([new ValidationFailure("coDepartmentCodes", department is null
                        ? $"No department has the code '{code}'."
                        : $"The department '{code}' is retired: it takes no new whistles.")]);
                }
            }
            return await OrderStore.ActAsync(db, command.OrderId, command.Context, async order =>
            {
                var category = await reference.CategoryOfAsync(db, order, cancellationToken);
                // Without a department named, the duty catalogue's most specific entry for the order's place decides.
                var route = command.DepartmentCode is null ? await reference.RouteAsync(db, category, order, cancellationToken) : null;
                if (route is not null && order.ReturnedByDepartmentCode == route.DepartmentCode)
                {
                    // The catalogue would send it straight back to the department that just returned it.
                    throw new ValidationException([new ValidationFailure("departmentCode",
                        $"The duty catalogue routes this order to '{route.DepartmentCode}', which returned it; name the department to whistle it to.")]);
                }
                // Co-handlers named in the whistle, else those of the catalogue entry that chose the lead.
                order.Whistle(command.DepartmentCode ?? route!.DepartmentCode, category.LimitsFor(order.Priority, calendar),
                    command.Context.Actor, clock.Now(), command.CoDepartmentCodes ?? route?.CoDepartmentCodes, route?.RoutedBy);
            }, cancellationToken);
        }
    }

    internal static void Map(RouteGroupBuilder orders) =>
        OrderEndpoints.MapAction<Body>(orders, OrderAction.Whistle, "Whistle an order to a department",
            "From discovered or returned. Routes to departmentCode, or by the category's duty catalogue entry when it is left out " +
            "(a returned order must name its department when the catalogue would send it back to the one that returned it), " +
            "and stamps acknowledgeBy and resolveBy from the category's limits for the order's priority. coDepartmentCodes summons " +
            "co-handling departments (协办), each with its own part and acknowledge deadline; a re-whistle keeps the parts already there.",
            (id, body, context) => new Command(id, body?.DepartmentCode, context, body?.CoDepartmentCodes));
}
