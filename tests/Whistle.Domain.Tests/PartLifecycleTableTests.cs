using Whistle.Domain.Orders;
using static Whistle.Domain.Orders.PartState;

namespace Whistle.Domain.Tests;

/// <summary>
/// Every part state against every part action, with the order running and not: the action succeeds
/// exactly where the table says, and is refused everywhere else without a trace.
/// </summary>
public class PartLifecycleTableTests
{
    private static readonly DateTimeOffset T0 = OrderFactory.T0;

    // The part's table written out independently of PartLifecycle; all of it needs the order running.
    private static readonly Dictionary<(PartState, PartAction), PartState> Table = new()
    {
        [(Summoned, PartAction.Report)] = Reported,
        [(Summoned, PartAction.Decline)] = Declined,
        [(Summoned, PartAction.Waive)] = Waived,
        [(Summoned, PartAction.Escalate)] = Summoned,
        [(Reported, PartAction.Complete)] = Done,
        [(Reported, PartAction.Decline)] = Declined,
        [(Reported, PartAction.Waive)] = Waived,
    };

    public static TheoryData<PartState, PartAction, bool> EveryPair()
    {
        var data = new TheoryData<PartState, PartAction, bool>();
        foreach (var state in Enum.GetValues<PartState>())
        {
            foreach (var action in Enum.GetValues<PartAction>())
            {
                data.Add(state, action, true);
                data.Add(state, action, false);
            }
        }
        return data;
    }

    /// <summary>An order whistled to sanitation with housing co-handling, housing's part walked to <paramref name="state"/>; then returned if the order is not to run.</summary>
    internal static Order WithPart(PartState state, bool orderRunning)
    {
        var order = OrderFactory.Filed();
        var limits = OrderFactory.Garbage.LimitsFor(Priority.Normal);
        order.Whistle("sanitation", limits, "community", T0.AddHours(1), ["housing"]);
        switch (state)
        {
            case Reported:
                order.ReportPart("housing", null, "housing", T0.AddHours(2));
                break;
            case Done:
                order.ReportPart("housing", null, "housing", T0.AddHours(2));
                order.CompletePart("housing", "Permit checked", "housing", T0.AddHours(3));
                break;
            case Declined:
                order.DeclinePart("housing", "Not a housing matter", "housing", T0.AddHours(2));
                break;
            case Waived:
                order.WaivePart("housing", "Housing is not needed", "supervisor", T0.AddHours(2));
                break;
        }
        if (!orderRunning)
        {
            order.Return("Not ours", "sanitation", T0.AddHours(4));
        }
        Assert.Equal(state, order.CoHandlerParts.Single().State);
        return order;
    }

    [Theory]
    [MemberData(nameof(EveryPair))]
    public void Part_action_succeeds_as_the_table_says_or_is_refused(PartState state, PartAction action, bool orderRunning)
    {
        var order = WithPart(state, orderRunning);
        var versionBefore = order.Version;
        var historyBefore = order.NewHistory.Count;
        var orderState = order.State;
        // Late enough for escalation: past housing's acknowledge deadline.
        var at = T0.AddDays(3);

        Action act = action switch
        {
            PartAction.Report => () => order.ReportPart("housing", "On site at 10", "housing", at),
            PartAction.Complete => () => order.CompletePart("housing", "Permit revoked", "housing", at),
            PartAction.Decline => () => order.DeclinePart("housing", "Not ours", "housing", at),
            PartAction.Waive => () => order.WaivePart("housing", "Not needed after all", "supervisor", at),
            PartAction.Escalate => () => order.EscalatePart("housing", "scheduler", at),
            _ => throw new ArgumentOutOfRangeException(nameof(action)),
        };

        if (orderRunning && Table.TryGetValue((state, action), out var expected))
        {
            act();
            var part = order.CoHandlerParts.Single();
            Assert.Equal(expected, part.State);
            Assert.Equal(orderState, order.State);
            Assert.Equal(versionBefore + 1, order.Version);
            var entry = order.NewHistory[^1];
            Assert.Equal(Order.HistoryActionOf(action), entry.Action);
            Assert.Equal(WireName.Of(state), entry.Details["fromPartState"]);
            Assert.Equal(WireName.Of(expected), entry.Details["toPartState"]);
            Assert.Equal("housing", entry.Details["departmentCode"]);
            Assert.Contains(part, order.ChangedParts);
        }
        else if (action == PartAction.Escalate && !(orderRunning && state == Summoned))
        {
            // The scheduler asks only of late parts; one that is not late is a programming error, not a refusal.
            Assert.Throws<InvalidOperationException>(act);
            Assert.Equal(versionBefore, order.Version);
        }
        else
        {
            var refused = Assert.Throws<PartActionNotPermittedException>(act);
            Assert.Equal(state, refused.State);
            Assert.Equal(state, order.CoHandlerParts.Single().State);
            Assert.Equal(versionBefore, order.Version);
            Assert.Equal(historyBefore, order.NewHistory.Count);
        }
    }

    [Theory]
    [InlineData(Summoned, true, new[] { "report", "decline", "waive" })]
    [InlineData(Reported, true, new[] { "complete", "decline", "waive" })]
    [InlineData(Done, true, new string[0])]
    [InlineData(Declined, true, new string[0])]
    [InlineData(Waived, true, new string[0])]
    [InlineData(Summoned, false, new string[0])]
    [InlineData(Reported, false, new string[0])]
    public void Allowed_part_actions_name_what_the_table_permits_to_clients(PartState state, bool orderRunning, string[] expected) =>
        Assert.Equal(expected, PartLifecycle.AllowedActions(state, orderRunning).Select(WireName.Of));

    [Fact]
    public void The_lead_resolves_only_once_every_co_handler_part_is_done_declined_or_waived()
    {
        var order = OrderFactory.Filed();
        var limits = OrderFactory.Garbage.LimitsFor(Priority.Normal);
        order.Whistle("urban-management", limits, "community", T0.AddHours(1), ["housing", "market-supervision"]);
        order.Acknowledge(null, "urban-management", T0.AddHours(2));

        Assert.DoesNotContain(OrderAction.Resolve, order.AllowedActions());
        Assert.Throws<ActionNotPermittedException>(() => order.Resolve("Demolished", "urban-management", T0.AddHours(3)));

        order.ReportPart("housing", null, "housing", T0.AddHours(3));
        order.CompletePart("housing", "Permit revoked", "housing", T0.AddHours(4));
        Assert.DoesNotContain(OrderAction.Resolve, order.AllowedActions());
        order.WaivePart("market-supervision", "No shop involved", "supervisor", T0.AddHours(5));

        Assert.Contains(OrderAction.Resolve, order.AllowedActions());
        order.Resolve("Demolished", "urban-management", T0.AddHours(6));
        Assert.Equal(
            [("urban-management", PartRole.Lead, Done), ("housing", PartRole.CoHandler, Done), ("market-supervision", PartRole.CoHandler, Waived)],
            order.Parts.Select(p => (p.DepartmentCode, p.Role, p.State)));
        Assert.Equal("supervisor", order.Parts[2].WaivedBy);
    }

    [Fact]
    public void A_single_department_order_has_exactly_one_part_the_lead_following_the_order()
    {
        var order = OrderFactory.InState(OrderState.Whistled);
        Assert.Equal(Summoned, Assert.Single(order.Parts).State);
        order.Acknowledge(null, "sanitation", T0.AddHours(5));
        var lead = Assert.Single(order.Parts);
        Assert.Equal((PartRole.Lead, Reported, "sanitation"), (lead.Role, lead.State, lead.DepartmentCode));
        Assert.Empty(order.ChangedParts);
    }

    [Fact]
    public void An_unsatisfied_evaluation_reopens_to_the_lead_and_the_co_handler_parts_stay_settled()
    {
        var order = WithPart(Done, orderRunning: true);
        var limits = OrderFactory.Garbage.LimitsFor(Priority.Normal);
        order.Acknowledge(null, "sanitation", T0.AddHours(5));
        order.Resolve("Done", "sanitation", T0.AddHours(6));
        order.Evaluate(Rating.Unsatisfied, "Still there", limits, "community", T0.AddHours(7));

        Assert.Equal(OrderState.Acknowledged, order.State);
        Assert.Equal([Reported, Done], order.Parts.Select(p => p.State));
        Assert.Contains(OrderAction.Resolve, order.AllowedActions());
    }

    [Fact]
    public void Departments_cannot_lead_and_co_handle_at_once_and_the_lead_has_no_part_of_its_own_to_act_on()
    {
        var order = OrderFactory.Filed();
        var limits = OrderFactory.Garbage.LimitsFor(Priority.Normal);
        Assert.Equal("coDepartmentCodes", Assert.Throws<OrderRuleException>(
            () => order.Whistle("sanitation", limits, "community", T0, ["sanitation"])).Field);
        order.Whistle("sanitation", limits, "community", T0, ["housing"]);
        Assert.Throws<OrderRuleException>(() => order.Summon("housing", limits, "community", T0));
        Assert.Throws<OrderRuleException>(() => order.Reassign("housing", limits, "Housing leads", "supervisor", T0));
        Assert.Throws<PartNotFoundException>(() => order.ReportPart("sanitation", null, "sanitation", T0));
        Assert.Throws<PartNotFoundException>(() => order.ReportPart("water", null, "water", T0));
    }

    [Fact]
    public void A_return_refused_twice_escalates_and_goes_back_as_it_was_with_its_deadlines()
    {
        var order = OrderFactory.InState(OrderState.Whistled);
        var deadlines = (order.AcknowledgeBy, order.ResolveBy);
        order.Return("Not ours", "sanitation", T0.AddHours(3), ReturnReasonCode.OutsideDistrict, "Rule 4", reviewed: true);
        Assert.Equal((OrderState.ReturnUnderReview, "sanitation"), (order.State, order.DepartmentCode));
        order.RefuseReturn("Inside the district", "supervisor", T0.AddHours(4));
        Assert.Equal((OrderState.Whistled, EscalationLevel.None), (order.State, order.EscalationLevel));
        Assert.Equal(deadlines, (order.AcknowledgeBy, order.ResolveBy));

        order.Return("Still not ours", "sanitation", T0.AddHours(5), ReturnReasonCode.OutsideDistrict, "Rule 4", reviewed: true);
        order.RefuseReturn("It is yours", "supervisor", T0.AddHours(6));
        Assert.Equal((OrderState.Whistled, EscalationLevel.Street, 2, 2), (order.State, order.EscalationLevel, order.ReturnRefusalCount, order.ReturnCount));
        Assert.Equal(["refuse-return", "escalate"], order.NewHistory.TakeLast(2).Select(e => e.Action));

        order.Return("Not ours, truly", "sanitation", T0.AddHours(7), ReturnReasonCode.NotOurDuty, "Item 9", reviewed: true);
        order.ApproveReturn("Agreed", "supervisor", T0.AddHours(8));
        Assert.Equal((OrderState.Returned, (string?)null, "sanitation"), (order.State, order.DepartmentCode, order.ReturnedByDepartmentCode));
        Assert.Null(order.AcknowledgeBy);
    }
}
