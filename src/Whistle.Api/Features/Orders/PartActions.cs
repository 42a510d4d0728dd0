using Microsoft.AspNetCore.Mvc;

namespace Whistle.Api.Features.Orders;

/// <summary>
/// 部门报到: a co-handling department acts on its own part of a joint order: reports for duty,
/// reports its share done, or declines it; a supervisor may waive a part. Each is a change of the
/// order (a new version, a history entry, an event), under its lock and If-Match like any action.
/// </summary>
public static class PartActions
{
    /// <param name="Note">Report: optional, who comes and when (up to 2,000 characters).</param>
    /// <param name="Result">Complete: required, the part's result (up to 4,000 characters).</param>
    /// <param name="Reason">Decline and waive: required, why (up to 2,000 characters).</param>
    public sealed record Body(string? Note = null, string? Result = null, string? Reason = null);

    public sealed record Command(
        string OrderId, string DepartmentCode, PartAction Action, string? Note, string? Result, string? Reason, OrderActionContext Context) : ICommand<OrderResponse>;

    public sealed class Validator : AbstractValidator<Command>
    {
        public Validator()
        {
            RuleFor(c => c.DepartmentCode).MaximumLength(50).OverridePropertyName("departmentCode");
            RuleFor(c => c.Note).MaximumLength(2000).OverridePropertyName("note");
            RuleFor(c => c.Result).MaximumLength(4000).OverridePropertyName("result");
            RuleFor(c => c.Result).NotEmpty().When(c => c.Action == PartAction.Complete).OverridePropertyName("result");
            RuleFor(c => c.Reason).MaximumLength(2000).OverridePropertyName("reason");
            RuleFor(c => c.Reason).NotEmpty().When(c => c.Action is PartAction.Decline or PartAction.Waive).OverridePropertyName("reason");
        }
    }

    public sealed class Handler(WhistleDbContext db, TimeProvider clock) : ICommandHandler<Command, OrderResponse>
    {
        public async ValueTask<OrderResponse> Handle(Command command, CancellationToken cancellationToken)
        {
            var actor = command.Context.Actor;
            var now = clock.Now();
            return await OrderStore.ActAsync(db, command.OrderId, command.Context, order =>
            {
                // Scope and role are checked by now (404, 403); then whose part it is: a department acts on its own only.
                AccessPolicy.EnsureOwnPart(command.Context.Caller, command.DepartmentCode);
                switch (command.Action)
                {
                    case PartAction.Report:
                        order.ReportPart(command.DepartmentCode, command.Note?.Trim(), actor, now);
                        break;
                    case PartAction.Complete:
                        order.CompletePart(command.DepartmentCode, command.Result!.Trim(), actor, now);
                        break;
                    case PartAction.Decline:
                        order.DeclinePart(command.DepartmentCode, command.Reason!.Trim(), actor, now);
                        break;
                    case PartAction.Waive:
                        order.WaivePart(command.DepartmentCode, command.Reason!.Trim(), actor, now);
                        break;
                }
            }, cancellationToken);
        }
    }

    internal static void Map(RouteGroupBuilder orders)
    {
        MapPartAction(orders, PartAction.Report, "Report for duty on a part (报到)",
            "The co-handling department, from summoned: its acknowledgement, counted against its part's acknowledgeBy. Body: note (optional). " +
            "Raises order.part-reported.");
        MapPartAction(orders, PartAction.Complete, "Report a part done",
            "The co-handling department, from reported: its share is done, with result (required). Raises order.part-done.");
        MapPartAction(orders, PartAction.Decline, "Decline a part",
            "The co-handling department, from summoned or reported, with reason (required): the lead goes on without it. Raises order.part-declined.");
        MapPartAction(orders, PartAction.Waive, "Waive a part",
            "A supervisor, from summoned or reported, with reason (required): the department is released from its part; who waived it is " +
            "recorded. Raises order.part-waived.");
    }

    private static void MapPartAction(RouteGroupBuilder orders, PartAction action, string summary, string description)
    {
        var operation = AccessPolicy.OperationOf(action);
        orders.MapPost($"/{{id}}/parts/{{departmentCode}}/{WireName.Of(action)}", async Task<Ok<OrderResponse>> (
                [Description("The order's id or its code (WS-0000042).")] string id,
                [Description("The department whose part it is (a co-handler; the lead's part moves with the order's own actions).")] string departmentCode,
                [FromBody] Body? body,
                [FromHeader(Name = "If-Match"), Description("The order's ETag as last read; a stale one is refused with 412.")] string? ifMatch,
                IMediator mediator, HttpContext http, CancellationToken cancellationToken) =>
            {
                var context = new OrderActionContext(ETags.ParseIfMatch(ifMatch), http.GetCaller(), operation);
                var order = await mediator.Send(new Command(id, departmentCode, action, body?.Note, body?.Result, body?.Reason, context), cancellationToken);
                return OrderEndpoints.Ok(http, order);
            })
            .WithName(action + "Part")
            .WithSummary(summary)
            .WithDescription(description + " A department acts on its own part only (403 on another's); a part action the part's " +
                "state does not permit, or taken while the order is not whistled or acknowledged, is 409.")
            .ProducesOrderActionResponses();
    }
}
