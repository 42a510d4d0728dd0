using Whistle.Domain.Orders;

namespace Whistle.Domain.Tests;

public class WorkflowDescriptionTests
{
    [Fact]
    public void Describes_every_transition_of_the_definition_with_guards_for_evaluation()
    {
        var workflow = Lifecycle.Describe();

        Assert.Equal(OrderState.Discovered, workflow.InitialState);
        // The table's 15 rows, the three ratings folded into two guarded transitions, the scheduler's close, the extensions
        // and the three reassignments; joint handling's two summons, the reviewed returns (two more returns, approve,
        // two guarded refusals and the reassignment under review); the four merges (并单).
        Assert.Equal(33, workflow.Transitions.Count);
        Assert.Equal(
            [(OrderState.Whistled, OrderState.Whistled), (OrderState.Acknowledged, OrderState.Whistled),
                (OrderState.ReturnUnderReview, OrderState.Whistled), (OrderState.Returned, OrderState.Whistled)],
            workflow.Transitions.Where(t => t.Action == OrderAction.Reassign).Select(t => (t.From, t.To)));
        var evaluations = workflow.Transitions.Where(t => t.Action == OrderAction.Evaluate).ToList();
        Assert.Equal(2, evaluations.Count);
        Assert.Contains(evaluations, t => t.To == OrderState.Closed && t.Guard == Lifecycle.SatisfiedGuard);
        Assert.Contains(evaluations, t => t.To == OrderState.Acknowledged && t.Guard == Lifecycle.UnsatisfiedGuard);
        Assert.Contains(new WorkflowTransition(OrderState.Resolved, OrderAction.CloseUnevaluated, OrderState.Closed, Lifecycle.SchedulerGuard),
            workflow.Transitions);
        Assert.Contains(new WorkflowTransition(OrderState.Acknowledged, OrderAction.RequestExtension, OrderState.Acknowledged, Lifecycle.NoExtensionPendingGuard),
            workflow.Transitions);
        Assert.Contains(new WorkflowTransition(OrderState.Acknowledged, OrderAction.RefuseExtension, OrderState.Acknowledged, Lifecycle.ExtensionPendingGuard),
            workflow.Transitions);
        Assert.All(workflow.Transitions.Where(t => t.Action is not (OrderAction.Evaluate or OrderAction.CloseUnevaluated
            or OrderAction.RequestExtension or OrderAction.ApproveExtension or OrderAction.RefuseExtension
            or OrderAction.Return or OrderAction.Resolve or OrderAction.RefuseReturn)), t => Assert.Null(t.Guard));
        Assert.Contains(new WorkflowTransition(OrderState.Acknowledged, OrderAction.Resolve, OrderState.Resolved, Lifecycle.PartsSettledGuard),
            workflow.Transitions);
        Assert.Contains(new WorkflowTransition(OrderState.Whistled, OrderAction.Return, OrderState.ReturnUnderReview, Lifecycle.ReviewedReturnGuard),
            workflow.Transitions);
        Assert.Contains(new WorkflowTransition(OrderState.ReturnUnderReview, OrderAction.RefuseReturn, OrderState.Whistled, Lifecycle.NotAcknowledgedGuard),
            workflow.Transitions);
    }

    [Fact]
    public void Graphs_name_every_state_and_action()
    {
        var workflow = Lifecycle.Describe();

        Assert.StartsWith("stateDiagram-v2", workflow.Mermaid);
        Assert.Contains("digraph", workflow.Dot);
        foreach (var state in Enum.GetValues<OrderState>())
        {
            Assert.Contains(state.ToString(), workflow.Mermaid);
            Assert.Contains(state.ToString(), workflow.Dot);
        }
        Assert.Contains("Discovered --> Whistled : Whistle", workflow.Mermaid);
        Assert.Contains("Whistled --> Whistled : Escalate", workflow.Mermaid);
    }
}
