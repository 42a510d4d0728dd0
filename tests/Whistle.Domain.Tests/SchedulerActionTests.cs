using Whistle.Domain.Orders;

namespace Whistle.Domain.Tests;

/// <summary>The actions only the deadline scheduler takes.</summary>
public class SchedulerActionTests
{
    private static readonly TimeSpan Week = TimeSpan.FromDays(7);

    [Theory]
    [InlineData(OrderState.Discovered)]
    [InlineData(OrderState.Whistled)]
    [InlineData(OrderState.Acknowledged)]
    [InlineData(OrderState.Returned)]
    [InlineData(OrderState.Closed)]
    [InlineData(OrderState.HandledLocally)]
    [InlineData(OrderState.Cancelled)]
    public void Only_a_resolved_order_closes_unevaluated(OrderState state)
    {
        var order = OrderFactory.InState(state);
        var version = order.Version;

        Assert.Throws<ActionNotPermittedException>(() => order.CloseUnevaluated(Week, "scheduler", OrderFactory.T0.AddYears(1)));
        Assert.Equal((state, version), (order.State, order.Version));
    }

    [Fact]
    public void A_resolved_order_closes_unevaluated_only_once_the_period_has_passed_with_no_rating()
    {
        var order = OrderFactory.InState(OrderState.Resolved);
        var resolvedAt = order.ResolvedAt!.Value;

        Assert.Throws<InvalidOperationException>(() => order.CloseUnevaluated(Week, "scheduler", resolvedAt + Week - TimeSpan.FromTicks(10)));
        Assert.Equal(OrderState.Resolved, order.State);

        order.CloseUnevaluated(Week, "scheduler", resolvedAt + Week);
        Assert.Equal((OrderState.Closed, null, resolvedAt + Week), (order.State, order.Rating, order.ClosedAt));
        Assert.Equal(("close-unevaluated", "scheduler"), (order.NewHistory[^1].Action, order.NewHistory[^1].Actor));
        Assert.Empty(order.AllowedActions());
    }

    [Fact]
    public void The_scheduler_escalates_to_the_street_once_overdue_then_to_the_district_a_day_later_and_stops()
    {
        var order = OrderFactory.InState(OrderState.Whistled);
        var acknowledgeBy = order.AcknowledgeBy!.Value;
        var day = TimeSpan.FromDays(1);

        Assert.False(order.DueEscalationAt(acknowledgeBy, day));
        var late = acknowledgeBy.AddTicks(10);
        Assert.Equal(new MissedDeadline("acknowledge", acknowledgeBy), order.MissedDeadlineAt(late));
        Assert.True(order.DueEscalationAt(late, day));
        order.EscalateOverdue("scheduler", late);
        Assert.Equal(EscalationLevel.Street, order.EscalationLevel);
        Assert.False(order.DueEscalationAt(late + day - TimeSpan.FromTicks(10), day));
        Assert.True(order.DueEscalationAt(late + day, day));
        order.EscalateOverdue("scheduler", late + day);
        Assert.Equal(EscalationLevel.District, order.EscalationLevel);
        Assert.False(order.DueEscalationAt(late + 10 * day, day));
    }
}
