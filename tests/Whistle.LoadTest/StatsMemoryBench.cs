using System.Diagnostics;
using System.Globalization;
using System.Text;
using Whistle.Api.Features.Seeding;
using Whistle.Api.Infrastructure;

namespace Whistle.LoadTest;

/// <summary>
/// What the statistics cost an instance at each history size: time from starting the process to
/// ready (and to its first statistics answer), resident memory (RSS, its peak, the managed heap)
/// once loaded and once the six dashboard questions are standing, and the bytes each further order
/// adds. Optionally a synthetic fill of the in-memory store far beyond what can be seeded here.
/// </summary>
internal static class StatsMemoryBench
{
    public const string Usage = """
        Usage: dotnet run -c Release --project tests/Whistle.LoadTest -- stats-memory [options]
          --sizes N,N,...    history sizes (orders seeded into 2025, clusters shared with the stats benchmark); default 10000,1000000
          --keep DIR         keep each seeded cluster under DIR/orders-N and reuse it (seeding a million takes minutes)
          --env NAME=VALUE   extra environment for the service (a GC setting to compare); repeatable
          --synthetic N      also fill the store with N synthetic orders in a process of the service's own (no database)
          --out FILE         also write the Markdown report to FILE
        """;

    private sealed record Row(long Orders, double ReadySeconds, double FirstAnswerSeconds, double ReadSeconds, long Rss, long PeakRss, long Heap, long RssStanding, string Note);

    public static async Task<int> RunAsync(string[] args, string apiDll, Action<string> log, CancellationToken ct)
    {
        var sizes = new List<int> { 10_000, 1_000_000 };
        string? keep = null;
        string? output = null;
        long synthetic = 0;
        var environment = new Dictionary<string, string>();
        if (args.Length % 2 != 0)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--sizes":
                    sizes = args[i + 1].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList();
                    break;
                case "--keep":
                    keep = Path.GetFullPath(args[i + 1]);
                    break;
                case "--out":
                    output = Path.GetFullPath(args[i + 1]);
                    break;
                case "--synthetic":
                    synthetic = long.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                case "--env" when args[i + 1].Split('=', 2) is [var name, var value]:
                    environment[name] = value;
                    break;
                default:
                    Console.Error.WriteLine(Usage);
                    return 2;
            }
        }
        // The scheduler would escalate the seeded year's overdue backlog meanwhile: its work, not the statistics'.
        Environment.SetEnvironmentVariable("Whistle__SchedulerEnabled", "false");
        var rows = new List<Row>();
        foreach (var size in sizes)
        {
            var folder = keep is null
                ? Path.Combine(Path.GetTempPath(), $"whistle-statsmem-{Guid.NewGuid():N}"[..32])
                : Path.Combine(keep, $"orders-{size}");
            await using var server = await EmbeddedPostgres.StartAsync(folder, "whistle_stats", durable: true,
                deleteOnDispose: keep is null, log: log, cancellationToken: ct);
            var connection = server.ConnectionStringFor("whistle_stats");
            if (await StatsBench.CountAsync(connection, ct) != size)
            {
                log($"Seeding {size:N0} orders into 2025");
                var seeding = Stopwatch.StartNew();
                await SeedOrders.SeedAsync(connection, new SeedOrders.Options(size, 2025, 1), TimeProvider.System, _ => { }, ct);
                log($"  seeded in {seeding.Elapsed.TotalSeconds:F0} s");
            }
            var key = (await BenchKeys.CreateAsync(connection, 1, "stats memory bench", ct))[0];
            var orders = await CountAllAsync(connection, ct);
            var clock = Stopwatch.StartNew();
            await using var api = await ApiProcess.StartAsync(apiDll, connection, log, ct, environment);
            var ready = clock.Elapsed.TotalSeconds;
            using var http = new HttpClient { BaseAddress = api.BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
            http.DefaultRequestHeaders.Add(BenchKeys.Header, key);
            // The first answer waits for the first load if ready did not (it catches up itself).
            (await http.GetAsync("/api/v1/stats/summary?from=2025-01-01&to=2025-12-31", ct)).EnsureSuccessStatusCode();
            var first = clock.Elapsed.TotalSeconds;
            // The service's own account of its first read (StatsWarmUp logs it), apart from the process's start-up.
            var read = System.Text.RegularExpressions.Regex.Match(api.Tail(), @"Statistics: \d+ orders read in (\d+) ms") is { Success: true } m
                ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) / 1000 : double.NaN;
            log($"  {orders:N0} orders: ready in {ready:F1} s, first statistics answer at {first:F1} s, the first read itself {read:F1} s");
            // Let the GC settle after the load, as an instance idles before traffic.
            await Task.Delay(TimeSpan.FromSeconds(5), ct);
            var (rss, peak) = Resident(api.ProcessId);
            var heap = await ManagedHeapAsync(http, ct);
            // The dashboards' six questions, each asked twice, become standing questions (their tallies kept).
            foreach (var path in StatsBench.QuestionPaths(await StatsBench.ReferenceAsync(connection, ct)))
            {
                for (var i = 0; i < 2; i++)
                {
                    (await http.GetAsync(path, ct)).EnsureSuccessStatusCode();
                }
            }
            await Task.Delay(TimeSpan.FromSeconds(3), ct);
            var (standing, peakAfter) = Resident(api.ProcessId);
            rows.Add(new Row(orders, ready, first, read, rss, Math.Max(peak, peakAfter), heap, standing, "seeded"));
            log($"  RSS {Mib(rss)} MiB (peak {Mib(Math.Max(peak, peakAfter))}), managed heap {Mib(heap)} MiB, with six standing questions {Mib(standing)} MiB");
        }
        if (synthetic > 0)
        {
            rows.Add(await SyntheticAsync(apiDll, synthetic, environment, log, ct));
        }
        var report = Render(rows, environment);
        Console.WriteLine();
        Console.WriteLine(report);
        if (output is not null)
        {
            await File.WriteAllTextAsync(output, report, ct);
            log($"Wrote {output}");
        }
        return 0;
    }

    /// <summary>
    /// The service's own verb <c>stats-synthetic</c>: its store filled through the loader's path with
    /// made-up orders, no database, in the service's runtime configuration (its GC settings).
    /// </summary>
    private static async Task<Row> SyntheticAsync(string apiDll, long orders, Dictionary<string, string> environment, Action<string> log, CancellationToken ct)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(apiDll)!,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(apiDll);
        info.ArgumentList.Add("stats-synthetic");
        info.ArgumentList.Add("--orders");
        info.ArgumentList.Add(orders.ToString(CultureInfo.InvariantCulture));
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }
        log($"Filling the store with {orders:N0} synthetic orders (no database)");
        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start dotnet");
        var text = await process.StandardOutput.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"stats-synthetic exited with {process.ExitCode}: {text}");
        }
        log("  " + text.Trim().Replace("\n", "\n  ", StringComparison.Ordinal));
        // Its last line: orders, load seconds, RSS, peak RSS, managed heap, RSS with questions standing (bytes), space-separated.
        var f = text.Trim().Split('\n')[^1].Split(' ');
        long L(int i) => long.Parse(f[i], CultureInfo.InvariantCulture);
        return new Row(L(0), double.NaN, double.NaN, double.Parse(f[1], CultureInfo.InvariantCulture), L(2), L(3), L(4), L(5), "synthetic");
    }

    private static async Task<long> CountAllAsync(string connection, CancellationToken ct)
    {
        await using var db = new Npgsql.NpgsqlConnection(connection);
        await db.OpenAsync(ct);
        await using var command = new Npgsql.NpgsqlCommand("SELECT count(*) FROM orders", db);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Resident and peak resident bytes of a process, from /proc.</summary>
    internal static (long Rss, long Peak) Resident(int pid)
    {
        long rss = 0, peak = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = Kib(line);
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                peak = Kib(line);
            }
        }
        return (rss, peak);

        static long Kib(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>The service's managed heap as its Prometheus endpoint reports it (dotnet_total_memory_bytes).</summary>
    private static async Task<long> ManagedHeapAsync(HttpClient http, CancellationToken ct)
    {
        var text = await http.GetStringAsync("/metrics", ct);
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("dotnet_total_memory_bytes ", StringComparison.Ordinal));
        return line is null ? -1 : (long)double.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
    }

    private static string Seconds(double s) => double.IsNaN(s) ? "–" : s.ToString("F1", CultureInfo.InvariantCulture);

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("N0", CultureInfo.InvariantCulture);

    private static string Render(List<Row> rows, Dictionary<string, string> environment)
    {
        var s = new StringBuilder();
        s.AppendLine(CultureInfo.InvariantCulture, $"## Statistics memory and start-up ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores)");
        s.AppendLine();
        if (environment.Count > 0)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"Service environment: {string.Join(", ", environment.Select(p => $"`{p.Key}={p.Value}`"))}.");
            s.AppendLine();
        }
        s.AppendLine("| orders | source | ready s | first statistics answer s | first read s | RSS MiB | peak RSS MiB | managed heap MiB | RSS, six standing questions MiB | bytes per further order (RSS) |");
        s.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        Row? previous = null;
        foreach (var r in rows)
        {
            var marginal = previous is { Note: "seeded" } p && r.Note == "seeded" && r.Orders > p.Orders
                ? ((double)(r.Rss - p.Rss) / (r.Orders - p.Orders)).ToString("F0", CultureInfo.InvariantCulture)
                : "–";
            s.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Orders:N0} | {r.Note} | {Seconds(r.ReadySeconds)} | {Seconds(r.FirstAnswerSeconds)} | {Seconds(r.ReadSeconds)} | {Mib(r.Rss)} | {Mib(r.PeakRss)} | {(r.Heap < 0 ? "–" : Mib(r.Heap))} | {(r.RssStanding < 0 ? "–" : Mib(r.RssStanding))} | {marginal} |");
            previous = r;
        }
        s.AppendLine();
        s.AppendLine("ready: from starting the process to /health/ready answering 200; first statistics answer: to the year's summary answered; first read: the service's own log of its first read of every order (synthetic: the fill).");
        s.AppendLine("Synthetic: made-up orders put into the store through the loader's own path, in a process of the service's runtime configuration; no database, no HTTP; its heap after a full collection, its standing questions four year-wide ones.");
        return s.ToString();
    }
}
