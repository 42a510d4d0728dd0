namespace Whistle.Api.Features.Workflow;

/// <summary>The order lifecycle as data and as graphs, generated from the one Stateless definition.</summary>
public static class GetWorkflow
{
    /// <param name="Guard">The condition on the body, where one action leads to different states (evaluate).</param>
    public sealed record Transition(OrderState From, OrderAction Action, OrderState To, string? Guard);

    /// <param name="Roles">Who may take each action (on orders in their scope), from the policy table.</param>
    /// <param name="Mermaid">A Mermaid stateDiagram of the lifecycle (state and action names in PascalCase).</param>
    /// <param name="Dot">The same graph in Graphviz DOT.</param>
    /// <param name="Photos">Who adds photos of which stage and when, the per-order limit, and the resolve rule.</param>
    /// <param name="Part">The part's lifecycle: one summoned department's share of a joint order (主办/协办).</param>
    public sealed record Response(
        IReadOnlyList<OrderState> States, IReadOnlyList<OrderAction> Actions, OrderState InitialState,
        IReadOnlyList<Transition> Transitions, IReadOnlyDictionary<string, IReadOnlyList<Role>> Roles, string Mermaid, string Dot,
        PartWorkflow Part, Features.Photos.PhotoRules.Described Photos);

    /// <param name="Guard">The condition under which the transition is permitted (most need the order whistled or acknowledged).</param>
    public sealed record PartTransition(PartState From, PartAction Action, PartState To, string? Guard);

    /// <param name="Roles">Who may take each part action (a department on its own part only), from the policy table; escalate is the scheduler's.</param>
    public sealed record PartWorkflow(
        IReadOnlyList<PartState> States, IReadOnlyList<PartAction> Actions, PartState InitialState,
        IReadOnlyList<PartTransition> Transitions, IReadOnlyDictionary<string, IReadOnlyList<Role>> Roles, string Mermaid, string Dot);

    // The definition never changes while the service runs, so it is described once.
    private static readonly Lazy<Response> Described = new(() =>
    {
        var workflow = Lifecycle.Describe();
        return new Response(
            workflow.States, workflow.Actions, workflow.InitialState,
            workflow.Transitions.Select(t => new Transition(t.From, t.Action, t.To, t.Guard)).ToList(),
            workflow.Actions.Where(a => a != OrderAction.CloseUnevaluated).ToDictionary(
                WireName.Of, a => (IReadOnlyList<Role>)Enum.GetValues<Role>().Where(r => AccessPolicy.Permits(r, AccessPolicy.OperationOf(a))).ToList()),
            workflow.Mermaid, workflow.Dot,
            DescribePart(), Features.Photos.PhotoRules.Describe());
    });

    private static PartWorkflow DescribePart()
    {
        var part = PartLifecycle.Describe();
        return new PartWorkflow(
            part.States, part.Actions, part.InitialState,
            part.Transitions.Select(t => new PartTransition(t.From, t.Action, t.To, t.Guard)).ToList(),
            part.Actions.Where(a => a != PartAction.Escalate).ToDictionary(
                WireName.Of, a => (IReadOnlyList<Role>)Enum.GetValues<Role>().Where(r => AccessPolicy.Permits(r, AccessPolicy.OperationOf(a))).ToList()),
            part.Mermaid, part.Dot);
    }

    public static void MapWorkflow(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/workflow", Ok<Response> () => TypedResults.Ok(Described.Value))
            .WithTags("Workflow")
            .WithName("GetWorkflow")
            .WithSummary("Describe the order lifecycle")
            .WithDescription("States, actions and every permitted transition, which roles may take each action, plus the graph as Mermaid and DOT text; " +
                "the same for a part (part), the lifecycle of each summoned department's share of a joint order.");
}
