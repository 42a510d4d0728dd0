using System.Data;
using System.Linq.Expressions;
using Microsoft.Extensions.Options;
using Whistle.Api.Features.Orders;

namespace Whistle.Api.Features.Deadlines;

/// <summary>
/// 督办 without anyone asking: every <see cref="WhistleOptions.SchedulerInterval"/> of the service's
/// clock, escalates orders past a running deadline one level (the street once overdue, the district
/// when still overdue <see cref="WhistleOptions.EscalateAgainAfter"/> after that) and closes resolved
/// orders nobody evaluated within <see cref="WhistleOptions.AutoCloseAfterDays"/>.
/// </summary>
/// <remarks>
/// Safe with several instances on one database: each batch locks its orders with
/// <c>FOR UPDATE SKIP LOCKED</c>, so instances take disjoint orders, and an order another instance
/// has just changed no longer matches the query (PostgreSQL checks a locked row's newest version),
/// so no step is taken twice. Each order changes through the domain and is saved with its history
/// through <see cref="OrderStore.SaveAsync"/>, one transaction per batch.
/// </remarks>
public sealed class DeadlineScheduler(
    IServiceScopeFactory scopes, TimeProvider clock, IOptions<WhistleOptions> options, ILogger<DeadlineScheduler> logger)
    : BackgroundService
{
    /// <summary>The actor the scheduler's changes are recorded under.</summary>
    public const string Actor = "scheduler";

    private const int BatchSize = 50;

    private readonly WhistleOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.SchedulerEnabled)
        {
            return;
        }
        // The service's clock, so tests move time instead of waiting.
        using var timer = new PeriodicTimer(_options.SchedulerInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "The deadline scheduler failed; it tries again at its next tick");
            }
        }
    }

    /// <summary>One pass: every order due an escalation or an automatic close now is handled.</summary>
    public async Task<SchedulerRun> RunOnceAsync(CancellationToken cancellationToken)
    {
        var now = clock.Now();
        var again = now - _options.EscalateAgainAfter;
        var period = TimeSpan.FromDays(_options.AutoCloseAfterDays);
        var unevaluatedSince = now - period;

        var escalated = await InBatchesAsync(
            // The query narrows what DueEscalationAt decides for each order it returns.
            orders => orders.Where(Overdue.At(now)).Where(o =>
                o.EscalationLevel == EscalationLevel.None
                || (o.EscalationLevel == EscalationLevel.Street && o.LastEscalatedAt <= again)),
            order => order.DueEscalationAt(now, _options.EscalateAgainAfter),
            order => order.EscalateOverdue(Actor, now),
            cancellationToken);

        var closed = await InBatchesAsync(
            orders => orders.Where(o => o.State == OrderState.Resolved && o.ResolvedAt <= unevaluatedSince),
            order => order.State == OrderState.Resolved && order.ResolvedAt <= unevaluatedSince,
            order => order.CloseUnevaluated(period, Actor, now),
            cancellationToken);

        // Late parts as late orders: a co-handler not reported by its acknowledge deadline is pressed, then pressed again.
        var partsEscalated = 0;
        await InBatchesAsync(
            (db, orders) => orders.Where(WithPartDueEscalation(db.OrderParts, now, again)),
            order => order.PartsDueEscalationAt(now, _options.EscalateAgainAfter).Count > 0,
            order =>
            {
                foreach (var part in order.PartsDueEscalationAt(now, _options.EscalateAgainAfter))
                {
                    order.EscalatePart(part.DepartmentCode, Actor, now);
                    partsEscalated++;
                }
            },
            cancellationToken);

        if (escalated + closed + partsEscalated > 0)
        {
            logger.LogInformation("Deadline scheduler: {Escalated} orders escalated, {Closed} closed without evaluation, {Parts} parts escalated",
                escalated, closed, partsEscalated);
        }
        return new SchedulerRun(escalated, closed, partsEscalated);
    }

    /// <summary>
    /// Orders with a part the scheduler presses now (what <see cref="Order.PartsDueEscalationAt"/> decides, as a
    /// query): late by <see cref="Overdue.PartLateAt"/>, and not pressed yet or pressed once before <paramref name="again"/>.
    /// </summary>
    private static Expression<Func<Order, bool>> WithPartDueEscalation(IQueryable<OrderPart> parts, DateTimeOffset now, DateTimeOffset again)
    {
        var late = Overdue.PartLateAt(now);
        Expression<Func<Order, OrderPart, bool>> mine = (o, p) => p.OrderId == o.Id
            && (p.EscalationCount == 0 || (p.EscalationCount == 1 && p.LastEscalatedAt <= again));
        var order = late.Parameters[0];
        var part = late.Parameters[1];
        var both = Expression.AndAlso(
            new Rebind(mine.Parameters[0], order, mine.Parameters[1], part).Visit(mine.Body),
            late.Body);
        var any = Expression.Call(typeof(Queryable), nameof(Queryable.Any), [typeof(OrderPart)],
            parts.Expression, Expression.Quote(Expression.Lambda<Func<OrderPart, bool>>(both, part)));
        return Expression.Lambda<Func<Order, bool>>(any, order);
    }

    private sealed class Rebind(ParameterExpression a, Expression toA, ParameterExpression b, Expression toB) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == a ? toA : node == b ? toB : node;
    }

    private Task<int> InBatchesAsync(
        Func<IQueryable<Order>, IQueryable<Order>> due, Func<Order, bool> stillDue, Action<Order> act, CancellationToken cancellationToken) =>
        InBatchesAsync((_, orders) => due(orders), stillDue, act, cancellationToken);

    private async Task<int> InBatchesAsync(
        Func<WhistleDbContext, IQueryable<Order>, IQueryable<Order>> due, Func<Order, bool> stillDue, Action<Order> act, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDbContext>();
        db.Database.AutoSavepointsEnabled = false;
        var total = 0;
        // Orders that failed in this pass: left for the next one, so one bad row does not stall the rest.
        var failed = new List<Guid>();
        while (true)
        {
            await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
            var batch = await due(db, db.Orders.AsNoTracking())
                .Where(o => !failed.Contains(o.Id))
                .OrderBy(o => o.Number)
                .Take(BatchSize)
                .ForUpdateSkipLocked()
                .ToListAsync(cancellationToken);
            await OrderStore.AttachPartsAsync(db, batch, cancellationToken);
            var changed = 0;
            var failedBefore = failed.Count;
            foreach (var order in batch.Where(stillDue))
            {
                await transaction.CreateSavepointAsync("order", cancellationToken);
                try
                {
                    act(order);
                    await OrderStore.SaveAsync(db, order, cancellationToken);
                    changed++;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    await transaction.RollbackToSavepointAsync("order", cancellationToken);
                    failed.Add(order.Id);
                    logger.LogWarning(e, "Deadline scheduler: order {Order} failed and is left for the next pass", order.Id);
                }
            }
            await transaction.CommitAsync(cancellationToken);
            total += changed;
            // A short batch was the last; a batch with nothing done and nothing failed would only come
            // back again (failed orders are left out of the next batch, so that one moves on).
            if (batch.Count < BatchSize || (changed == 0 && failed.Count == failedBefore))
            {
                return total;
            }
        }
    }
}

/// <summary>What one pass of the scheduler did.</summary>
public sealed record SchedulerRun(int Escalated, int Closed, int PartsEscalated = 0);
