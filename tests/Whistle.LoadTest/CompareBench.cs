using System.Globalization;
using System.Text;

namespace Whistle.LoadTest;

/// <summary>
/// Two builds of the service in one run, on one cluster: the main benchmark's phases (closed loop, half load,
/// filing only) for each build in turn, the turn's order swapped every round, between one pgbench run before
/// and one after. On a shared machine only figures from the same run compare; this makes a before/after pair
/// one run. Both services run throughout (the idle one's background work falls on either build's phases alike).
/// </summary>
internal static class CompareBench
{
    public const string Usage = "usage: compare --before DLL [--after DLL] [--clients N] [--seconds S] [--rounds R] [--warmup S] [--out FILE]";

    private sealed record Measured(string Build, int Round, PhaseResult Closed, CpuReading ClosedCpu, DatabaseCounters ClosedCounters,
        IReadOnlyList<StatementStat> ClosedStatements, PhaseResult Half, CpuReading HalfCpu, PhaseResult Filing, CpuReading FilingCpu,
        IReadOnlyList<StatementStat> FilingStatements);

    public static async Task<int> RunAsync(string[] args, string apiDll, Action<string> log, CancellationToken ct)
    {
        var (clients, seconds, rounds, warmup) = (16, 20, 2, 30);
        string? before = null, output = null;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--before" when File.Exists(args[i + 1]):
                    before = Path.GetFullPath(args[i + 1]);
                    break;
                case "--after" when File.Exists(args[i + 1]):
                    // Another build than this tree's; also the two swapped, to see whether being started second costs anything.
                    apiDll = Path.GetFullPath(args[i + 1]);
                    break;
                case "--out":
                    output = Path.GetFullPath(args[i + 1]);
                    break;
                case "--clients" or "--seconds" or "--rounds" or "--warmup" when int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var n) && n > 0:
                    _ = args[i] switch
                    {
                        "--clients" => clients = n,
                        "--seconds" => seconds = n,
                        "--rounds" => rounds = n,
                        _ => warmup = n,
                    };
                    break;
                default:
                    Console.Error.WriteLine(Usage);
                    return 2;
            }
        }
        if (before is null)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }

        await using var database = await BenchDatabase.OpenAsync(null, log, ct);
        await database.PrepareAsync(ct);
        var keys = await BenchKeys.CreateAsync(database.ConnectionString, clients, "compare client", ct);
        var builds = new List<(string Name, string Dll, ApiProcess Api, HttpClient Http, LoadRunner Runner, CpuMeter Cpu)>();
        var postmaster = await database.PostmasterPidAsync(ct);
        try
        {
            foreach (var (name, dll) in new[] { ("before", before), ("after", apiDll) })
            {
                log($"Service {name}: {dll} (built {File.GetLastWriteTime(dll):yyyy-MM-dd HH:mm:ss})");
                var api = await ApiProcess.StartAsync(dll, database.ConnectionString, log, ct);
                var http = LoadRunner.CreateClient(api.BaseAddress);
                builds.Add((name, dll, api, http, await LoadRunner.CreateAsync(http, keys, ct), new CpuMeter(api.ProcessId, postmaster)));
            }
            if (!await database.TrackStatementsAsync(ct))
            {
                throw new InvalidOperationException("pg_stat_statements is not loaded on the benchmark's cluster.");
            }
            foreach (var build in builds)
            {
                log($"Warm-up {build.Name}: {clients} clients for {warmup} s (not measured)");
                await build.Runner.RunClosedAsync(clients, TimeSpan.FromSeconds(warmup), ct);
            }

            var scripts = Path.Combine(AppContext.BaseDirectory, "pgbench");
            log($"pgbench (before): {clients} clients for {seconds} s; both services idle");
            var pgbenchBefore = await Pgbench.RunAsync(database, scripts, clients, seconds, ct);
            log($"  {pgbenchBefore.Tps:F0} transactions/s");

            var measured = new List<Measured>();
            for (var round = 1; round <= rounds; round++)
            {
                foreach (var build in round % 2 == 1 ? builds : Enumerable.Reverse(builds))
                {
                    async Task<(PhaseResult, CpuReading, DatabaseCounters, IReadOnlyList<StatementStat>)> Phase(Func<Task<PhaseResult>> run)
                    {
                        await Task.Delay(TimeSpan.FromSeconds(1), ct);
                        await Statements.ResetAsync(database.ConnectionString, ct);
                        var counters = await Statements.CountersAsync(database.ConnectionString, ct);
                        var start = build.Cpu.Read();
                        var phase = await run();
                        var cpu = build.Cpu.Read() - start;
                        await Task.Delay(TimeSpan.FromSeconds(1), ct);
                        return (phase, cpu, await Statements.CountersAsync(database.ConnectionString, ct) - counters,
                            await Statements.ReadAsync(database.ConnectionString, ct));
                    }
                    var (closed, closedCpu, closedCounters, closedStatements) = await Phase(
                        () => build.Runner.RunClosedAsync(clients, TimeSpan.FromSeconds(seconds), ct));
                    var (half, halfCpu, _, _) = await Phase(
                        () => build.Runner.RunOpenAsync(closed.RequestsPerSecond / 2, clients * 2, TimeSpan.FromSeconds(seconds), ct));
                    var (filing, filingCpu, _, filingStatements) = await Phase(
                        () => build.Runner.RunClosedAsync(clients, TimeSpan.FromSeconds(seconds), ct, Flow.FileOnly));
                    measured.Add(new(build.Name, round, closed, closedCpu, closedCounters, closedStatements, half, halfCpu, filing, filingCpu, filingStatements));
                    log($"round {round} {build.Name}: closed {closed.RequestsPerSecond:F0}/s, half p99 {PhaseResult.Percentile(half.All, 99):F1} ms, " +
                        $"filing {filing.RequestsPerSecond:F0}/s; errors {closed.Errors + half.Errors + filing.Errors}");
                }
            }

            foreach (var build in builds)
            {
                await build.Api.DisposeAsync();
            }
            log($"pgbench (after): {clients} clients for {seconds} s; the services stopped");
            var pgbenchCpu = new CpuMeter(Environment.ProcessId, postmaster);
            var pgbenchStart = pgbenchCpu.Read();
            var pgbenchAfter = await Pgbench.RunAsync(database, scripts, clients, seconds, ct);
            var pgbenchUsed = pgbenchCpu.Read() - pgbenchStart;
            log($"  {pgbenchAfter.Tps:F0} transactions/s");

            var report = Render(measured, builds.Select(b => (b.Name, b.Dll)).ToList(), clients, seconds, pgbenchBefore, pgbenchAfter, pgbenchUsed);
            Console.WriteLine();
            Console.WriteLine(report);
            if (output is not null)
            {
                await File.WriteAllTextAsync(output, report, ct);
                log($"Wrote {output}");
            }
            return measured.Sum(m => m.Closed.Errors + m.Half.Errors + m.Filing.Errors) + pgbenchBefore.Failed + pgbenchAfter.Failed == 0 ? 0 : 1;
        }
        finally
        {
            foreach (var build in builds)
            {
                build.Http.Dispose();
                await build.Api.DisposeAsync();
            }
        }
    }

    private static string Render(List<Measured> measured, List<(string Name, string Dll)> builds, int clients, int seconds,
        PgbenchResult pgbenchBefore, PgbenchResult pgbenchAfter, CpuReading pgbenchCpu)
    {
        var text = new StringBuilder();
        void Line(string line = "") => text.Append(line).Append('\n');
        var raw = (pgbenchBefore.Tps + pgbenchAfter.Tps) / 2;
        var pgPerTx = 1000 * (pgbenchCpu.Postgres ?? double.NaN) / pgbenchAfter.Transactions;
        Line($"### Before / after in one run, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC: {clients} clients, {seconds} s per phase, " +
            $"{measured.Max(m => m.Round)} rounds (the builds' order swapped each round)");
        Line();
        foreach (var (name, dll) in builds)
        {
            Line($"- {name}: `{dll}`");
        }
        Line();
        Line(string.Create(CultureInfo.InvariantCulture,
            $"pgbench: {pgbenchBefore.Tps:F0} transactions/s before, {pgbenchAfter.Tps:F0} after (mean {raw:F0}); PostgreSQL {pgPerTx:F2} CPU-ms per transaction (after)."));
        Line();
        Line("| build | round | requests/s | / pgbench | CPU-ms / request: API / PostgreSQL | PostgreSQL / pgbench's | file p99 / others' p99 ms | " +
            "half load p99 ms (lag out) | lag's share | filings/s | CPU-ms / filing: API / PostgreSQL | statements, exec ms / request | statements, exec ms / filing |");
        Line("|---|---:|---:|---:|---|---:|---|---|---:|---:|---|---|---|");
        foreach (var m in measured)
        {
            var (file, others) = (PhaseResult.Percentile(m.Closed.Latencies[Operation.File], 99), PhaseResult.Percentile(m.Closed.AllBut(Operation.File), 99));
            var (halfP99, sentP99) = (PhaseResult.Percentile(m.Half.All, 99), PhaseResult.Percentile(m.Half.SinceSent, 99));
            Line(string.Create(CultureInfo.InvariantCulture,
                $"| {m.Build} | {m.Round} | {m.Closed.RequestsPerSecond:F0} | {100 * m.Closed.RequestsPerSecond / raw:F0} % | " +
                $"{Per(m.ClosedCpu.Api, m.Closed.Requests):F2} / {Per(m.ClosedCpu.Postgres, m.Closed.Requests):F2} | " +
                $"{Per(m.ClosedCpu.Postgres, m.Closed.Requests) / pgPerTx:F2}× | {file:F1} / {others:F1} ({file / others:F2}×) | " +
                $"{halfP99:F1} ({sentP99:F1}) | {100 * Math.Max(0, halfP99 - sentP99) / halfP99:F0} % | {m.Filing.RequestsPerSecond:F0} | " +
                $"{Per(m.FilingCpu.Api, m.Filing.Requests):F2} / {Per(m.FilingCpu.Postgres, m.Filing.Requests):F2} | " +
                $"{m.ClosedStatements.Sum(s => s.Calls) / (double)m.Closed.Requests:F2}, {m.ClosedStatements.Sum(s => s.TotalMs) / m.Closed.Requests:F3} | " +
                $"{m.FilingStatements.Sum(s => s.Calls) / (double)m.Filing.Requests:F2}, {m.FilingStatements.Sum(s => s.TotalMs) / m.Filing.Requests:F3} |"));
        }
        Line();
        Line("Medians over the rounds, after / before:");
        Line();
        Line("| figure | before | after | after / before |");
        Line("|---|---:|---:|---:|");
        void Median(string figure, Func<Measured, double> value, string format = "F2")
        {
            var b = MedianOf(measured.Where(m => m.Build == "before").Select(value));
            var a = MedianOf(measured.Where(m => m.Build == "after").Select(value));
            Line(string.Create(CultureInfo.InvariantCulture, $"| {figure} | {b.ToString(format, CultureInfo.InvariantCulture)} | {a.ToString(format, CultureInfo.InvariantCulture)} | {a / b:F2} |"));
        }
        Median("closed loop requests/s", m => m.Closed.RequestsPerSecond, "F0");
        Median("service / pgbench (%)", m => 100 * m.Closed.RequestsPerSecond / raw, "F0");
        Median("API CPU-ms / request", m => Per(m.ClosedCpu.Api, m.Closed.Requests));
        Median("PostgreSQL CPU-ms / request", m => Per(m.ClosedCpu.Postgres, m.Closed.Requests));
        Median("PostgreSQL CPU / request ÷ pgbench's / transaction", m => Per(m.ClosedCpu.Postgres, m.Closed.Requests) / pgPerTx);
        Median("closed loop p99 ms, file", m => PhaseResult.Percentile(m.Closed.Latencies[Operation.File], 99), "F1");
        Median("closed loop p99 ms, the other actions", m => PhaseResult.Percentile(m.Closed.AllBut(Operation.File), 99), "F1");
        Median("half load p99 ms", m => PhaseResult.Percentile(m.Half.All, 99), "F1");
        Median("half load p99 ms, send lag taken out", m => PhaseResult.Percentile(m.Half.SinceSent, 99), "F1");
        Median("half load send lag p99 ms", m => PhaseResult.Percentile(m.Half.SendLags, 99), "F1");
        Median("filing only: filings/s", m => m.Filing.RequestsPerSecond, "F0");
        Median("filing only: p99 ms", m => PhaseResult.Percentile(m.Filing.All, 99), "F1");
        Median("filing only: PostgreSQL CPU-ms / filing", m => Per(m.FilingCpu.Postgres, m.Filing.Requests));
        Median("filing only: statement execution ms / filing", m => m.FilingStatements.Sum(s => s.TotalMs) / m.Filing.Requests, "F3");
        Median("closed loop: WAL bytes / request", m => m.ClosedCounters.WalBytes / m.Closed.Requests, "F0");
        foreach (var build in builds.Select(b => b.Name))
        {
            var first = measured.First(m => m.Build == build);
            Line();
            Line($"**{build}, round {first.Round}: statements, closed loop**");
            Line();
            Statements.Table(text, first.ClosedStatements, first.Closed.Requests, "request");
            Line();
            Line($"**{build}, round {first.Round}: statements, filing only**");
            Line();
            Statements.Table(text, first.FilingStatements, first.Filing.Requests, "filing");
        }
        return text.ToString();
    }

    private static double Per(double? seconds, long count) => 1000 * (seconds ?? double.NaN) / Math.Max(1, count);

    private static double MedianOf(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
