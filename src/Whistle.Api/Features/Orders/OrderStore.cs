using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using Whistle.Api.Features.Webhooks;

namespace Whistle.Api.Features.Orders;

/// <summary>How order handlers find an order by id or code, and save a change with its history.</summary>
internal static class OrderStore
{
    public static IQueryable<Order> WhereKey(this IQueryable<Order> orders, string key) =>
        Guid.TryParse(key, out var id) ? orders.Where(o => o.Id == id)
        : OrderCode.TryParse(key, out var number) ? orders.Where(o => o.Number == number)
        : throw NotFound(key);

    /// <summary>
    /// Loads the order and locks its row until the transaction ends, so concurrent actions on one
    /// order queue up and each sees the state the previous one left.
    /// </summary>
    public static async Task<Order> LockAsync(WhistleDbContext db, string key, CancellationToken cancellationToken)
    {
        var order = (Guid.TryParse(key, out var id) ? await LockById(db, id)
            : OrderCode.TryParse(key, out var number) ? await LockByNumber(db, number)
            : null) ?? throw NotFound(key);
        await AttachPartsAsync(db, [order], cancellationToken);
        return order;
    }

    /// <summary>
    /// Hands the orders their co-handlers' parts, in one query for all of them; an order without
    /// co-handlers (nearly all) costs nothing. Parts change only under their order's lock, so a
    /// locked order's parts are read as they stand.
    /// </summary>
    public static async Task AttachPartsAsync(WhistleDbContext db, IReadOnlyCollection<Order> orders, CancellationToken cancellationToken)
    {
        var joint = orders.Where(o => o.CoDepartmentCodes.Length > 0).Select(o => o.Id).ToList();
        if (joint.Count == 0)
        {
            return;
        }
        var parts = await db.OrderParts.AsNoTracking().Where(p => joint.Contains(p.OrderId)).ToListAsync(cancellationToken);
        foreach (var order in orders)
        {
            order.AttachParts(parts);
        }
    }

    // Every action runs one of these: compiled once, they skip building and looking up the query each time.
    private static readonly Func<WhistleDbContext, Guid, Task<Order?>> LockById = EF.CompileAsyncQuery(
        (WhistleDbContext db, Guid id) => db.Orders.AsNoTracking().ForUpdate().SingleOrDefault(o => o.Id == id));

    private static readonly Func<WhistleDbContext, long, Task<Order?>> LockByNumber = EF.CompileAsyncQuery(
        (WhistleDbContext db, long number) => db.Orders.AsNoTracking().ForUpdate().SingleOrDefault(o => o.Number == number));

    /// <summary>
    /// Locks the order, checks that it is the caller's to act on (404 out of scope, 403 not the
    /// role's to take) and the caller's If-Match, applies the action and saves it with its history.
    /// </summary>
    public static async Task<OrderResponse> ActAsync(
        WhistleDbContext db, string key, OrderActionContext context, Func<Order, Task> act, CancellationToken cancellationToken)
    {
        var order = await LockAsync(db, key, cancellationToken);
        AccessPolicy.Ensure(context.Caller, context.Operation, order, key);
        order.EnsureVersion(context.IfMatch);
        await act(order);
        return await SaveAsync(db, order, cancellationToken);
    }

    public static Task<OrderResponse> ActAsync(
        WhistleDbContext db, string key, OrderActionContext context, Action<Order> act, CancellationToken cancellationToken) =>
        ActAsync(db, key, context, order =>
        {
            act(order);
            return Task.CompletedTask;
        }, cancellationToken);

    /// <summary>
    /// Writes the order and its new history in one round trip (see <see cref="OrderRows"/>): the
    /// hot path of every request skips EF's change tracker, which cost more CPU than the rest.
    /// </summary>
    /// <param name="search">A filing's possible duplicates' search, sent in the same round trip and read from it.</param>
    public static async Task<OrderResponse> SaveAsync(
        WhistleDbContext db, Order order, CancellationToken cancellationToken, Features.Geo.PossibleDuplicates.Search? search = null)
    {
        // The store numbers an order when it first writes it: one without a number is being filed.
        var filed = order.Number == 0;
        // Commands run in the transaction behaviour's transaction, so the connection is open and
        // EF closes it when that ends. (Opening it here as well would keep it open in the pooled
        // context after the request: a leaked server connection per context.)
        var transaction = (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("Orders are saved inside a command's transaction.");
        // The change's own time: the response tells whether the order is overdue as of it.
        var at = order.NewHistory[^1].At;
        // Every change of every order, the scheduler's included, passes here with its new history
        // entries in the command's transaction: the webhook outbox writes the events they raise in the
        // same batch, so no change commits without its events, nor an event without its change.
        // (Filing raises none, and a filed order has no number, so no code, until it is inserted.)
        var after = filed ? null : OrderResponse.From(order, at);
        var alongside = after is null ? (search is null ? null : [search.Statement]) : WebhookOutbox.Statements(order, after).ToList();
        if (!await OrderRows.SaveAsync(transaction.Connection!, transaction, order, filed, cancellationToken, alongside, search is null ? null : search.ReadAsync))
        {
            // Cannot happen while the row lock is held; if it does, the transaction is not committed.
            throw new DbUpdateConcurrencyException($"Order {order.Id} changed while it was locked.");
        }
        return after ?? OrderResponse.From(order, at);
    }

    public static NotFoundException NotFound(string key) => new($"No order has the id or code '{key}'.");
}
