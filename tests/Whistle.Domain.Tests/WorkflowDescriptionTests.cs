using Whistle.Domain.Orders;

namespace Whistle.Domain.Tests;

public class WorkflowDescriptionTests
{
    [Fact]
    public void Describes_every_transition_of_the_definition_with_guards_for_evaluation()
    {
        var workflow = Lifecycle.Describe();

        Assert.Equal(OrderState.Discovered, workflow.InitialState);
        Assert.Equal(14, workflow.Transitions.Count); // the table's 15 rows, the three ratings folded into two guarded transitions
        var evaluations = workflow.Transitions.Where(t => t.Action == OrderAction.Evaluate).ToList();
        Assert.Equal(2, evaluations.Count);
        Assert.Contains(evaluations, t => t.To == OrderState.Closed && t.Guard == Lifecycle.SatisfiedGuard);
        Assert.Contains(evaluations, t => t.To == OrderState.Acknowledged && t.Guard == Lifecycle.UnsatisfiedGuard);
        Assert.All(workflow.Transitions.Where(t => t.Action != OrderAction.Evaluate), t => Assert.Null(t.Guard));
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
