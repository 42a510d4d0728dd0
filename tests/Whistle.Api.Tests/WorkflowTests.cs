using System.Net;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests;

public class WorkflowTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    public sealed record Transition(string From, string Action, string To, string? Guard);
    public sealed record Workflow(string[] States, string[] Actions, string InitialState, Transition[] Transitions, Dictionary<string, string[]> Roles, string Mermaid, string Dot,
        PartWorkflow Part);

    public sealed record PartWorkflow(string[] States, string[] Actions, string InitialState, Transition[] Transitions, Dictionary<string, string[]> Roles, string Mermaid, string Dot);

    [Fact]
    public async Task The_workflow_lists_the_lifecycle_as_the_api_names_it_with_both_graphs()
    {
        var response = await app.CreateClient().GetAsync("/api/v1/workflow");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var workflow = await response.Read<Workflow>();
        Assert.Equal(["discovered", "whistled", "acknowledged", "returned", "resolved", "closed", "handled-locally", "cancelled", "return-under-review", "merged"],
            workflow.States);
        Assert.Equal(["whistle", "handle-locally", "acknowledge", "return", "resolve", "evaluate", "cancel", "escalate", "close-unevaluated",
            "request-extension", "approve-extension", "refuse-extension", "reassign", "summon", "approve-return", "refuse-return", "merge"], workflow.Actions);
        Assert.Equal("discovered", workflow.InitialState);
        Assert.Equal(33, workflow.Transitions.Length);
        Assert.Contains(new Transition("acknowledged", "resolve", "resolved", "every co-handler part done, declined or waived"), workflow.Transitions);
        Assert.Contains(workflow.Transitions, t => t is { From: "whistled", Action: "return", To: "return-under-review", Guard: not null });
        Assert.Equal(["supervisor", "admin"], workflow.Roles["refuse-return"]);
        // The part's machine, with its guards and who may take each action.
        Assert.Equal(["summoned", "reported", "done", "declined", "waived"], workflow.Part.States);
        Assert.Equal("summoned", workflow.Part.InitialState);
        Assert.Contains(new Transition("summoned", "report", "reported", "the order is whistled or acknowledged"), workflow.Part.Transitions);
        Assert.Contains(new Transition("reported", "complete", "done", "the order is whistled or acknowledged"), workflow.Part.Transitions);
        Assert.Equal(["department", "admin"], workflow.Part.Roles["report"]);
        Assert.Equal(["supervisor", "admin"], workflow.Part.Roles["waive"]);
        Assert.DoesNotContain("escalate", workflow.Part.Roles.Keys);
        Assert.StartsWith("stateDiagram-v2", workflow.Part.Mermaid);
        Assert.Contains(new Transition("acknowledged", "merge", "merged", null), workflow.Transitions);
        Assert.Contains(new Transition("returned", "reassign", "whistled", null), workflow.Transitions);
        Assert.Contains(new Transition("acknowledged", "approve-extension", "acknowledged", "an extension request pending"), workflow.Transitions);
        Assert.Contains(new Transition("resolved", "close-unevaluated", "closed", "by the scheduler only, when the evaluation period has passed"), workflow.Transitions);
        Assert.Contains(new Transition("acknowledged", "escalate", "acknowledged", null), workflow.Transitions);
        Assert.Contains(new Transition("returned", "whistle", "whistled", null), workflow.Transitions);
        Assert.Contains(workflow.Transitions, t => t is { From: "resolved", Action: "evaluate", To: "acknowledged", Guard: not null });
        Assert.Equal(["department", "admin"], workflow.Roles["acknowledge"]);
        Assert.Equal(["supervisor", "admin"], workflow.Roles["reassign"]);
        Assert.Equal(["community", "supervisor", "admin"], workflow.Roles["merge"]);
        Assert.DoesNotContain("close-unevaluated", workflow.Roles.Keys);
        Assert.StartsWith("stateDiagram-v2", workflow.Mermaid);
        Assert.StartsWith("digraph", workflow.Dot.TrimStart());
    }

    [Fact]
    public async Task An_orders_allowed_actions_are_exactly_the_workflows_transitions_from_its_state()
    {
        var client = app.CreateClient();
        var workflow = await (await client.GetAsync("/api/v1/workflow")).Read<Workflow>();
        var order = await client.File();

        foreach (var step in new Func<Task<Order>>[] { () => client.Get(order.Id), () => client.Whistle(order.Id), () => client.Acknowledge(order.Id), () => client.Resolve(order.Id) })
        {
            var current = await step();
            // The scheduler's own transition is shown in the graph but never offered to clients; with no
            // extension request pending, there is none to approve or refuse.
            var expected = workflow.Transitions
                .Where(t => t.From == current.State && t.Action is not ("close-unevaluated" or "approve-extension" or "refuse-extension"))
                .Select(t => t.Action).Distinct();
            Assert.Equal(expected.Order(), current.AllowedActions.Order());
        }
    }
}
