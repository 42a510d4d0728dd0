using System.Linq.Expressions;

namespace Whistle.Domain.Orders;

/// <summary>
/// "Overdue", stated once: an order is overdue when its running deadline has passed. While
/// whistled both deadlines run (the earlier counts); once acknowledged, only resolveBy; in every
/// other state none (returned, resolved and finished orders wait on nobody's deadline).
/// </summary>
/// <remarks>
/// The rule is one expression: compiled, it is the order's own answer and the statistics'; handed
/// to a query, the database evaluates the same text (the overdue listing, the scheduler), so the
/// two cannot drift apart.
/// </remarks>
public static class Overdue
{
    // Null-safe as written: lifted comparisons are false with a null, in C# and (through EF) in SQL alike.
    private static readonly Expression<Func<OrderState, DateTimeOffset?, DateTimeOffset?, DateTimeOffset?>> Rule =
        (state, acknowledgeBy, resolveBy) =>
            state == OrderState.Whistled && acknowledgeBy != null && !(resolveBy < acknowledgeBy) ? acknowledgeBy
            : state == OrderState.Whistled || state == OrderState.Acknowledged ? resolveBy
            : null;

    private static readonly Func<OrderState, DateTimeOffset?, DateTimeOffset?, DateTimeOffset?> Compiled = Rule.Compile();

    /// <summary>The states in which some deadline runs, found by asking the rule (for an index-friendly query).</summary>
    public static readonly IReadOnlyList<OrderState> StatesWithRunningDeadline = Enum.GetValues<OrderState>()
        .Where(state => Compiled(state, DateTimeOffset.MinValue, DateTimeOffset.MinValue) is not null)
        .ToArray();

    /// <summary>The earliest deadline running in this state, or null when none runs.</summary>
    public static DateTimeOffset? RunningDeadline(OrderState state, DateTimeOffset? acknowledgeBy, DateTimeOffset? resolveBy) =>
        Compiled(state, acknowledgeBy, resolveBy);

    /// <summary>Whether the running deadline has passed at <paramref name="now"/>.</summary>
    public static bool IsOverdue(OrderState state, DateTimeOffset? acknowledgeBy, DateTimeOffset? resolveBy, DateTimeOffset now) =>
        RunningDeadline(state, acknowledgeBy, resolveBy) < now;

    /// <summary>
    /// A query expression over an order and its running deadline, as the database computes it:
    /// <c>WithRunningDeadline((o, deadline) =&gt; new { Order = o, Deadline = deadline })</c>.
    /// </summary>
    public static Expression<Func<Order, T>> WithRunningDeadline<T>(Expression<Func<Order, DateTimeOffset?, T>> use)
    {
        var order = use.Parameters[0];
        var deadline = new Substitution(new()
        {
            [Rule.Parameters[0]] = Expression.Property(order, nameof(Order.State)),
            [Rule.Parameters[1]] = Expression.Property(order, nameof(Order.AcknowledgeBy)),
            [Rule.Parameters[2]] = Expression.Property(order, nameof(Order.ResolveBy)),
        }).Visit(Rule.Body);
        var body = new Substitution(new() { [use.Parameters[1]] = deadline }).Visit(use.Body);
        return Expression.Lambda<Func<Order, T>>(body, order);
    }

    /// <summary>The orders overdue at <paramref name="now"/>, for a query (<c>now</c> goes to the database as a parameter).</summary>
    public static Expression<Func<Order, bool>> At(DateTimeOffset now)
    {
        var overdue = WithRunningDeadline((o, deadline) => deadline < now);
        // The states first, so the database can narrow by its state index before computing deadlines.
        var state = Expression.Property(overdue.Parameters[0], nameof(Order.State));
        var inState = StatesWithRunningDeadline
            .Select(s => (Expression)Expression.Equal(state, Expression.Constant(s)))
            .Aggregate(Expression.OrElse);
        return Expression.Lambda<Func<Order, bool>>(Expression.AndAlso(inState, overdue.Body), overdue.Parameters);
    }

    // A co-handler's part is late when it has not reported by its own acknowledge deadline while the
    // order runs; the lead's part is the order, late by the rule above.
    private static readonly Expression<Func<OrderState, PartState, DateTimeOffset?, DateTimeOffset, bool>> PartRule =
        (orderState, partState, acknowledgeBy, now) =>
            (orderState == OrderState.Whistled || orderState == OrderState.Acknowledged)
            && partState == PartState.Summoned && acknowledgeBy < now;

    private static readonly Func<OrderState, PartState, DateTimeOffset?, DateTimeOffset, bool> PartCompiled = PartRule.Compile();

    /// <summary>Whether a co-handler's part is past its acknowledge deadline at <paramref name="now"/>.</summary>
    public static bool PartIsLate(OrderState orderState, PartState partState, DateTimeOffset? acknowledgeBy, DateTimeOffset now) =>
        PartCompiled(orderState, partState, acknowledgeBy, now);

    /// <summary>The same rule for a query over an order and one of its parts (<c>now</c> goes to the database as a parameter).</summary>
    public static Expression<Func<Order, OrderPart, bool>> PartLateAt(DateTimeOffset now)
    {
        var order = Expression.Parameter(typeof(Order), "o");
        var part = Expression.Parameter(typeof(OrderPart), "p");
        Expression<Func<DateTimeOffset>> nowValue = () => now;
        var body = new Substitution(new()
        {
            [PartRule.Parameters[0]] = Expression.Property(order, nameof(Order.State)),
            [PartRule.Parameters[1]] = Expression.Property(part, nameof(OrderPart.State)),
            [PartRule.Parameters[2]] = Expression.Property(part, nameof(OrderPart.AcknowledgeBy)),
            [PartRule.Parameters[3]] = nowValue.Body,
        }).Visit(PartRule.Body);
        return Expression.Lambda<Func<Order, OrderPart, bool>>(body, order, part);
    }

    private sealed class Substitution(Dictionary<ParameterExpression, Expression> replace) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) =>
            replace.TryGetValue(node, out var with) ? with : node;
    }
}
