using System.Collections.Frozen;
using Stateless;
using Stateless.Graph;
using Stateless.Reflection;

namespace Whistle.Domain.Orders;

/// <summary>
/// The one definition of an order's lifecycle: which action is permitted in which state and where
/// it leads. Orders use it to decide transitions, the API uses it to tell clients what they may
/// do next and to publish the workflow graph.
/// </summary>
/// <remarks>
/// A Stateless machine is not thread-safe and re-runs this configuration when built, so one is
/// built per order per use and never shared. Guards stay synchronous: async guards are missing
/// from <c>GetInfo()</c>, and the published graph would be incomplete.
/// </remarks>
public static class Lifecycle
{
    public const string SatisfiedGuard = "rated satisfied or basically satisfied";
    public const string UnsatisfiedGuard = "rated unsatisfied: reopened";
    public const string SchedulerGuard = "by the scheduler only, when the evaluation period has passed";
    public const string NoExtensionPendingGuard = "no extension request pending";
    public const string ExtensionPendingGuard = "an extension request pending";
    public const string PartsSettledGuard = "every co-handler part done, declined or waived";
    public const string DirectReturnGuard = "returns go straight back (Whistle__Returns__Review=direct)";
    public const string ReviewedReturnGuard = "returns are reviewed by the street supervisor (Whistle__Returns__Review=supervisor)";
    public const string AcknowledgedGuard = "the department had acknowledged it";
    public const string NotAcknowledgedGuard = "the department had not acknowledged it";

    public sealed class Machine
    {
        private readonly StateMachine<OrderState, OrderAction> _machine;
        private readonly StateMachine<OrderState, OrderAction>.TriggerWithParameters<Rating> _evaluate;

        internal Machine(Func<OrderState> read, Action<OrderState> write, bool scheduler, Func<bool> extensionPending,
            Func<bool> partsSettled, Func<bool> reviewReturns, Func<bool> acknowledged)
        {
            _machine = new StateMachine<OrderState, OrderAction>(read, write);
            _evaluate = _machine.SetTriggerParameters<Rating>(OrderAction.Evaluate);

            _machine.Configure(OrderState.Discovered)
                .Permit(OrderAction.Whistle, OrderState.Whistled)
                .Permit(OrderAction.HandleLocally, OrderState.HandledLocally)
                .Permit(OrderAction.Cancel, OrderState.Cancelled)
                .Permit(OrderAction.Merge, OrderState.Merged);

            // Escalation presses the department without moving the order: a re-entry, so the graph shows it.
            _machine.Configure(OrderState.Whistled)
                .Permit(OrderAction.Acknowledge, OrderState.Acknowledged)
                .PermitReentry(OrderAction.Escalate)
                .PermitReentry(OrderAction.Reassign)
                .PermitIf(OrderAction.Return, OrderState.Returned, () => !reviewReturns(), DirectReturnGuard)
                .PermitIf(OrderAction.Return, OrderState.ReturnUnderReview, reviewReturns, ReviewedReturnGuard)
                .Permit(OrderAction.Cancel, OrderState.Cancelled)
                .PermitReentry(OrderAction.Summon)
                .Permit(OrderAction.Merge, OrderState.Merged);

            _machine.Configure(OrderState.Acknowledged)
                .PermitIf(OrderAction.Return, OrderState.Returned, () => !reviewReturns(), DirectReturnGuard)
                .PermitIf(OrderAction.Return, OrderState.ReturnUnderReview, reviewReturns, ReviewedReturnGuard)
                .PermitIf(OrderAction.Resolve, OrderState.Resolved, partsSettled, PartsSettledGuard)
                .PermitReentry(OrderAction.Summon)
                .PermitReentry(OrderAction.Escalate)
                .Permit(OrderAction.Reassign, OrderState.Whistled)
                // Extensions only move the resolve deadline: re-entries, guarded by the order's own (synchronous) flag.
                .PermitReentryIf(OrderAction.RequestExtension, () => !extensionPending(), NoExtensionPendingGuard)
                .PermitReentryIf(OrderAction.ApproveExtension, extensionPending, ExtensionPendingGuard)
                .PermitReentryIf(OrderAction.RefuseExtension, extensionPending, ExtensionPendingGuard)
                .Permit(OrderAction.Merge, OrderState.Merged);

            // The department keeps the order while its return is reviewed; a refusal puts it back as it was.
            _machine.Configure(OrderState.ReturnUnderReview)
                .Permit(OrderAction.ApproveReturn, OrderState.Returned)
                .PermitIf(OrderAction.RefuseReturn, OrderState.Acknowledged, acknowledged, AcknowledgedGuard)
                .PermitIf(OrderAction.RefuseReturn, OrderState.Whistled, () => !acknowledged(), NotAcknowledgedGuard)
                .Permit(OrderAction.Reassign, OrderState.Whistled);

            _machine.Configure(OrderState.Returned)
                .Permit(OrderAction.Whistle, OrderState.Whistled)
                .Permit(OrderAction.Reassign, OrderState.Whistled)
                .Permit(OrderAction.Cancel, OrderState.Cancelled)
                .Permit(OrderAction.Merge, OrderState.Merged);

            _machine.Configure(OrderState.Resolved)
                .PermitIf(_evaluate, OrderState.Closed, rating => rating != Rating.Unsatisfied, SatisfiedGuard)
                .PermitIf(_evaluate, OrderState.Acknowledged, rating => rating == Rating.Unsatisfied, UnsatisfiedGuard)
                // Only the scheduler closes an unevaluated order; clients never see it among their actions.
                .PermitIf(OrderAction.CloseUnevaluated, OrderState.Closed, () => scheduler, SchedulerGuard);

            _machine.Configure(OrderState.Closed);
            _machine.Configure(OrderState.HandledLocally);
            _machine.Configure(OrderState.Cancelled);
            _machine.Configure(OrderState.Merged);
        }

        /// <summary>Whether the action is permitted now (for evaluate: with some rating).</summary>
        public bool CanFire(OrderAction action) => action == OrderAction.Evaluate
            ? Enum.GetValues<Rating>().Any(rating => _machine.CanFire(_evaluate, rating))
            : _machine.CanFire(action);

        /// <summary>The actions permitted now, in the order they are declared.</summary>
        public IReadOnlyList<OrderAction> AllowedActions() =>
            Enum.GetValues<OrderAction>().Where(CanFire).ToArray();

        internal void Fire(OrderAction action, Rating? rating = null)
        {
            var permitted = action == OrderAction.Evaluate
                ? rating is { } r && _machine.CanFire(_evaluate, r)
                : _machine.CanFire(action);
            if (!permitted)
            {
                throw new ActionNotPermittedException(action, _machine.State, AllowedActions());
            }
            if (action == OrderAction.Evaluate)
            {
                _machine.Fire(_evaluate, rating!.Value);
            }
            else
            {
                _machine.Fire(action);
            }
        }

        public StateMachineInfo GetInfo() => _machine.GetInfo();
    }

    /// <summary>
    /// A machine over an order's state, held outside it; <paramref name="scheduler"/>: the background
    /// scheduler acts, which alone may take the scheduler's actions.
    /// </summary>
    /// <remarks>
    /// <paramref name="partsSettled"/>: every co-handler part is settled (true for an order without any);
    /// <paramref name="reviewReturns"/>: a return now goes to review; <paramref name="acknowledged"/>: the
    /// current dispatch was acknowledged (where a refused return goes back to).
    /// </remarks>
    public static Machine Build(Func<OrderState> read, Action<OrderState> write, bool scheduler = false, Func<bool>? extensionPending = null,
        Func<bool>? partsSettled = null, Func<bool>? reviewReturns = null, Func<bool>? acknowledged = null) =>
        new(read, write, scheduler, extensionPending ?? (() => false), partsSettled ?? (() => true), reviewReturns ?? (() => false), acknowledged ?? (() => false));

    // What each state permits never changes while the program runs; lists of orders ask it per order.
    // (Return and refuse-return are permitted whichever way their guards go, so only these two flags matter.)
    private static readonly FrozenDictionary<(OrderState, bool, bool), OrderAction[]> Allowed = Enum.GetValues<OrderState>()
        .SelectMany(state => new[] { (state, false, true), (state, true, true), (state, false, false), (state, true, false) })
        .ToFrozenDictionary(key => key, key => Build(() => key.Item1, _ => { }, extensionPending: () => key.Item2, partsSettled: () => key.Item3)
            .AllowedActions().ToArray());

    /// <summary>
    /// The actions permitted in a state (with or without an extension request pending, with or without
    /// co-handler parts outstanding), from the definition.
    /// </summary>
    public static IReadOnlyList<OrderAction> AllowedActions(OrderState state, bool extensionPending = false, bool partsSettled = true) =>
        Allowed[(state, extensionPending, partsSettled)];

    /// <summary>The whole definition, for clients and documentation.</summary>
    public static WorkflowDescription Describe()
    {
        var info = Build(() => OrderState.Discovered, _ => { }).GetInfo();
        var transitions = new List<WorkflowTransition>();
        foreach (var state in info.States)
        {
            foreach (var transition in state.FixedTransitions)
            {
                var guard = transition.GuardConditionsMethodDescriptions.Select(g => g.Description).FirstOrDefault();
                transitions.Add(new WorkflowTransition(
                    (OrderState)state.UnderlyingState,
                    (OrderAction)transition.Trigger.UnderlyingTrigger,
                    (OrderState)transition.DestinationState.UnderlyingState,
                    guard));
            }
        }
        return new WorkflowDescription(
            Enum.GetValues<OrderState>(),
            Enum.GetValues<OrderAction>(),
            (OrderState)info.InitialState.UnderlyingState,
            transitions,
            MermaidGraph.Format(info),
            UmlDotGraph.Format(info));
    }
}

public sealed record WorkflowTransition(OrderState From, OrderAction Action, OrderState To, string? Guard);

public sealed record WorkflowDescription(
    IReadOnlyList<OrderState> States,
    IReadOnlyList<OrderAction> Actions,
    OrderState InitialState,
    IReadOnlyList<WorkflowTransition> Transitions,
    string Mermaid,
    string Dot);
