using Whistle.Domain.Orders;
using Whistle.Domain.Reference;

namespace Whistle.Domain.Tests;

/// <summary>Builds orders in any state by walking them there through real actions.</summary>
internal static class OrderFactory
{
    public static readonly DateTimeOffset T0 = new(2026, 3, 2, 9, 0, 0, TimeSpan.FromHours(8));

    public static readonly Category Garbage = new()
    {
        Code = "garbage",
        Name = "垃圾清运",
        DepartmentCode = "sanitation",
        AcknowledgeWithinHours = 4,
        ResolveWithinHours = 24,
        UrgentAcknowledgeWithinHours = 1,
        UrgentResolveWithinHours = 6,
    };

    public static readonly Community Community = new() { Code = "ST01-C01", Name = "第一社区", StreetCode = "ST01" };
    public static readonly Grid Grid = new() { Code = "ST01-C01-G01", Name = "第一网格", CommunityCode = "ST01-C01" };

    public static Order Filed(Priority priority = Priority.Normal) => Order.File(
        Guid.NewGuid(), "Overflowing bins", "Bins at gate 3 have not been emptied for three days.",
        Garbage, Grid, Community, new Location(40.8, 111.7, "Gate 3"), priority, "grid-worker-1", T0);

    public static Order InState(OrderState state)
    {
        var order = Filed();
        var limits = Garbage.LimitsFor(Priority.Normal);
        var at = T0;
        DateTimeOffset Next() => at = at.AddHours(1);
        switch (state)
        {
            case OrderState.Discovered:
                break;
            case OrderState.Whistled:
                order.Whistle("sanitation", limits, "community", Next());
                break;
            case OrderState.Acknowledged:
                order.Whistle("sanitation", limits, "community", Next());
                order.Acknowledge(null, "sanitation", Next());
                break;
            case OrderState.Returned:
                order.Whistle("sanitation", limits, "community", Next());
                order.Return("Not ours", "sanitation", Next());
                break;
            case OrderState.Resolved:
                order.Whistle("sanitation", limits, "community", Next());
                order.Acknowledge(null, "sanitation", Next());
                order.Resolve("Emptied", "sanitation", Next());
                break;
            case OrderState.Closed:
                order.Whistle("sanitation", limits, "community", Next());
                order.Acknowledge(null, "sanitation", Next());
                order.Resolve("Emptied", "sanitation", Next());
                order.Evaluate(Rating.Satisfied, null, limits, "community", Next());
                break;
            case OrderState.HandledLocally:
                order.HandleLocally("Fixed by the grid team", "community", Next());
                break;
            case OrderState.ReturnUnderReview:
                order.Whistle("sanitation", limits, "community", Next());
                order.Acknowledge(null, "sanitation", Next());
                order.Return("Not ours", "sanitation", Next(), ReturnReasonCode.NotOurDuty, "Catalogue item 12", reviewed: true);
                break;
            case OrderState.Cancelled:
                order.Cancel(CancelReason.Duplicate, null, "community", Next());
                break;
            case OrderState.Merged:
                order.MergeInto(Filed(), "community", Next());
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(state));
        }
        Assert.Equal(state, order.State);
        return order;
    }
}
