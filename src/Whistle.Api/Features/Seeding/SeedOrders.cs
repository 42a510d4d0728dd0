using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using Whistle.Api.Infrastructure;
using Whistle.Api.Persistence;
using Whistle.Domain.Orders;

namespace Whistle.Api.Features.Seeding;

/// <summary>
/// <c>dotnet run --project src/Whistle.Api -- seed --orders N [--year Y] [--seed S]</c>: loads the
/// Hohhot-shaped reference set if absent and N orders with lifelike histories spread over the year,
/// bulk-loaded with binary COPY (orders and their history in the same transaction per batch).
/// </summary>
public static class SeedOrders
{
    public sealed record Options(int Orders, int Year, int Seed);

    private const int BatchSize = 20_000;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<int> RunAsync(string[] args, IConfiguration configuration)
    {
        if (!TryParse(args, out var options, out var error))
        {
            await Console.Error.WriteLineAsync(error);
            await Console.Error.WriteLineAsync("usage: seed --orders N [--year YYYY] [--seed S]");
            return 2;
        }
        var (connectionString, embedded) = await DatabaseStartup.ResolveAsync(configuration);
        try
        {
            var clock = Stopwatch.StartNew();
            var (orders, history) = await SeedAsync(connectionString, options, TimeProvider.System,
                message => Console.Error.WriteLine(message), CancellationToken.None);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Seeded {orders:N0} orders and {history:N0} history entries for {options.Year} in {clock.Elapsed.TotalSeconds:F1} s."));
            return 0;
        }
        finally
        {
            if (embedded is not null)
            {
                await embedded.DisposeAsync();
            }
        }
    }

    public static async Task<(long Orders, long History)> SeedAsync(
        string connectionString, Options options, TimeProvider time, Action<string> progress, CancellationToken cancellationToken)
    {
        var dbOptions = new DbContextOptionsBuilder<WhistleDbContext>();
        dbOptions.UseWhistleStore(connectionString);
        ReferenceSet reference;
        await using (var db = new WhistleDbContext(dbOptions.Options))
        {
            await db.Database.MigrateAsync(cancellationToken);
            await BuiltInReferenceData.LoadIfEmptyAsync(db, cancellationToken);
            reference = new ReferenceSet(
                await db.Categories.AsNoTracking().OrderBy(c => c.Code).ToListAsync(cancellationToken),
                await db.Grids.AsNoTracking().OrderBy(g => g.Code).ToListAsync(cancellationToken),
                await db.Communities.AsNoTracking().ToDictionaryAsync(c => c.Code, cancellationToken),
                await db.Departments.AsNoTracking().OrderBy(d => d.Code).Select(d => d.Code).ToListAsync(cancellationToken));
        }

        // The year in the district's wall clock; a year still running ends now, leaving recent orders open.
        var start = new DateTimeOffset(options.Year, 1, 1, 0, 0, 0, TimeSpan.FromHours(8));
        var end = start.AddYears(1);
        var now = time.GetUtcNow() < end ? time.GetUtcNow() : end;
        var random = new Random(options.Seed);
        var simulator = new OrderSimulator(random, reference, now);
        var filings = FilingTimes(random, start, now, options.Orders);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        long historyRows = 0;
        for (var offset = 0; offset < filings.Length; offset += BatchSize)
        {
            var batch = filings.AsSpan(offset, Math.Min(BatchSize, filings.Length - offset)).ToArray().Select(simulator.Simulate).ToList();
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await CopyOrdersAsync(connection, batch, cancellationToken);
            historyRows += await CopyHistoryAsync(connection, batch, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            var done = offset + batch.Count;
            progress(string.Create(CultureInfo.InvariantCulture, $"  {done:N0} / {filings.Length:N0} orders ({100.0 * done / filings.Length:F0}%)"));
        }
        await using (var analyze = new NpgsqlCommand("ANALYZE orders; ANALYZE order_history;", connection))
        {
            await analyze.ExecuteNonQueryAsync(cancellationToken);
        }
        return (filings.Length, historyRows);
    }

    /// <summary>Filing times over the period, in order, busier on weekdays and in working hours.</summary>
    private static DateTimeOffset[] FilingTimes(Random random, DateTimeOffset start, DateTimeOffset end, int count)
    {
        var span = end - start;
        var times = new DateTimeOffset[count];
        for (var i = 0; i < count; i++)
        {
            DateTimeOffset at;
            do
            {
                at = start + span * random.NextDouble();
                var local = at.ToOffset(TimeSpan.FromHours(8));
                var busy = (local.Hour is >= 8 and < 20 ? 1.0 : 0.25) * (local.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? 0.6 : 1.0);
                if (random.NextDouble() < busy)
                {
                    break;
                }
            }
            while (true);
            times[i] = at.ToUniversalTime();
        }
        Array.Sort(times);
        return times;
    }

    private static async Task CopyOrdersAsync(NpgsqlConnection connection, IReadOnlyList<Order> orders, CancellationToken cancellationToken)
    {
        await using var writer = await connection.BeginBinaryImportAsync("""
            COPY orders (id, version, state, title, description, category_code, grid_code, community_code, street_code, priority,
                department_code, returned_by_department_code, filed_by, filed_at, first_whistled_at, whistled_at, acknowledged_at, returned_at, resolved_at,
                evaluated_at, closed_at, handled_locally_at, cancelled_at, acknowledge_by, resolve_by, whistle_count, return_count,
                reopen_count, result, return_reason, rating, evaluation_comment, cancel_reason, location_address,
                location_latitude, location_longitude) FROM STDIN (FORMAT BINARY)
            """, cancellationToken);
        // Synchronous writes fill the importer's buffer; it flushes to the server as it goes.
        foreach (var o in orders)
        {
            writer.StartRow();
            writer.Write(o.Id, NpgsqlDbType.Uuid);
            writer.Write(o.Version, NpgsqlDbType.Integer);
            Text(writer, WireName.Of(o.State));
            Text(writer, o.Title);
            Text(writer, o.Description);
            Text(writer, o.CategoryCode);
            Text(writer, o.GridCode);
            Text(writer, o.CommunityCode);
            Text(writer, o.StreetCode);
            Text(writer, WireName.Of(o.Priority));
            Text(writer, o.DepartmentCode);
            Text(writer, o.ReturnedByDepartmentCode);
            Text(writer, o.FiledBy);
            foreach (var at in new[]
                     {
                         o.FiledAt, o.FirstWhistledAt, o.WhistledAt, o.AcknowledgedAt, o.ReturnedAt, o.ResolvedAt, o.EvaluatedAt,
                         o.ClosedAt, o.HandledLocallyAt, o.CancelledAt, o.AcknowledgeBy, o.ResolveBy,
                     })
            {
                Time(writer, at);
            }
            writer.Write(o.WhistleCount, NpgsqlDbType.Integer);
            writer.Write(o.ReturnCount, NpgsqlDbType.Integer);
            writer.Write(o.ReopenCount, NpgsqlDbType.Integer);
            Text(writer, o.Result);
            Text(writer, o.ReturnReason);
            Text(writer, o.Rating is { } rating ? WireName.Of(rating) : null);
            Text(writer, o.EvaluationComment);
            Text(writer, o.CancelReason is { } reason ? WireName.Of(reason) : null);
            Text(writer, o.Location.Address);
            writer.Write(o.Location.Latitude, NpgsqlDbType.Double);
            writer.Write(o.Location.Longitude, NpgsqlDbType.Double);
        }
        await writer.CompleteAsync(cancellationToken);
    }

    private static async Task<long> CopyHistoryAsync(NpgsqlConnection connection, IReadOnlyList<Order> orders, CancellationToken cancellationToken)
    {
        long rows = 0;
        await using var writer = await connection.BeginBinaryImportAsync(
            "COPY order_history (order_id, version, action, from_state, to_state, actor, at, details) FROM STDIN (FORMAT BINARY)",
            cancellationToken);
        foreach (var entry in orders.SelectMany(o => o.NewHistory))
        {
            writer.StartRow();
            writer.Write(entry.OrderId, NpgsqlDbType.Uuid);
            writer.Write(entry.Version, NpgsqlDbType.Integer);
            Text(writer, entry.Action);
            Text(writer, entry.FromState is { } from ? WireName.Of(from) : null);
            Text(writer, WireName.Of(entry.ToState));
            Text(writer, entry.Actor);
            Time(writer, entry.At);
            writer.Write(JsonSerializer.Serialize(entry.Details, Json), NpgsqlDbType.Jsonb);
            rows++;
        }
        await writer.CompleteAsync(cancellationToken);
        return rows;
    }

    private static void Text(NpgsqlBinaryImporter writer, string? value)
    {
        if (value is null)
        {
            writer.WriteNull();
        }
        else
        {
            writer.Write(value, NpgsqlDbType.Varchar);
        }
    }

    private static void Time(NpgsqlBinaryImporter writer, DateTimeOffset? value)
    {
        if (value is { } at)
        {
            writer.Write(at.ToUniversalTime(), NpgsqlDbType.TimestampTz);
        }
        else
        {
            writer.WriteNull();
        }
    }

    private static bool TryParse(string[] args, out Options options, out string error)
    {
        options = new Options(0, DateTime.UtcNow.Year, 2025);
        error = "";
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--orders" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0:
                    options = options with { Orders = n };
                    i++;
                    break;
                case "--year" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var y) && y is >= 2000 and <= 2100:
                    options = options with { Year = y };
                    i++;
                    break;
                case "--seed" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var s):
                    options = options with { Seed = s };
                    i++;
                    break;
                default:
                    error = $"seed: '{args[i]}' is not understood here.";
                    return false;
            }
        }
        if (options.Orders == 0)
        {
            error = "seed: --orders N (a positive number) is required.";
            return false;
        }
        return true;
    }
}
