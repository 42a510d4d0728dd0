using System.Globalization;
using Npgsql;

namespace Whistle.Api.Features.Stats;

/// <summary>
/// The statistics' catch-up read: the orders written since the last read, under one statement
/// snapshot, so every answer counts every change committed before the request came in.
/// </summary>
/// <remarks>
/// It rests on the <see cref="Column"/> contract, kept by the trigger <see cref="Trigger"/> that
/// the Statistics migration installs (outside EF's model: no code writes the column): every
/// <c>INSERT</c> or <c>UPDATE</c> of an order row, through EF, the raw write path or plain SQL,
/// stamps it with the writing transaction's id (<c>pg_current_xact_id()</c>). A write that skipped
/// the trigger would be invisible to the statistics until the process restarts;
/// <c>StoreTests</c> checks the trigger is in place.
/// </remarks>
internal static class ChangedOrders
{
    /// <summary>The column the trigger stamps: the id (<c>xid8</c>) of the transaction that last wrote the row.</summary>
    public const string Column = "change_xid";

    /// <summary>The trigger on <c>orders</c> that stamps <see cref="Column"/> before every insert and update.</summary>
    public const string Trigger = "orders_stamp_change";

    // A joint order's co-handler parts, in the same snapshot: they change only with their order's row.
    // Only orders with co-handlers look (nearly all have none): a CASE evaluates its subquery only
    // when taken, where a lateral join aggregated nothing once for every order (9 of the 12 s a full
    // read of a million took).
    private static string Parts(string column) =>
        $"CASE WHEN cardinality(o.co_department_codes) > 0 THEN (SELECT array_agg(p.{column} ORDER BY p.department_code) FROM order_parts p WHERE p.order_id = o.id) END";

    private static readonly string Select = $"""
        SELECT s.snapshot, o.number, o.state, o.street_code, o.community_code, o.category_code,
               coalesce(o.department_code, o.returned_by_department_code),
               o.filed_at, o.first_whistled_at, o.first_acknowledged_at, o.first_acknowledge_by,
               o.acknowledge_by, o.resolved_at, o.resolve_by, o.rating,
               o.return_count, o.reopen_count, o.escalation_count, o.cancel_reason,
               {Parts("department_code")}, {Parts("reported_at")}, {Parts("declined_at")}, {Parts("acknowledge_by")}
        FROM (SELECT {Snapshot} AS snapshot) s
        LEFT JOIN LATERAL (SELECT * FROM orders
        """;

    // The statement's snapshot as pg_snapshot text. A standby's lists no transaction in progress
    // (PostgreSQL keeps a standby's running transactions apart, in the snapshot's subxip, which
    // pg_current_snapshot does not report): read as if it did, an order written by one of them
    // would be below the next read's bound and never read. Only its xmin holds there (every
    // transaction before it has ended), so from a standby the next read starts at xmin.
    private const string Snapshot = """
        CASE WHEN pg_is_in_recovery()
             THEN pg_snapshot_xmin(pg_current_snapshot())::text || ':' || pg_snapshot_xmin(pg_current_snapshot())::text || ':'
             ELSE pg_current_snapshot()::text END
        """;

    private static readonly string Everything = Select + ") o ON true";

    // One statement: its snapshot is both the rows' and the one reported, so the next read starts
    // exactly where this one stopped. The lateral join returns the snapshot even with no rows.
    // The bound is written into the text, not passed as a parameter: a prepared statement's
    // generic plan guesses a third of the table matches and scans all of it (seen: 100+ ms at a
    // million orders); with the value in view the planner takes the index every time.
    private static string Since(string snapshot)
    {
        // xmin:xmax:xip,...: everything the last snapshot saw is read; what it did not see was
        // written by a transaction from xmax on, or by one of those it saw in flight (xip).
        var parts = snapshot.Split(':');
        var xmax = ulong.Parse(parts[1], CultureInfo.InvariantCulture);
        var xip = string.Join(",", parts[2].Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(x => ulong.Parse(x, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture)));
        return Select + $" WHERE {Column} >= '{xmax}'::xid8"
            + (xip.Length == 0 ? "" : $" OR {Column} = ANY('{{{xip}}}'::xid8[])") + ") o ON true";
    }

    /// <summary>
    /// Every order written since <paramref name="snapshot"/> (all of them when null), handed to
    /// <paramref name="apply"/> in batches of at most <paramref name="batch"/> rows as they arrive
    /// (the last one after the statement has finished), so a full read of millions never holds them
    /// all at once; returns the snapshot to pass next time.
    /// </summary>
    public static async Task<string> ReadAsync(
        NpgsqlConnection connection, string? snapshot, int batch, Func<List<OrderRow>, Task> apply, CancellationToken cancellationToken)
    {
        var next = "";
        var rows = new List<OrderRow>(Math.Min(batch, 4096));
        // The full read's estimated cost (a subquery per order) makes PostgreSQL compile it with JIT:
        // about a second of compiling for a plain scan. Off for this transaction only (no session state left behind).
        await using var transaction = snapshot is null ? await connection.BeginTransactionAsync(cancellationToken) : null;
        if (transaction is not null)
        {
            await using var noJit = new NpgsqlCommand("SET LOCAL jit = off", connection, transaction);
            await noJit.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var command = new NpgsqlCommand(snapshot is null ? Everything : Since(snapshot), connection, transaction))
        await using (var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                // The same snapshot on every row: read once (a string per row was a million allocations).
                if (next.Length == 0)
                {
                    next = reader.GetString(0);
                }
                if (!reader.IsDBNull(1))
                {
                    rows.Add(OrderRow.Read(reader, first: 1));
                }
                if (rows.Count >= batch)
                {
                    await apply(rows);
                    rows.Clear();
                }
            }
        }
        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
        }
        await apply(rows);
        return next;
    }
}
