using System.Collections.Frozen;
using Stateless;
using Stateless.Graph;
using Stateless.Reflection;

namespace Whistle.Domain.Orders;

/// <summary>
/// The one definition of a part's lifecycle (one summoned department's share of a joint order):
/// summoned → reported → done, or declined, or waived by a supervisor. Next to the order's own
/// <see cref="Lifecycle"/>, whose resolve waits for every co-handler part to be settled.
/// </summary>
/// <remarks>
/// The lead's part is the order itself (its acknowledge is the lead's report, its resolve the
/// lead's done), so this machine runs the co-handlers' parts. A part moves only while the order is
/// running (whistled or acknowledged): a returned, resolved or finished order waits on no part.
/// </remarks>
public static class PartLifecycle
{
    public const string OrderRunningGuard = "the order is whistled or acknowledged";
    public const string SchedulerGuard = "by the scheduler only, while the order runs and the acknowledge deadline has passed";

    public sealed class Machine
    {
        private readonly StateMachine<PartState, PartAction> _machine;

        internal Machine(Func<PartState> read, Action<PartState> write, Func<bool> orderRunning, bool scheduler)
        {
            _machine = new StateMachine<PartState, PartAction>(read, write);

            _machine.Configure(PartState.Summoned)
                .PermitIf(PartAction.Report, PartState.Reported, orderRunning, OrderRunningGuard)
                .PermitIf(PartAction.Decline, PartState.Declined, orderRunning, OrderRunningGuard)
                .PermitIf(PartAction.Waive, PartState.Waived, orderRunning, OrderRunningGuard)
                .PermitReentryIf(PartAction.Escalate, () => scheduler && orderRunning(), SchedulerGuard);

            _machine.Configure(PartState.Reported)
                .PermitIf(PartAction.Complete, PartState.Done, orderRunning, OrderRunningGuard)
                .PermitIf(PartAction.Decline, PartState.Declined, orderRunning, OrderRunningGuard)
                .PermitIf(PartAction.Waive, PartState.Waived, orderRunning, OrderRunningGuard);

            _machine.Configure(PartState.Done);
            _machine.Configure(PartState.Declined);
            _machine.Configure(PartState.Waived);
        }

        public bool CanFire(PartAction action) => _machine.CanFire(action);

        /// <summary>The actions permitted now, in the order they are declared.</summary>
        public IReadOnlyList<PartAction> AllowedActions() => Enum.GetValues<PartAction>().Where(CanFire).ToArray();

        internal void Fire(PartAction action, string departmentCode)
        {
            if (!_machine.CanFire(action))
            {
                throw new PartActionNotPermittedException(action, departmentCode, _machine.State, AllowedActions());
            }
            _machine.Fire(action);
        }

        public StateMachineInfo GetInfo() => _machine.GetInfo();
    }

    public static Machine Build(Func<PartState> read, Action<PartState> write, Func<bool> orderRunning, bool scheduler = false) =>
        new(read, write, orderRunning, scheduler);

    /// <summary>Whether parts can move while the order is in this state.</summary>
    public static bool Running(OrderState state) => state is OrderState.Whistled or OrderState.Acknowledged;

    /// <summary>Whether the part no longer holds up the order's resolve.</summary>
    public static bool Settled(PartState state) => state is PartState.Done or PartState.Declined or PartState.Waived;

    private static readonly FrozenDictionary<(PartState, bool), PartAction[]> Allowed = Enum.GetValues<PartState>()
        .SelectMany(state => new[] { (state, false), (state, true) })
        .ToFrozenDictionary(key => key, key => Build(() => key.Item1, _ => { }, () => key.Item2).AllowedActions().ToArray());

    /// <summary>The client actions permitted on a part in this state, the order running or not.</summary>
    public static IReadOnlyList<PartAction> AllowedActions(PartState state, bool orderRunning) => Allowed[(state, orderRunning)];

    /// <summary>The whole definition, for clients and documentation.</summary>
    public static PartWorkflowDescription Describe()
    {
        var info = Build(() => PartState.Summoned, _ => { }, () => true).GetInfo();
        var transitions = new List<PartWorkflowTransition>();
        foreach (var state in info.States)
        {
            foreach (var transition in state.FixedTransitions)
            {
                var guard = transition.GuardConditionsMethodDescriptions.Select(g => g.Description).FirstOrDefault();
                transitions.Add(new PartWorkflowTransition(
                    (PartState)state.UnderlyingState,
                    (PartAction)transition.Trigger.UnderlyingTrigger,
                    (PartState)transition.DestinationState.UnderlyingState,
                    guard));
            }
        }
        return new PartWorkflowDescription(
            Enum.GetValues<PartState>(), Enum.GetValues<PartAction>(), (PartState)info.InitialState.UnderlyingState,
            transitions, MermaidGraph.Format(info), UmlDotGraph.Format(info));
    }
}

public sealed record PartWorkflowTransition(PartState From, PartAction Action, PartState To, string? Guard);

public sealed record PartWorkflowDescription(
    IReadOnlyList<PartState> States,
    IReadOnlyList<PartAction> Actions,
    PartState InitialState,
    IReadOnlyList<PartWorkflowTransition> Transitions,
    string Mermaid,
    string Dot);

/// <summary>The part's state (or the order's) does not permit the action: 409.</summary>
public sealed class PartActionNotPermittedException(PartAction action, string departmentCode, PartState state, IReadOnlyList<PartAction> allowedActions)
    : InvalidOperationException($"The part of '{departmentCode}' is {WireName.Of(state)} and cannot take '{WireName.Of(action)}' now.")
{
    public PartAction Action { get; } = action;
    public PartState State { get; } = state;
    public IReadOnlyList<PartAction> AllowedActions { get; } = allowedActions;
}

/// <summary>The order has no co-handler part for this department: 404 (the lead's part is acted on through the order's actions).</summary>
public sealed class PartNotFoundException(string message) : Exception(message);
