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

    private sealed class Substitution(Dictionary<ParameterExpression, Expression> replace) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) =>
            replace.TryGetValue(node, out var with) ? with : node;
    }
}
