using Npgsql;
using NpgsqlTypes;

namespace Whistle.Api.Persistence;

/// <summary>
/// How an order and its history entries are laid out as rows, for the two paths that write them
/// without EF's change tracker: every action (one batch: the versioned update and the history
/// insert, one round trip) and the seed verb's binary COPY. EF's model stays the schema's source;
/// <c>OrderRowsTests</c> checks these columns against it: their names, their store types, the key
/// left out of the update, and that no action changes a column marked immutable.
/// </summary>
public static class OrderRows
{
    public sealed record Column<T>(string Name, NpgsqlDbType Type, Func<T, object?> Value, bool Mutable = true);

    /// <summary>Every column of <c>orders</c> but <c>number</c>, which the store assigns.</summary>
    public static readonly Column<Order>[] Orders =
    [
        new("id", NpgsqlDbType.Uuid, o => o.Id, Mutable: false),
        new("version", NpgsqlDbType.Integer, o => o.Version),
        new("state", NpgsqlDbType.Varchar, o => WireName.Of(o.State)),
        new("title", NpgsqlDbType.Varchar, o => o.Title, Mutable: false),
        new("description", NpgsqlDbType.Varchar, o => o.Description, Mutable: false),
        new("category_code", NpgsqlDbType.Varchar, o => o.CategoryCode, Mutable: false),
        // The place an order was filed in; only an administrator's explicit re-home (Order.Rehome) moves it.
        new("grid_code", NpgsqlDbType.Varchar, o => o.GridCode),
        new("community_code", NpgsqlDbType.Varchar, o => o.CommunityCode),
        new("street_code", NpgsqlDbType.Varchar, o => o.StreetCode),
        new("priority", NpgsqlDbType.Varchar, o => WireName.Of(o.Priority), Mutable: false),
        new("department_code", NpgsqlDbType.Varchar, o => o.DepartmentCode),
        new("returned_by_department_code", NpgsqlDbType.Varchar, o => o.ReturnedByDepartmentCode),
        new("filed_by", NpgsqlDbType.Varchar, o => o.FiledBy, Mutable: false),
        new("filed_at", NpgsqlDbType.TimestampTz, o => Utc(o.FiledAt), Mutable: false),
        new("first_whistled_at", NpgsqlDbType.TimestampTz, o => Utc(o.FirstWhistledAt)),
        new("whistled_at", NpgsqlDbType.TimestampTz, o => Utc(o.WhistledAt)),
        new("acknowledged_at", NpgsqlDbType.TimestampTz, o => Utc(o.AcknowledgedAt)),
        new("returned_at", NpgsqlDbType.TimestampTz, o => Utc(o.ReturnedAt)),
        new("resolved_at", NpgsqlDbType.TimestampTz, o => Utc(o.ResolvedAt)),
        new("evaluated_at", NpgsqlDbType.TimestampTz, o => Utc(o.EvaluatedAt)),
        new("closed_at", NpgsqlDbType.TimestampTz, o => Utc(o.ClosedAt)),
        new("handled_locally_at", NpgsqlDbType.TimestampTz, o => Utc(o.HandledLocallyAt)),
        new("cancelled_at", NpgsqlDbType.TimestampTz, o => Utc(o.CancelledAt)),
        new("first_acknowledged_at", NpgsqlDbType.TimestampTz, o => Utc(o.FirstAcknowledgedAt)),
        new("first_acknowledge_by", NpgsqlDbType.TimestampTz, o => Utc(o.FirstAcknowledgeBy)),
        new("last_escalated_at", NpgsqlDbType.TimestampTz, o => Utc(o.LastEscalatedAt)),
        new("acknowledge_by", NpgsqlDbType.TimestampTz, o => Utc(o.AcknowledgeBy)),
        new("resolve_by", NpgsqlDbType.TimestampTz, o => Utc(o.ResolveBy)),
        new("whistle_count", NpgsqlDbType.Integer, o => o.WhistleCount),
        new("return_count", NpgsqlDbType.Integer, o => o.ReturnCount),
        new("reopen_count", NpgsqlDbType.Integer, o => o.ReopenCount),
        new("escalation_count", NpgsqlDbType.Integer, o => o.EscalationCount),
        new("escalation_level", NpgsqlDbType.Varchar, o => WireName.Of(o.EscalationLevel)),
        new("result", NpgsqlDbType.Varchar, o => o.Result),
        new("return_reason", NpgsqlDbType.Varchar, o => o.ReturnReason),
        new("rating", NpgsqlDbType.Varchar, o => o.Rating is { } r ? WireName.Of(r) : null),
        new("evaluation_comment", NpgsqlDbType.Varchar, o => o.EvaluationComment),
        new("cancel_reason", NpgsqlDbType.Varchar, o => o.CancelReason is { } c ? WireName.Of(c) : null),
        new("extension_requested_at", NpgsqlDbType.TimestampTz, o => Utc(o.ExtensionRequestedAt)),
        new("extension_requested_by", NpgsqlDbType.Varchar, o => o.ExtensionRequestedBy),
        new("extension_resolve_by", NpgsqlDbType.TimestampTz, o => Utc(o.ExtensionResolveBy)),
        new("extension_reason", NpgsqlDbType.Varchar, o => o.ExtensionReason),
        new("location_address", NpgsqlDbType.Varchar, o => o.Location.Address, Mutable: false),
        new("location_latitude", NpgsqlDbType.Double, o => o.Location.Latitude, Mutable: false),
        new("location_longitude", NpgsqlDbType.Double, o => o.Location.Longitude, Mutable: false),
        new("co_department_codes", NpgsqlDbType.Array | NpgsqlDbType.Text, o => o.CoDepartmentCodes),
        new("return_reason_code", NpgsqlDbType.Varchar, o => o.ReturnReasonCode is { } r ? WireName.Of(r) : null),
        new("return_basis", NpgsqlDbType.Varchar, o => o.ReturnBasis),
        new("return_refusal_count", NpgsqlDbType.Integer, o => o.ReturnRefusalCount),
        new("merged_into", NpgsqlDbType.Uuid, o => o.MergedInto),
        new("merged_at", NpgsqlDbType.TimestampTz, o => Utc(o.MergedAt)),
        new("same_problem_as_id", NpgsqlDbType.Uuid, o => o.SameProblemAsId, Mutable: false),
        new("same_problem_as_number", NpgsqlDbType.Bigint, o => o.SameProblemAsNumber, Mutable: false),
        new("photos", NpgsqlDbType.Jsonb, o => System.Text.Json.JsonSerializer.Serialize(o.Photos, Configurations.OrderConfiguration.PhotoJson)),
    ];

    /// <summary>Every column of <c>order_parts</c>: a co-handler's part, written whole whenever it changes.</summary>
    public static readonly Column<OrderPart>[] Parts =
    [
        new("order_id", NpgsqlDbType.Uuid, p => p.OrderId, Mutable: false),
        new("department_code", NpgsqlDbType.Varchar, p => p.DepartmentCode, Mutable: false),
        new("role", NpgsqlDbType.Varchar, p => WireName.Of(p.Role)),
        new("state", NpgsqlDbType.Varchar, p => WireName.Of(p.State)),
        new("summoned_by", NpgsqlDbType.Varchar, p => p.SummonedBy),
        new("summoned_at", NpgsqlDbType.TimestampTz, p => Utc(p.SummonedAt)),
        new("acknowledge_by", NpgsqlDbType.TimestampTz, p => Utc(p.AcknowledgeBy)),
        new("reported_at", NpgsqlDbType.TimestampTz, p => Utc(p.ReportedAt)),
        new("done_at", NpgsqlDbType.TimestampTz, p => Utc(p.DoneAt)),
        new("result", NpgsqlDbType.Varchar, p => p.Result),
        new("declined_at", NpgsqlDbType.TimestampTz, p => Utc(p.DeclinedAt)),
        new("decline_reason", NpgsqlDbType.Varchar, p => p.DeclineReason),
        new("waived_at", NpgsqlDbType.TimestampTz, p => Utc(p.WaivedAt)),
        new("waived_by", NpgsqlDbType.Varchar, p => p.WaivedBy),
        new("waive_reason", NpgsqlDbType.Varchar, p => p.WaiveReason),
        new("escalation_count", NpgsqlDbType.Integer, p => p.EscalationCount),
        new("last_escalated_at", NpgsqlDbType.TimestampTz, p => Utc(p.LastEscalatedAt)),
    ];

    private static readonly string UpsertPartSql =
        $"INSERT INTO order_parts ({string.Join(", ", Parts.Select(c => c.Name))}) " +
        $"VALUES ({string.Join(", ", Parts.Select((_, i) => $"${i + 1}"))}) " +
        $"ON CONFLICT (order_id, department_code) DO UPDATE SET {string.Join(", ", Parts.Where(c => c.Mutable).Select(c => $"{c.Name} = EXCLUDED.{c.Name}"))}";

    /// <summary>Every column of <c>order_history</c> but <c>id</c>, which the store assigns.</summary>
    public static readonly Column<OrderHistoryEntry>[] History =
    [
        new("order_id", NpgsqlDbType.Uuid, e => e.OrderId),
        new("version", NpgsqlDbType.Integer, e => e.Version),
        new("action", NpgsqlDbType.Varchar, e => e.Action),
        new("from_state", NpgsqlDbType.Varchar, e => e.FromState is { } s ? WireName.Of(s) : null),
        new("to_state", NpgsqlDbType.Varchar, e => WireName.Of(e.ToState)),
        new("actor", NpgsqlDbType.Varchar, e => e.Actor),
        new("actor_id", NpgsqlDbType.Varchar, e => e.ActorId),
        new("at", NpgsqlDbType.TimestampTz, e => Utc(e.At)),
        new("details", NpgsqlDbType.Jsonb, e => System.Text.Json.JsonSerializer.Serialize(e.Details, Configurations.OrderHistoryEntryConfiguration.Json)),
    ];

    private static readonly string InsertOrderSql =
        $"INSERT INTO orders ({string.Join(", ", Orders.Select(c => c.Name))}) " +
        $"VALUES ({string.Join(", ", Orders.Select((_, i) => $"${i + 1}"))}) RETURNING number";

    private static readonly Column<Order>[] Mutable = Orders.Where(c => c.Mutable).ToArray();

    private static readonly string UpdateOrderSql =
        $"UPDATE orders SET {string.Join(", ", Mutable.Select((c, i) => $"{c.Name} = ${i + 1}"))} " +
        $"WHERE id = ${Mutable.Length + 1} AND version = ${Mutable.Length + 2}";

    private static readonly string InsertHistorySql =
        $"INSERT INTO order_history ({string.Join(", ", History.Select(c => c.Name))}) " +
        $"VALUES ({string.Join(", ", History.Select((_, i) => $"${i + 1}"))})";

    public static string CopyOrdersSql { get; } = $"COPY orders ({string.Join(", ", Orders.Select(c => c.Name))}) FROM STDIN (FORMAT BINARY)";

    public static string CopyHistorySql { get; } = $"COPY order_history ({string.Join(", ", History.Select(c => c.Name))}) FROM STDIN (FORMAT BINARY)";

    /// <summary>
    /// Writes a filed or changed order and its new history in one round trip, inside the caller's
    /// transaction. A change made over a version someone else has since replaced writes nothing.
    /// </summary>
    /// <param name="alongside">More statements for the same batch (the webhook outbox's), run after the history.</param>
    /// <param name="readAlongside">For a filing: reads the rows of the statements alongside that return any (the possible
    /// duplicates' search), each in turn.</param>
    /// <returns>False when the stored version was no longer the one the order was read at.</returns>
    public static async Task<bool> SaveAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, Order order, bool filed, CancellationToken cancellationToken,
        IEnumerable<NpgsqlBatchCommand>? alongside = null, Func<NpgsqlDataReader, CancellationToken, Task>? readAlongside = null)
    {
        if (readAlongside is not null && !filed)
        {
            throw new ArgumentException("Only a filing's batch reads rows alongside.", nameof(readAlongside));
        }
        await using var batch = new NpgsqlBatch(connection, transaction);
        var write = new NpgsqlBatchCommand(filed ? InsertOrderSql : UpdateOrderSql);
        foreach (var column in filed ? Orders : Mutable)
        {
            write.Parameters.Add(Parameter(column.Type, column.Value(order)));
        }
        if (!filed)
        {
            write.Parameters.Add(Parameter(NpgsqlDbType.Uuid, order.Id));
            write.Parameters.Add(Parameter(NpgsqlDbType.Integer, order.StoredVersion));
        }
        batch.BatchCommands.Add(write);
        foreach (var entry in order.NewHistory)
        {
            var insert = new NpgsqlBatchCommand(InsertHistorySql);
            foreach (var column in History)
            {
                insert.Parameters.Add(Parameter(column.Type, column.Value(entry)));
            }
            batch.BatchCommands.Add(insert);
        }
        // Parts after the order: a new part's key refers to the order's row, which a filing inserts first.
        foreach (var part in order.ChangedParts)
        {
            var upsert = new NpgsqlBatchCommand(UpsertPartSql);
            foreach (var column in Parts)
            {
                upsert.Parameters.Add(Parameter(column.Type, column.Value(part)));
            }
            batch.BatchCommands.Add(upsert);
        }
        foreach (var command in alongside ?? [])
        {
            batch.BatchCommands.Add(command);
        }
        // Prepared explicitly, in a round trip of their own the first time a connection sees them (a
        // no-op after that), rather than by auto-preparation on their fifth use. Auto-preparation
        // parses the statement in the same round trip as its execution; when the server then refuses
        // a parameter (at Bind, before the statement's row description is sent), Npgsql keeps the
        // statement as prepared but without its result columns, and the next execution on that
        // connection fails reading its RETURNING row ("unexpected backend message DataRow").
        // Only where the connection string asks for preparation: not behind a transaction-mode pooler.
        if (DatabaseConnections.Prepares(connection.ConnectionString))
        {
            await batch.PrepareAsync(cancellationToken);
        }
        if (filed)
        {
            long number;
            await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
            {
                await reader.ReadAsync(cancellationToken);
                number = reader.GetInt64(0);
                // Run the history inserts to the end, so that their errors surface here; rows come only from the statements alongside.
                while (await reader.NextResultAsync(cancellationToken))
                {
                    if (reader.FieldCount > 0 && readAlongside is not null)
                    {
                        await readAlongside(reader, cancellationToken);
                    }
                }
            }
            order.AssignNumber(number);
            order.HistorySaved();
            order.PartsSaved();
            return true;
        }
        await batch.ExecuteNonQueryAsync(cancellationToken);
        if (write.RecordsAffected != 1)
        {
            return false;
        }
        order.HistorySaved();
        order.PartsSaved();
        return true;
    }

    public static void Write<T>(NpgsqlBinaryImporter importer, Column<T>[] columns, T row)
    {
        importer.StartRow();
        foreach (var column in columns)
        {
            if (column.Value(row) is { } value)
            {
                importer.Write(value, column.Type);
            }
            else
            {
                importer.WriteNull();
            }
        }
    }

    private static NpgsqlParameter Parameter(NpgsqlDbType type, object? value) => new() { NpgsqlDbType = type, Value = value ?? DBNull.Value };

    private static DateTimeOffset? Utc(DateTimeOffset? at) => at?.ToUniversalTime();
}
