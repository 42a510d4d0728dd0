using Whistle.Domain.Orders;

namespace Whistle.Domain.Tests;

public class OrderRulesTests
{
    private static readonly DeadlineLimits Normal = OrderFactory.Garbage.LimitsFor(Priority.Normal);

    [Fact]
    public void Filing_records_the_first_history_entry_and_version_one()
    {
        var order = OrderFactory.Filed();

        Assert.Equal(OrderState.Discovered, order.State);
        Assert.Equal(1, order.Version);
        Assert.Equal("ST01", order.StreetCode);
        Assert.Equal("ST01-C01", order.CommunityCode);
        var entry = Assert.Single(order.NewHistory);
        Assert.Equal("file", entry.Action);
        Assert.Null(entry.FromState);
        Assert.Equal(OrderState.Discovered, entry.ToState);
        Assert.Equal("grid-worker-1", entry.Actor);
        Assert.Equal("garbage", entry.Details["categoryCode"]);
    }

    [Fact]
    public void Whistling_stamps_deadlines_from_the_category_limits()
    {
        var order = OrderFactory.Filed();
        var at = OrderFactory.T0.AddMinutes(30);

        order.Whistle("sanitation", Normal, "community", at);

        Assert.Equal("sanitation", order.DepartmentCode);
        Assert.Equal(at.AddHours(4), order.AcknowledgeBy);
        Assert.Equal(at.AddHours(24), order.ResolveBy);
        Assert.Equal(at, order.FirstWhistledAt);
        Assert.Equal(1, order.WhistleCount);
    }

    [Fact]
    public void Urgent_orders_get_the_urgent_limits()
    {
        var order = OrderFactory.Filed(Priority.Urgent);
        var at = OrderFactory.T0;

        order.Whistle("sanitation", OrderFactory.Garbage.LimitsFor(order.Priority), "community", at);

        Assert.Equal(at.AddHours(1), order.AcknowledgeBy);
        Assert.Equal(at.AddHours(6), order.ResolveBy);
    }

    [Fact]
    public void A_return_clears_the_department_and_deadlines_and_a_rewhistle_restarts_them_keeping_the_first_whistle()
    {
        var order = OrderFactory.Filed();
        var first = OrderFactory.T0.AddHours(1);
        order.Whistle("sanitation", Normal, "community", first);
        order.Return("Belongs to urban management", "sanitation", first.AddHours(2));

        Assert.Equal(OrderState.Returned, order.State);
        Assert.Null(order.DepartmentCode);
        Assert.Null(order.AcknowledgeBy);
        Assert.Equal(1, order.ReturnCount);
        Assert.Equal("Belongs to urban management", order.ReturnReason);
        Assert.Equal("sanitation", order.NewHistory[^1].Details["departmentCode"]);
        Assert.Equal("sanitation", order.ReturnedByDepartmentCode);

        var second = first.AddHours(5);
        order.Whistle("urban-management", Normal, "community", second);

        Assert.Equal("urban-management", order.DepartmentCode);
        Assert.Equal(first, order.FirstWhistledAt);
        Assert.Equal(second, order.WhistledAt);
        Assert.Equal(second.AddHours(4), order.AcknowledgeBy);
        Assert.Equal(2, order.WhistleCount);
    }

    [Fact]
    public void Unsatisfied_evaluation_reopens_with_a_fresh_resolve_deadline()
    {
        var order = OrderFactory.InState(OrderState.Resolved);
        var at = OrderFactory.T0.AddDays(2);

        order.Evaluate(Rating.Unsatisfied, "Still overflowing", Normal, "community", at);

        Assert.Equal(OrderState.Acknowledged, order.State);
        Assert.Equal(1, order.ReopenCount);
        Assert.Equal(at.AddHours(24), order.ResolveBy);
        Assert.Null(order.ClosedAt);
        Assert.Null(order.ResolvedAt);
        Assert.Null(order.Result);
        Assert.Equal(Rating.Unsatisfied, order.Rating);
        Assert.Equal([OrderAction.Return, OrderAction.Resolve, OrderAction.Escalate, OrderAction.RequestExtension, OrderAction.Reassign, OrderAction.Summon, OrderAction.Merge], order.AllowedActions());
    }

    [Fact]
    public void Satisfied_evaluation_closes()
    {
        var order = OrderFactory.InState(OrderState.Resolved);
        var at = OrderFactory.T0.AddDays(2);

        order.Evaluate(Rating.BasicallySatisfied, null, Normal, "community", at);

        Assert.Equal(OrderState.Closed, order.State);
        Assert.Equal(at, order.ClosedAt);
        Assert.Equal(0, order.ReopenCount);
        Assert.Empty(order.AllowedActions());
    }

    [Fact]
    public void A_stale_version_is_refused_and_the_current_one_accepted()
    {
        var order = OrderFactory.InState(OrderState.Whistled);

        var stale = Assert.Throws<StaleOrderVersionException>(() => order.EnsureVersion([1]));
        Assert.Equal(2, stale.CurrentVersion);
        order.EnsureVersion([2]);
        order.EnsureVersion([1, 2]);
        order.EnsureVersion(null);
    }

    [Fact]
    public void Refusal_names_the_state_and_what_is_allowed()
    {
        var order = OrderFactory.InState(OrderState.Whistled);

        var refused = Assert.Throws<ActionNotPermittedException>(() => order.Resolve("Done", "x", OrderFactory.T0));

        Assert.Equal(OrderAction.Resolve, refused.Action);
        Assert.Equal([OrderAction.Acknowledge, OrderAction.Return, OrderAction.Cancel, OrderAction.Escalate, OrderAction.Reassign, OrderAction.Summon, OrderAction.Merge], refused.AllowedActions);
        Assert.Contains("whistled", refused.Message);
    }

    [Theory]
    [InlineData("WS-0000042", 42L)]
    [InlineData("ws-0000042", 42L)]
    [InlineData("WS-12345678", 12345678L)]
    public void Order_codes_round_trip(string code, long number)
    {
        Assert.True(OrderCode.TryParse(code, out var parsed));
        Assert.Equal(number, parsed);
        Assert.Equal(code.ToUpperInvariant(), OrderCode.Format(number));
    }

    [Theory]
    [InlineData("42")]
    [InlineData("WS-")]
    [InlineData("WS--1")]
    [InlineData("WS-0")]
    [InlineData(null)]
    public void Malformed_order_codes_are_rejected(string? code) => Assert.False(OrderCode.TryParse(code, out _));

    [Fact]
    public void Wire_names_are_kebab_case_and_round_trip()
    {
        Assert.Equal("handled-locally", WireName.Of(OrderState.HandledLocally));
        Assert.Equal("basically-satisfied", WireName.Of(Rating.BasicallySatisfied));
        Assert.True(WireName.TryParse<OrderAction>("handle-locally", out var action));
        Assert.Equal(OrderAction.HandleLocally, action);
        Assert.False(WireName.TryParse<OrderAction>("HandleLocally", out _));
    }
    [Fact]
    public void Escalation_goes_street_then_district_and_stays_at_the_district()
    {
        var order = OrderFactory.InState(OrderState.Acknowledged);
        var at = OrderFactory.T0.AddDays(3);

        order.Escalate("Past the resolve deadline", "supervisor-st01", at);
        Assert.Equal((EscalationLevel.Street, 1, OrderState.Acknowledged), (order.EscalationLevel, order.EscalationCount, order.State));
        order.Escalate("Still nothing", "supervisor-district", at.AddDays(1));
        order.Escalate("Again", "supervisor-district", at.AddDays(2));

        Assert.Equal((EscalationLevel.District, 3), (order.EscalationLevel, order.EscalationCount));
        Assert.Equal(at.AddDays(2), order.LastEscalatedAt);
        var entry = order.NewHistory[^1];
        Assert.Equal(("escalate", "district", "Again"), (entry.Action, entry.Details["level"], entry.Details["reason"]));
    }

    [Fact]
    public void The_first_acknowledgement_and_the_deadline_it_answered_survive_a_return_and_a_re_whistle()
    {
        var order = OrderFactory.Filed();
        var t = OrderFactory.T0;
        order.Whistle("sanitation", Normal, "community", t);
        order.Acknowledge(null, "sanitation", t.AddHours(1));
        order.Return("Not ours", "sanitation", t.AddHours(2));
        order.Whistle("housing", Normal, "community", t.AddHours(3));
        order.Acknowledge(null, "housing", t.AddHours(4));

        Assert.Equal(t.AddHours(1), order.FirstAcknowledgedAt);
        Assert.Equal(t + Normal.AcknowledgeWithin, order.FirstAcknowledgeBy);
        Assert.Equal(t.AddHours(4), order.AcknowledgedAt);
    }

    [Fact]
    public void Reassignment_whistles_the_order_afresh_to_the_new_department_and_drops_a_pending_extension()
    {
        var order = OrderFactory.Filed();
        var t = OrderFactory.T0;
        order.Whistle("sanitation", Normal, "community", t);
        order.Acknowledge(null, "sanitation", t.AddHours(1));
        order.RequestExtension(t.AddDays(30), "Waiting for parts", "sanitation", t.AddHours(2));

        order.Reassign("housing", Normal, "The courtyard belongs to the housing bureau", "supervisor-st01", t.AddDays(1));

        Assert.Equal((OrderState.Whistled, "housing", 2), (order.State, order.DepartmentCode, order.WhistleCount));
        Assert.Equal((t.AddDays(1), (DateTimeOffset?)null), (order.WhistledAt, order.AcknowledgedAt));
        Assert.Equal(t.AddDays(1) + Normal.AcknowledgeWithin, order.AcknowledgeBy);
        Assert.Equal(t, order.FirstWhistledAt);
        Assert.False(order.ExtensionPending);
        var entry = order.NewHistory[^1];
        Assert.Equal(("reassign", "housing", "sanitation"), (entry.Action, entry.Details["departmentCode"], entry.Details["previousDepartmentCode"]));
        var rule = Assert.Throws<OrderRuleException>(() => order.Reassign("housing", Normal, "again", "supervisor-st01", t.AddDays(2)));
        Assert.Equal("departmentCode", rule.Field);
    }

    [Fact]
    public void An_extension_ending_no_later_than_the_current_deadline_breaks_a_rule_of_the_resolveBy_field()
    {
        var order = OrderFactory.Filed();
        var t = OrderFactory.T0;
        order.Whistle("sanitation", Normal, "community", t);
        order.Acknowledge(null, "sanitation", t.AddHours(1));

        var rule = Assert.Throws<OrderRuleException>(() => order.RequestExtension(order.ResolveBy!.Value, "Busy", "sanitation", t.AddHours(2)));

        Assert.Equal("resolveBy", rule.Field);
        Assert.False(order.ExtensionPending);
        Assert.Equal(3, order.Version);
    }

    [Fact]
    public void An_order_is_open_until_it_finishes_closed_handled_locally_cancelled_or_merged()
    {
        var finished = new[] { OrderState.Closed, OrderState.HandledLocally, OrderState.Cancelled, OrderState.Merged };
        foreach (var state in Enum.GetValues<OrderState>())
        {
            Assert.Equal(!finished.Contains(state), OrderFactory.InState(state).IsOpen);
        }
        Assert.Equal(Enum.GetValues<OrderState>().Except(finished), Order.OpenStates);
    }
}
