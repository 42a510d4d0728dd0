using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Npgsql;
using Whistle.Api.Features.Seeding;
using Whistle.Api.Infrastructure;

namespace Whistle.LoadTest;

/// <summary>
/// The statistics benchmark: the dashboards' questions over HTTP at each history size, asked the
/// way screens ask them (the same questions polled again and again) and as questions never asked
/// before (every request a new period bound, so nothing can come from a cache), next to the same
/// figures computed the naive way, straight over the orders table in SQL.
/// </summary>
internal static class StatsBench
{
    public const string Usage = """
        Usage: dotnet run -c Release --project tests/Whistle.LoadTest -- stats [options]
          --sizes N,N,...    history sizes (orders seeded into 2025); default 10000,1000000
          --requests N       requests per question and mode; default 300 (cold and naive: a third)
          --changes N        order changes per second during the "polled, changing" mode; default 1
          --keep DIR         keep each seeded cluster under DIR and reuse it next time (seeding a million takes minutes)
          --out FILE         also write the Markdown report to FILE
        """;

    private sealed record Question(string Endpoint, string Name, string Path);

    private sealed record Row(int Size, string Endpoint, string Name, string Mode, double Median, double P99, int Count);

    public static async Task<int> RunAsync(string[] args, string apiDll, Action<string> log, CancellationToken ct)
    {
        var sizes = new List<int> { 10_000, 1_000_000 };
        var requests = 300;
        var changes = 1.0;
        string? keep = null;
        string? output = null;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--sizes":
                    sizes = args[i + 1].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList();
                    break;
                case "--requests":
                    requests = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                case "--changes":
                    changes = double.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                case "--keep":
                    keep = Path.GetFullPath(args[i + 1]);
                    break;
                case "--out":
                    output = Path.GetFullPath(args[i + 1]);
                    break;
                default:
                    Console.Error.WriteLine(Usage);
                    return 2;
            }
        }
        if (args.Length % 2 != 0)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }

        var rows = new List<Row>();
        var agreements = new List<string>();
        // The deadline scheduler would escalate the seeded year's overdue backlog during the run
        // (its own measured work, not the dashboards'); the service processes inherit this.
        Environment.SetEnvironmentVariable("Whistle__SchedulerEnabled", "false");
        foreach (var size in sizes)
        {
            var folder = keep is null
                ? Path.Combine(Path.GetTempPath(), $"whistle-statsbench-{Guid.NewGuid():N}"[..32])
                : Path.Combine(keep, $"orders-{size}");
            await using var server = await EmbeddedPostgres.StartAsync(folder, "whistle_stats", durable: true,
                deleteOnDispose: keep is null, log: log, cancellationToken: ct);
            var connection = server.ConnectionStringFor("whistle_stats");
            if (await CountAsync(connection, ct) != size)
            {
                log($"Seeding {size:N0} orders into 2025");
                var clock = Stopwatch.StartNew();
                await SeedOrders.SeedAsync(connection, new SeedOrders.Options(size, 2025, 1), TimeProvider.System,
                    message => { }, ct);
                log($"  seeded in {clock.Elapsed.TotalSeconds:F0} s");
            }
            var key = (await BenchKeys.CreateAsync(connection, 1, "stats bench", ct))[0];
            await using var api = await ApiProcess.StartAsync(apiDll, connection, log, ct);
            // The first answer waits for the first read of every order: minutes on a busy machine.
            using var http = new HttpClient { BaseAddress = api.BaseAddress, Timeout = TimeSpan.FromMinutes(10) };
            http.DefaultRequestHeaders.Add(BenchKeys.Header, key);
            var reference = await ReferenceAsync(connection, ct);
            var questions = Questions(reference);

            // Warm-up: the service reads every order's facts once, and the JIT settles.
            var warm = Stopwatch.StartNew();
            foreach (var q in questions)
            {
                (await http.GetAsync(q.Path, ct)).EnsureSuccessStatusCode();
            }
            log($"  first answers (facts read, JIT) in {warm.ElapsedMilliseconds} ms; warming up");
            for (var i = 0; i < 3; i++)
            {
                foreach (var q in questions)
                {
                    await http.GetAsync(Unique(q.Path, i), ct);
                }
            }

            foreach (var q in questions)
            {
                var polled = await TimeAsync(requests, _ => http.GetAsync(q.Path, ct), ct);
                rows.Add(new Row(size, q.Endpoint, q.Name, "polled", Median(polled), P99(polled), polled.Count));
                var cold = await TimeAsync(Math.Max(10, requests / 3), n => http.GetAsync(Unique(q.Path, 1000 + n), ct), ct);
                rows.Add(new Row(size, q.Endpoint, q.Name, "cold", Median(cold), P99(cold), cold.Count));
                log($"  {q.Endpoint} {q.Name}: polled median {Median(polled):F2} ms, cold median {Median(cold):F2} ms");
            }

            // Screens polling while orders change: every change makes every answer stale; the
            // service computes the asked ones again in the background within a second.
            using (var stopWriting = new CancellationTokenSource())
            {
                var writer = WriteAsync(http, reference, changes, stopWriting.Token);
                var polls = questions.ToDictionary(q => q, _ => new List<double>());
                for (var round = 0; round < Math.Max(10, requests / 3); round++)
                {
                    foreach (var q in questions)
                    {
                        polls[q].AddRange(await TimeAsync(1, _ => http.GetAsync(q.Path, ct), ct));
                        await Task.Delay(50, ct);
                    }
                }
                await stopWriting.CancelAsync();
                var written = await writer;
                foreach (var q in questions)
                {
                    rows.Add(new Row(size, q.Endpoint, q.Name, $"polled, {changes:0.#} changes/s", Median(polls[q]), P99(polls[q]), polls[q].Count));
                }
                log($"  polled while {written} changes were made: summary year median {Median(polls[questions[0]]):F2} ms");
            }

            await using var db = new NpgsqlConnection(connection);
            await db.OpenAsync(ct);
            foreach (var q in questions.Where(q => q.Endpoint != "timeseries"))
            {
                var naive = await TimeAsync(Math.Max(5, requests / 30), _ => NaiveAsync(db, q, reference, ct), ct);
                rows.Add(new Row(size, q.Endpoint, q.Name, "naive SQL", Median(naive), P99(naive), naive.Count));
                log($"  {q.Endpoint} {q.Name}: naive SQL median {Median(naive):F1} ms");
            }
            agreements.Add(await AgreeAsync(http, db, size, ct));
        }

        var report = Render(rows, sizes, agreements);
        Console.WriteLine();
        Console.WriteLine(report);
        if (output is not null)
        {
            await File.WriteAllTextAsync(output, report, ct);
            log($"Wrote {output}");
        }
        return 0;
    }

    internal sealed record Reference(string Street, string Department, string Grid);

    /// <summary>Files and whistles orders at the given rate (two changes each) until stopped; returns the changes made.</summary>
    private static async Task<int> WriteAsync(HttpClient http, Reference r, double changesPerSecond, CancellationToken stop)
    {
        var made = 0;
        var pause = TimeSpan.FromSeconds(2 / changesPerSecond);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var body = JsonSerializer.Serialize(new
                {
                    title = "Overflowing bins",
                    description = "Filed by the statistics benchmark while screens poll.",
                    categoryCode = "garbage",
                    gridCode = r.Grid,
                    location = new { latitude = 40.84, longitude = 111.75, address = "Gate 3" },
                });
                var filed = await http.PostAsync("/api/v1/orders", new StringContent(body, Encoding.UTF8, "application/json"), stop);
                filed.EnsureSuccessStatusCode();
                var id = JsonDocument.Parse(await filed.Content.ReadAsStringAsync(stop)).RootElement.GetProperty("id").GetString();
                await Task.Delay(pause / 2, stop);
                (await http.PostAsync($"/api/v1/orders/{id}/whistle", null, stop)).EnsureSuccessStatusCode();
                made += 2;
                await Task.Delay(pause / 2, stop);
            }
        }
        catch (OperationCanceledException)
        {
        }
        return made;
    }

    /// <summary>The six dashboard questions' paths (shared with the memory benchmark).</summary>
    internal static IEnumerable<string> QuestionPaths(Reference r) => Questions(r).Select(q => q.Path);

    private static List<Question> Questions(Reference r) =>
    [
        new("summary", "year", "/api/v1/stats/summary?from=2025-01-01&to=2025-12-31"),
        new("summary", "year, one street", $"/api/v1/stats/summary?from=2025-01-01&to=2025-12-31&streetCode={r.Street}"),
        new("summary", "month, one department", $"/api/v1/stats/summary?from=2025-06-01&to=2025-06-30&departmentCode={r.Department}"),
        new("breakdown", "year by department", "/api/v1/stats/breakdown?groupBy=department&sort=completionRate&order=desc&from=2025-01-01&to=2025-12-31"),
        new("breakdown", "year by community", "/api/v1/stats/breakdown?groupBy=community&from=2025-01-01&to=2025-12-31"),
        new("timeseries", "year by month", "/api/v1/stats/timeseries?interval=month&from=2025-01-01&to=2025-12-31"),
    ];

    /// <summary>The same question with a period end no one asked before: a microsecond before the year's end.</summary>
    private static string Unique(string path, int n) =>
        path.Replace("to=2025-12-31", $"to=2025-12-31T23:59:59.{n % 1_000_000:000000}%2B08:00", StringComparison.Ordinal)
            .Replace("to=2025-06-30", $"to=2025-06-30T23:59:59.{n % 1_000_000:000000}%2B08:00", StringComparison.Ordinal);

    private static async Task<List<double>> TimeAsync<T>(int count, Func<int, Task<T>> send, CancellationToken ct)
    {
        var times = new List<double>(count);
        for (var i = 0; i < count; i++)
        {
            ct.ThrowIfCancellationRequested();
            var start = Stopwatch.GetTimestamp();
            var result = await send(i);
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            if (result is HttpResponseMessage { StatusCode: not HttpStatusCode.OK } response)
            {
                throw new InvalidOperationException($"{response.RequestMessage?.RequestUri}: {(int)response.StatusCode}");
            }
        }
        return times;
    }

    private static double Median(List<double> values) => Quantile(values, 0.5);

    private static double P99(List<double> values) => Quantile(values, 0.99);

    private static double Quantile(List<double> values, double q)
    {
        var sorted = values.Order().ToArray();
        var position = q * (sorted.Length - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sorted.Length - 1);
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
    }

    /// <summary>Migrates the database if needed, then counts the seeded year's orders (shared with the nearby benchmark).</summary>
    internal static async Task<long> CountAsync(string connection, CancellationToken ct)
    {
        var options = new Microsoft.EntityFrameworkCore.DbContextOptionsBuilder<Whistle.Api.Persistence.WhistleDbContext>();
        Whistle.Api.Persistence.WhistleStoreOptions.UseWhistleStore(options, connection);
        await using (var context = new Whistle.Api.Persistence.WhistleDbContext(options.Options))
        {
            await Microsoft.EntityFrameworkCore.RelationalDatabaseFacadeExtensions.MigrateAsync(context.Database, ct);
        }
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync(ct);
        // The benchmark's own writes come after 2025: only the seeded year is counted.
        await using var command = new NpgsqlCommand("SELECT count(*) FROM orders WHERE filed_at < '2026-01-01T00:00:00+08:00'", db);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    internal static async Task<Reference> ReferenceAsync(string connection, CancellationToken ct)
    {
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            "SELECT (SELECT street_code FROM orders GROUP BY 1 ORDER BY count(*) DESC LIMIT 1), (SELECT department_code FROM orders WHERE department_code IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1), (SELECT min(code) FROM grids)", db);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new Reference(reader.GetString(0), reader.GetString(1), reader.GetString(2));
    }

    // The figures' definitions written straight over the table, as one would without the service's design.
    private const string NaiveFigures = """
        count(*) AS dispatched,
        count(*) FILTER (WHERE state = 'cancelled') AS cancelled,
        count(*) FILTER (WHERE state IN ('resolved', 'closed')) AS completed,
        count(*) FILTER (WHERE first_acknowledged_at <= first_acknowledge_by) AS acknowledged_on_time,
        count(*) FILTER (WHERE state IN ('resolved', 'closed') AND resolved_at <= resolve_by) AS resolved_on_time,
        count(*) FILTER (WHERE rating IS NOT NULL) AS evaluated,
        count(*) FILTER (WHERE rating IN ('satisfied', 'basically-satisfied')) AS satisfied,
        count(*) FILTER (WHERE state IN ('whistled', 'acknowledged') AND ((acknowledged_at IS NULL AND acknowledge_by < now())
                                                                    OR (resolved_at IS NULL AND resolve_by < now()))) AS overdue,
        sum(return_count) AS returns, sum(reopen_count) AS reopens, sum(escalation_count) AS escalations,
        percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY first_acknowledged_at - first_whistled_at)
            FILTER (WHERE first_acknowledged_at IS NOT NULL) AS acknowledge_hours,
        percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY resolved_at - first_whistled_at)
            FILTER (WHERE state IN ('resolved', 'closed')) AS resolve_hours
        """;

    private static async Task<int> NaiveAsync(NpgsqlConnection db, Question q, Reference r, CancellationToken ct)
    {
        var (from, to) = q.Name.StartsWith("month", StringComparison.Ordinal)
            ? ("2025-06-01T00:00:00+08:00", "2025-07-01T00:00:00+08:00")
            : ("2025-01-01T00:00:00+08:00", "2026-01-01T00:00:00+08:00");
        var where = $"first_whistled_at >= '{from}' AND first_whistled_at < '{to}'" + q.Name switch
        {
            "year, one street" => $" AND street_code = '{r.Street}'",
            "month, one department" => $" AND coalesce(department_code, returned_by_department_code) = '{r.Department}'",
            _ => "",
        };
        var group = q.Name switch
        {
            "year by department" => "coalesce(department_code, returned_by_department_code)",
            "year by community" => "community_code",
            _ => null,
        };
        var local = $"SELECT {group ?? "NULL"}, count(*) FROM orders WHERE state = 'handled-locally' AND filed_at >= '{from}' AND filed_at < '{to}'"
            + (q.Name == "year, one street" ? $" AND street_code = '{r.Street}'" : "")
            + (q.Name == "month, one department" ? " AND false" : "") + (group is null ? "" : " GROUP BY 1");
        var sql = group is null
            ? $"SELECT {NaiveFigures} FROM orders WHERE {where}; {local}"
            : $"SELECT {group}, {NaiveFigures} FROM orders WHERE {where} GROUP BY 1; {local}";
        await using var command = new NpgsqlCommand(sql, db);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = 0;
        do
        {
            while (await reader.ReadAsync(ct))
            {
                rows++;
            }
        }
        while (await reader.NextResultAsync(ct));
        return rows;
    }

    /// <summary>A cross-check: the service's year counts equal the naive SQL's.</summary>
    private static async Task<string> AgreeAsync(HttpClient http, NpgsqlConnection db, int size, CancellationToken ct)
    {
        var json = JsonDocument.Parse(await http.GetStringAsync("/api/v1/stats/summary?from=2025-01-01&to=2025-12-31", ct));
        var figures = json.RootElement.GetProperty("figures");
        await using var command = new NpgsqlCommand(
            $"SELECT {NaiveFigures} FROM orders WHERE first_whistled_at >= '2025-01-01T00:00:00+08:00' AND first_whistled_at < '2026-01-01T00:00:00+08:00'", db);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var pairs = new (string Name, long Sql)[]
        {
            ("dispatchedOrders", reader.GetInt64(0)), ("cancelledOrders", reader.GetInt64(1)), ("completedOrders", reader.GetInt64(2)),
            ("acknowledgedOnTime", reader.GetInt64(3)), ("resolvedOnTime", reader.GetInt64(4)), ("evaluatedOrders", reader.GetInt64(5)),
            ("satisfiedOrders", reader.GetInt64(6)), ("overdueNow", reader.GetInt64(7)), ("returns", reader.GetInt64(8)),
            ("reopens", reader.GetInt64(9)), ("escalations", reader.GetInt64(10)),
        };
        var acknowledge = reader.GetFieldValue<TimeSpan[]>(11);
        var differences = pairs.Where(p => figures.GetProperty(p.Name).GetInt64() != p.Sql)
            .Select(p => $"{p.Name} {figures.GetProperty(p.Name).GetInt64()} vs {p.Sql}").ToList();
        var median = figures.GetProperty("medianHoursToAcknowledge").GetDouble();
        if (Math.Abs(median - acknowledge[0].TotalHours) > 1e-6)
        {
            differences.Add($"medianHoursToAcknowledge {median} vs {acknowledge[0].TotalHours}");
        }
        return differences.Count == 0
            ? $"{size:N0} orders: the service's year figures equal the naive SQL's ({pairs.Length} counts and the median hours to acknowledge)."
            : $"{size:N0} orders: DIFFERENCES: {string.Join("; ", differences)}";
    }

    private static string Render(List<Row> rows, List<int> sizes, List<string> agreements)
    {
        var s = new StringBuilder();
        s.AppendLine(CultureInfo.InvariantCulture, $"## Statistics benchmark ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores)");
        s.AppendLine();
        s.AppendLine("Milliseconds per request, one client, loopback HTTP (naive SQL: one Npgsql connection, no HTTP). polled: the same question again, as a dashboard polls; polled, changing: six questions polled in turn every 50 ms while orders are filed and whistled; cold: a question never asked before.");
        s.AppendLine();
        var header = "| question | mode | " + string.Join(" | ", sizes.Select(n => $"{n:N0}: median / p99")) + (sizes.Count == 2 ? " | median ratio |" : " |");
        s.AppendLine(header);
        s.AppendLine("|" + string.Concat(Enumerable.Repeat("---|", 2 + sizes.Count + (sizes.Count == 2 ? 1 : 0))));
        foreach (var group in rows.GroupBy(r => (r.Endpoint, r.Name, r.Mode)))
        {
            var cells = sizes.Select(n => group.FirstOrDefault(r => r.Size == n) is { } r ? $"{r.Median:F2} / {r.P99:F2}" : "–").ToList();
            var ratio = sizes.Count == 2 && group.FirstOrDefault(r => r.Size == sizes[0]) is { } a && group.FirstOrDefault(r => r.Size == sizes[1]) is { } b
                ? $" | {b.Median / a.Median:F1}×" : sizes.Count == 2 ? " | –" : "";
            s.AppendLine(CultureInfo.InvariantCulture, $"| {group.Key.Endpoint}: {group.Key.Name} | {group.Key.Mode} | {string.Join(" | ", cells)}{ratio} |");
        }
        s.AppendLine();
        foreach (var agreement in agreements)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"- {agreement}");
        }
        return s.ToString();
    }
}
