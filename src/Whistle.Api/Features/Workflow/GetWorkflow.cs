using Microsoft.AspNetCore.Http.HttpResults;
using Whistle.Domain.Orders;

namespace Whistle.Api.Features.Workflow;

/// <summary>The order lifecycle as data and as graphs, generated from the one Stateless definition.</summary>
public static class GetWorkflow
{
    /// <param name="Guard">The condition on the body, where one action leads to different states (evaluate).</param>
    public sealed record Transition(OrderState From, OrderAction Action, OrderState To, string? Guard);

    /// <param name="Mermaid">A Mermaid stateDiagram of the lifecycle (state and action names in PascalCase).</param>
    /// <param name="Dot">The same graph in Graphviz DOT.</param>
    public sealed record Response(
        IReadOnlyList<OrderState> States, IReadOnlyList<OrderAction> Actions, OrderState InitialState,
        IReadOnlyList<Transition> Transitions, string Mermaid, string Dot);

    // The definition never changes while the service runs, so it is described once.
    private static readonly Lazy<Response> Described = new(() =>
    {
        var workflow = Lifecycle.Describe();
        return new Response(
            workflow.States, workflow.Actions, workflow.InitialState,
            workflow.Transitions.Select(t => new Transition(t.From, t.Action, t.To, t.Guard)).ToList(),
            workflow.Mermaid, workflow.Dot);
    });

    public static void MapWorkflow(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/workflow", Ok<Response> () => TypedResults.Ok(Described.Value))
            .WithTags("Workflow")
            .WithName("GetWorkflow")
            .WithSummary("Describe the order lifecycle")
            .WithDescription("States, actions and every permitted transition, plus the graph as Mermaid and DOT text.");
}
