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
    public sealed record Response(
        IReadOnlyList<OrderState> States, IReadOnlyList<OrderAction> Actions, OrderState InitialState,
        IReadOnlyList<Transition> Transitions, IReadOnlyDictionary<string, IReadOnlyList<Role>> Roles, string Mermaid, string Dot,
        Features.Photos.PhotoRules.Described Photos);

    // The definition never changes while the service runs, so it is described once.
    private static readonly Lazy<Response> Described = new(() =>
    {
        var workflow = Lifecycle.Describe();
        return new Response(
            workflow.States, workflow.Actions, workflow.InitialState,
            workflow.Transitions.Select(t => new Transition(t.From, t.Action, t.To, t.Guard)).ToList(),
            workflow.Actions.Where(a => a != OrderAction.CloseUnevaluated).ToDictionary(
                WireName.Of, a => (IReadOnlyList<Role>)Enum.GetValues<Role>().Where(r => AccessPolicy.Permits(r, AccessPolicy.OperationOf(a))).ToList()),
            workflow.Mermaid, workflow.Dot, Features.Photos.PhotoRules.Describe());
    });

    public static void MapWorkflow(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/workflow", Ok<Response> () => TypedResults.Ok(Described.Value))
            .WithTags("Workflow")
            .WithName("GetWorkflow")
            .WithSummary("Describe the order lifecycle")
            .WithDescription("States, actions and every permitted transition, which roles may take each action, plus the graph as Mermaid and DOT text.");
}
