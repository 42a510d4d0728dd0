using System.Diagnostics;
using System.Globalization;
using Npgsql;

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

    public const string Usage = """
        usage: seed --orders N [--year YYYY] [--seed S]
        Loads the reference set if absent and N orders with lifelike histories over the year (default: this
        year, up to now; S makes the same orders again). For a past year, open the dashboard with ?period=custom&from=YYYY-01-01&to=YYYY-12-31.
        """;

    public static async Task<int> RunAsync(string[] args, IConfiguration configuration)
    {
        if (CommandLine.VerbAsksForHelp(args))
        {
            await Console.Out.WriteLineAsync(Usage);
            return 0;
        }
        if (!TryParse(args, out var options, out var error))
        {
            await Console.Error.WriteLineAsync(error);
            await Console.Error.WriteLineAsync(Usage);
            return 2;
        }
        var (connections, embedded) = await DatabaseStartup.ResolveAsync(configuration, command: true);
        // A verb migrates as the service's start does, and loads in long transactions: the direct connection.
        var connectionString = connections.Direct;
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
            await DatabaseStartup.PrepareAsync(db, loadReferenceData: true, cancellationToken);
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
        // The next batch's lives are simulated while the database takes this one: one core each.
        List<Order> Simulate(int offset) =>
            filings.AsSpan(offset, Math.Min(BatchSize, filings.Length - offset)).ToArray().Select(simulator.Simulate).ToList();
        var simulating = Task.Run(() => Simulate(0), cancellationToken);
        for (var offset = 0; offset < filings.Length; offset += BatchSize)
        {
            var batch = await simulating;
            if (offset + BatchSize < filings.Length)
            {
                var next = offset + BatchSize;
                simulating = Task.Run(() => Simulate(next), cancellationToken);
            }
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
        await using var importer = await connection.BeginBinaryImportAsync(OrderRows.CopyOrdersSql, cancellationToken);
        foreach (var order in orders)
        {
            OrderRows.Write(importer, OrderRows.Orders, order);
        }
        await importer.CompleteAsync(cancellationToken);
    }

    private static async Task<long> CopyHistoryAsync(NpgsqlConnection connection, IReadOnlyList<Order> orders, CancellationToken cancellationToken)
    {
        long rows = 0;
        await using var importer = await connection.BeginBinaryImportAsync(OrderRows.CopyHistorySql, cancellationToken);
        foreach (var entry in orders.SelectMany(o => o.NewHistory))
        {
            OrderRows.Write(importer, OrderRows.History, entry);
            rows++;
        }
        await importer.CompleteAsync(cancellationToken);
        return rows;
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
