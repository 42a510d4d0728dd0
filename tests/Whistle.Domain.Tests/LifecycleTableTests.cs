using Whistle.Domain.Orders;
using static Whistle.Domain.Orders.OrderState;

namespace Whistle.Domain.Tests;

/// <summary>
/// Every state against every action: the action succeeds exactly where the lifecycle
/// table says, lands in the state it names, and is refused everywhere else without a trace.
/// </summary>
public class LifecycleTableTests
{
    // The lifecycle table written out independently of the Stateless definition.
    // Key: (from, action as performed); value: the state it leads to.
    private static readonly Dictionary<(OrderState, string), OrderState> Table = new()
    {
        [(Discovered, "whistle")] = Whistled,
        [(Returned, "whistle")] = Whistled,
        [(Discovered, "handle-locally")] = HandledLocally,
        [(Whistled, "acknowledge")] = Acknowledged,
        [(Whistled, "return")] = Returned,
        [(Acknowledged, "return")] = Returned,
        [(Acknowledged, "resolve")] = Resolved,
        [(Resolved, "evaluate:satisfied")] = Closed,
        [(Resolved, "evaluate:basically-satisfied")] = Closed,
        [(Resolved, "evaluate:unsatisfied")] = Acknowledged,
        [(Discovered, "cancel")] = Cancelled,
        [(Whistled, "cancel")] = Cancelled,
        [(Returned, "cancel")] = Cancelled,
        [(Whistled, "escalate")] = Whistled,
        [(Acknowledged, "escalate")] = Acknowledged,
        [(Whistled, "reassign")] = Whistled,
        [(Acknowledged, "reassign")] = Whistled,
        [(Returned, "reassign")] = Whistled,
        // In the states OrderFactory builds no extension request is pending, so only a request is permitted.
        [(Acknowledged, "request-extension")] = Acknowledged,
        [(Resolved, "close-unevaluated")] = Closed,
        [(Whistled, "summon")] = Whistled,
        [(Acknowledged, "summon")] = Acknowledged,
        // Where returns are reviewed, a return waits for the supervisor; OrderFactory's order under review had been acknowledged.
        [(Whistled, "return:reviewed")] = ReturnUnderReview,
        [(Acknowledged, "return:reviewed")] = ReturnUnderReview,
        [(ReturnUnderReview, "approve-return")] = Returned,
        [(ReturnUnderReview, "refuse-return")] = Acknowledged,
        [(ReturnUnderReview, "reassign")] = Whistled,
        // 并单: a repeat report merged into the order tracking the problem, from any state a department can still act in.
        [(Discovered, "merge")] = Merged,
        [(Whistled, "merge")] = Merged,
        [(Acknowledged, "merge")] = Merged,
        [(Returned, "merge")] = Merged,
    };

    // Every action of the lifecycle, evaluate once per rating: a new action joins the table's test by itself.
    private static readonly string[] Performed = Enum.GetValues<OrderAction>()
        .SelectMany(action => action == OrderAction.Evaluate
            ? Enum.GetValues<Rating>().Select(rating => $"evaluate:{WireName.Of(rating)}")
            : action == OrderAction.Return ? ["return", "return:reviewed"]
            : [WireName.Of(action)])
        .ToArray();

    public static TheoryData<OrderState, string> EveryPair()
    {
        var data = new TheoryData<OrderState, string>();
        foreach (var state in Enum.GetValues<OrderState>())
        {
            foreach (var action in Performed)
            {
                data.Add(state, action);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryPair))]
    public void Action_succeeds_as_the_table_says_or_is_refused(OrderState state, string action)
    {
        var order = OrderFactory.InState(state);
        var versionBefore = order.Version;
        var historyBefore = order.NewHistory.Count;

        var act = () => Perform(order, action);

        if (Table.TryGetValue((state, action), out var expected))
        {
            act();
            Assert.Equal(expected, order.State);
            Assert.Equal(versionBefore + 1, order.Version);
            var entry = order.NewHistory[^1];
            Assert.Equal(state, entry.FromState);
            Assert.Equal(expected, entry.ToState);
            Assert.Equal(action.Split(':')[0], entry.Action);
            Assert.Equal(order.Version, entry.Version);
        }
        else
        {
            var refused = Assert.Throws<ActionNotPermittedException>(act);
            Assert.Equal(state, refused.State);
            Assert.Equal(state, order.State);
            Assert.Equal(versionBefore, order.Version);
            Assert.Equal(historyBefore, order.NewHistory.Count);
        }
    }

    [Theory]
    [InlineData(Discovered, new[] { "whistle", "handle-locally", "cancel", "merge" })]
    [InlineData(Whistled, new[] { "acknowledge", "return", "cancel", "escalate", "reassign", "summon", "merge" })]
    [InlineData(Acknowledged, new[] { "return", "resolve", "escalate", "request-extension", "reassign", "summon", "merge" })]
    [InlineData(Returned, new[] { "whistle", "cancel", "reassign", "merge" })]
    [InlineData(Resolved, new[] { "evaluate" })]
    [InlineData(Closed, new string[0])]
    [InlineData(HandledLocally, new string[0])]
    [InlineData(Cancelled, new string[0])]
    [InlineData(ReturnUnderReview, new[] { "reassign", "approve-return", "refuse-return" })]
    [InlineData(Merged, new string[0])]
    public void Allowed_actions_name_exactly_what_the_table_permits(OrderState state, string[] expected)
    {
        var order = OrderFactory.InState(state);
        Assert.Equal(expected, order.AllowedActions().Select(WireName.Of));
        Assert.Equal(expected, Lifecycle.AllowedActions(state).Select(WireName.Of));
    }

    private static void Perform(Order order, string action)
    {
        var at = OrderFactory.T0.AddDays(1);
        var limits = OrderFactory.Garbage.LimitsFor(Priority.Normal);
        switch (action)
        {
            case "whistle":
                order.Whistle("sanitation", limits, "community", at);
                break;
            case "handle-locally":
                order.HandleLocally("Fixed", "community", at);
                break;
            case "acknowledge":
                order.Acknowledge("On it", "sanitation", at);
                break;
            case "return":
                order.Return("Not ours", "sanitation", at);
                break;
            case "return:reviewed":
                order.Return("Not ours", "sanitation", at, ReturnReasonCode.NotOurDuty, "Catalogue item 12: housing", reviewed: true);
                break;
            case "summon":
                order.Summon("housing", limits, "community", at);
                break;
            case "approve-return":
                order.ApproveReturn(null, "supervisor", at);
                break;
            case "refuse-return":
                order.RefuseReturn("It is yours: catalogue item 3", "supervisor", at);
                break;
            case "resolve":
                order.Resolve("Done", "sanitation", at);
                break;
            case "cancel":
                order.Cancel(CancelReason.Withdrawn, null, "community", at);
                break;
            case "escalate":
                order.Escalate("Two days past the deadline", "supervisor", at);
                break;
            case "merge":
                order.MergeInto(OrderFactory.Filed(), "community", at);
                break;
            case "reassign":
                order.Reassign("housing", limits, "The building belongs to the housing bureau", "supervisor", at);
                break;
            case "request-extension":
                order.RequestExtension(at.AddDays(30), "Waiting for parts", "sanitation", at);
                break;
            case "approve-extension":
                order.ApproveExtension(null, "supervisor", at);
                break;
            case "refuse-extension":
                order.RefuseExtension("Not justified", "supervisor", at);
                break;
            case "close-unevaluated":
                order.CloseUnevaluated(TimeSpan.FromDays(7), "scheduler", at.AddDays(30));
                break;
            case var evaluate when evaluate.StartsWith("evaluate:", StringComparison.Ordinal):
                var rating = WireName.Parse<Rating>(action["evaluate:".Length..]);
                order.Evaluate(rating, "comment", limits, "community", at);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(action), action, "An action this test does not know how to take yet.");
        }
    }
}
