using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Whistle.LoadTest;

/// <summary>The benchmark's findings as Markdown, ready to paste into docs/benchmarks.md.</summary>
internal static class Report
{
    /// <summary>The half-load latency the service is expected to keep.</summary>
    private const double HalfLoadP99TargetMs = 25;

    internal sealed record Inputs(
        BenchOptions Options, string PostgresVersion, bool Embedded,
        PhaseResult Closed, CpuReading ClosedCpu,
        PhaseResult Half, CpuReading HalfCpu, double HalfRate, int HalfStreams, PhaseTrace HalfTrace,
        PhaseResult Filing, CpuReading FilingCpu,
        PgbenchResult PgbenchBefore, PgbenchResult Pgbench, CpuReading PgbenchCpu,
        IReadOnlyList<StatementStat>? PgbenchStatements, IReadOnlyList<StatementStat>? ClosedStatements, IReadOnlyList<StatementStat>? FilingStatements,
        DatabaseCounters PgbenchCounters, DatabaseCounters ClosedCounters, DatabaseCounters FilingCounters);

    /// <summary>The issue's bounds: filing's p99 against the other actions', and PostgreSQL's CPU per request against pgbench's per transaction.</summary>
    private const double FilingP99Bound = 1.5, PostgresCpuBound = 1.2, ServiceShareTarget = 60;

    public static string Render(Inputs r)
    {
        var cores = Environment.ProcessorCount;
        var text = new StringBuilder();
        Line(text, $"### Whistle load benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Line(text);
        Line(text, $"Machine: {cores} cores ({CpuModel()}), {RuntimeInformation.OSDescription}, .NET {Environment.Version}, " +
            $"PostgreSQL {r.PostgresVersion} ({(r.Embedded ? "private durable cluster: fsync on, synchronous_commit on" : "given database")}). " +
            $"{r.Options.Clients} clients, {r.Options.Seconds} s per phase after {r.Options.WarmupSeconds} s warm-up.");
        Line(text);

        Line(text, $"**Closed loop** ({r.Options.Clients} clients): **{r.Closed.RequestsPerSecond:F0} requests/s**, " +
            $"{r.Closed.OrdersPerSecond:F1} orders/s through all five steps, {r.Closed.Errors} errors in {r.Closed.Requests} requests.");
        Line(text);
        LatencyTable(text, r.Closed, withP90: true);
        Line(text);
        var fileP99 = PhaseResult.Percentile(r.Closed.Latencies[Operation.File], 99);
        var othersP99 = PhaseResult.Percentile(r.Closed.AllBut(Operation.File), 99);
        Line(text, $"Filing p99 {fileP99:F1} ms against the other actions' {othersP99:F1} ms: **{fileP99 / othersP99:F2}×** " +
            $"(bound {FilingP99Bound}×: {(fileP99 <= FilingP99Bound * othersP99 ? "met" : "**missed**")}).");
        Line(text);

        var raw = (r.PgbenchBefore.Tps + r.Pgbench.Tps) / 2;
        Line(text, "**Raw database limit** (pgbench, same cluster, same clients, 1 file.sql : 4 action.sql, one request = one transaction; " +
            "run before and after the service's phases and averaged):");
        Line(text);
        Line(text, "| | per second | ratio |");
        Line(text, "|---|---:|---:|");
        Line(text, $"| pgbench transactions, before / after | {r.PgbenchBefore.Tps:F0} / {r.Pgbench.Tps:F0} | |");
        Line(text, $"| pgbench transactions, mean | {raw:F0} | 100 % |");
        Line(text, $"| service requests | {r.Closed.RequestsPerSecond:F0} | {100 * r.Closed.RequestsPerSecond / raw:F0} % |");
        Line(text);
        Line(text, $"pgbench after: {r.Pgbench.Transactions} transactions, {r.Pgbench.Failed} failed, latency average {r.Pgbench.LatencyMs:F2} ms " +
            $"(before: {r.PgbenchBefore.Transactions}, {r.PgbenchBefore.Failed} failed, {r.PgbenchBefore.LatencyMs:F2} ms).");
        Line(text);

        var halfP99 = PhaseResult.Percentile(r.Half.All, 99);
        var sentP99 = PhaseResult.Percentile(r.Half.SinceSent, 99);
        var met = halfP99 < HalfLoadP99TargetMs ? "met" : "**missed**";
        Line(text, $"**Half load** (open loop, fixed schedule, latency from the intended send time): target {r.HalfRate:F0} requests/s " +
            $"over {r.HalfStreams} streams, achieved {r.Half.RequestsPerSecond:F0}/s, {r.Half.Errors} errors; p99 {halfP99:F1} ms, < {HalfLoadP99TargetMs} ms {met}. " +
            $"Meanwhile the rest of the machine used {OthersShare(r.HalfCpu, cores):F0} % of the cores.");
        Line(text);
        // The generator shares the cores: a request it sends late is late before the service sees it. Latency less each
        // request's own send lag is what the service (and loopback) took; the difference of the two p99s is the lag's share.
        Line(text, $"The load generator's own part: send lag behind schedule p50 {PhaseResult.Percentile(r.Half.SendLags, 50):F1} ms, " +
            $"p99 {PhaseResult.Percentile(r.Half.SendLags, 99):F1} ms, max {(r.Half.SendLags.Length == 0 ? double.NaN : r.Half.SendLags[^1]):F1} ms; " +
            $"its CPU {PerTransaction(r.HalfCpu.LoadGenerator, r.Half.Requests)} ms per request ({100 * r.HalfCpu.LoadGenerator / (cores * r.HalfCpu.Seconds):F0} % of the cores). " +
            $"Latency from when each request left (its lag taken out): p50 {PhaseResult.Percentile(r.Half.SinceSent, 50):F1} ms, **p99 {sentP99:F1} ms**; " +
            $"the send lag explains **{100 * Math.Max(0, halfP99 - sentP99) / halfP99:F0} %** of the p99.");
        Line(text);
        Line(text, $"When the slow ones came: {r.Half.Bursts()}.");
        Line(text);
        // The half load's p99 on two shared cores is decided by what else runs: split by the 100 ms samples of what ran.
        var byDisturbance = r.Half.Timeline.ToLookup(t => r.HalfTrace.Disturbed(t.Due, cores), t => t.Milliseconds);
        var disturbed = byDisturbance[true].Order().ToArray();
        var quiet = byDisturbance[false].Order().ToArray();
        var vacuumed = r.HalfTrace.Samples.Where(s => s.Autovacuum > 0).Select(s => s.AutovacuumQuery).Distinct().ToList();
        var syncs = r.HalfTrace.Samples.Where(s => s.WalSyncs > 0).Select(s => s.MeanSyncMs).Order().ToArray();
        Line(text, $"**What else ran**: autovacuum in {r.HalfTrace.Samples.Count(s => s.Autovacuum > 0)}, steal over 5 % in " +
            $"{r.HalfTrace.Samples.Count(s => s.Stolen(cores))}, a WAL flush averaging over {PhaseTrace.SlowSyncMs} ms in {r.HalfTrace.Samples.Count(s => s.MeanSyncMs > PhaseTrace.SlowSyncMs)} " +
            $"of {r.HalfTrace.Samples.Count} 100-ms samples (WAL flush per sample: median {PhaseResult.Percentile(syncs, 50):F1} ms, worst {(syncs.Length > 0 ? syncs[^1] : double.NaN):F1} ms)" +
            $"{(vacuumed.Count > 0 ? $" ({string.Join("; ", vacuumed)})" : "")}. Requests due in a quiet interval: {quiet.Length}, " +
            $"**p99 {PhaseResult.Percentile(quiet, 99):F1} ms** ({(PhaseResult.Percentile(quiet, 99) < HalfLoadP99TargetMs ? "met" : "missed")}); " +
            $"due while autovacuum ran, another guest had the cores or the disk was slow to flush (or in the interval before): {disturbed.Length}, p99 {PhaseResult.Percentile(disturbed, 99):F1} ms.");
        Line(text);
        LatencyTable(text, r.Half, withP90: false);
        Line(text);

        Line(text, $"**Filing only** (closed loop, {r.Options.Clients} clients, every order left discovered): **{r.Filing.RequestsPerSecond:F0} filings/s**, " +
            $"{r.Filing.Errors} errors; p50 {PhaseResult.Percentile(r.Filing.All, 50):F1} ms, p99 {PhaseResult.Percentile(r.Filing.All, 99):F1} ms. " +
            $"CPU-ms per filing: API {PerTransaction(r.FilingCpu.Api, r.Filing.Requests)}, PostgreSQL {PerTransaction(r.FilingCpu.Postgres, r.Filing.Requests)}, " +
            $"load generator {PerTransaction(r.FilingCpu.LoadGenerator, r.Filing.Requests)} (the mixed loop's per request: " +
            $"{PerTransaction(r.ClosedCpu.Api, r.Closed.Requests)} / {PerTransaction(r.ClosedCpu.Postgres, r.Closed.Requests)} / " +
            $"{PerTransaction(r.ClosedCpu.LoadGenerator, r.Closed.Requests)}).");
        Line(text);

        Line(text, $"**Where the CPU goes** (closed loop, {r.ClosedCpu.Seconds:F1} s, {cores} cores = {cores * r.ClosedCpu.Seconds:F1} CPU-s available):");
        Line(text);
        Line(text, "| | CPU-s | CPU-ms / request | share of the cores |");
        Line(text, "|---|---:|---:|---:|");
        var requests = r.Closed.Requests;
        var pg = r.ClosedCpu.Postgres;
        var others = Others(r.ClosedCpu);
        CpuRow(text, "API (Whistle.Api)", r.ClosedCpu.Api, requests, r.ClosedCpu.Seconds, cores);
        CpuRow(text, "PostgreSQL (all its processes)", pg, requests, r.ClosedCpu.Seconds, cores);
        CpuRow(text, "load generator (this process)", r.ClosedCpu.LoadGenerator, requests, r.ClosedCpu.Seconds, cores);
        CpuRow(text, "everything else on the machine", others, requests, r.ClosedCpu.Seconds, cores);
        CpuRow(text, $"**all {cores} cores busy**", r.ClosedCpu.MachineBusy, requests, r.ClosedCpu.Seconds, cores);
        CpuRow(text, "steal (hypervisor gave to others)", r.ClosedCpu.MachineSteal, requests, r.ClosedCpu.Seconds, cores);
        Line(text);
        Line(text, $"For comparison, under pgbench PostgreSQL used {PerTransaction(r.PgbenchCpu.Postgres, r.Pgbench.Transactions)} CPU-ms per transaction " +
            $"and pgbench itself {PerTransaction(r.PgbenchCpu.LoadGenerator, r.Pgbench.Transactions)}; " +
            $"all cores {100 * r.PgbenchCpu.MachineBusy / (cores * r.PgbenchCpu.Seconds):F0} % busy, {OthersShare(r.PgbenchCpu, cores):F0} % of them by the rest of the machine.");
        Line(text);

        var share = 100 * r.Closed.RequestsPerSecond / raw;
        Line(text, "**Targets** (this run):");
        Line(text);
        Line(text, $"- service / pgbench: {share:F0} % (target ≥ {ServiceShareTarget} %: {(share >= ServiceShareTarget ? "met" : "**missed**")})");
        if (r.ClosedCpu.Postgres is { } closedPg && r.PgbenchCpu.Postgres is { } pgbenchPg)
        {
            var ratio = (closedPg / r.Closed.Requests) / (pgbenchPg / r.Pgbench.Transactions);
            Line(text, $"- PostgreSQL CPU per service request / per pgbench transaction: {1000 * closedPg / r.Closed.Requests:F2} / " +
                $"{1000 * pgbenchPg / r.Pgbench.Transactions:F2} ms = {ratio:F2}× (bound {PostgresCpuBound}×: {(ratio <= PostgresCpuBound ? "met" : "**missed**")})");
        }
        Line(text, $"- filing p99 / other actions' p99 (closed loop): {fileP99 / othersP99:F2}× (bound {FilingP99Bound}×: {(fileP99 <= FilingP99Bound * othersP99 ? "met" : "**missed**")})");
        Line(text, $"- half-load p99: {halfP99:F1} ms (target < {HalfLoadP99TargetMs} ms: {met}); {sentP99:F1} ms with each request's send lag taken out; " +
            $"{PhaseResult.Percentile(quiet, 99):F1} ms over the {100.0 * quiet.Length / Math.Max(1, r.Half.Timeline.Length):F0} % of requests due while neither autovacuum, another guest nor a slow disk flush was seen");

        Line(text);
        Line(text, "**The database's counters** (`pg_stat_database`, `pg_stat_wal`):");
        Line(text);
        Line(text, $"- pgbench before, {r.PgbenchCounters.Per(r.PgbenchBefore.Transactions, "transaction")}");
        Line(text, $"- closed loop, {r.ClosedCounters.Per(r.Closed.Requests, "request")}");
        Line(text, $"- filing only, {r.FilingCounters.Per(r.Filing.Requests, "filing")}");
        if (r.PgbenchStatements is { } pgbenchStatements)
        {
            Line(text);
            Line(text, "**Statements, pgbench before** (`pg_stat_statements`; execution time only, not parse, network or commit waits):");
            Line(text);
            Statements.Table(text, pgbenchStatements, r.PgbenchBefore.Transactions, "transaction");
        }
        if (r.ClosedStatements is { } closedStatements)
        {
            Line(text);
            Line(text, "**Statements, closed loop** (five requests an order: file, whistle, acknowledge, resolve, evaluate):");
            Line(text);
            Statements.Table(text, closedStatements, r.Closed.Requests, "request");
        }
        if (r.FilingStatements is { } filingStatements)
        {
            Line(text);
            Line(text, "**Statements, filing only**:");
            Line(text);
            Statements.Table(text, filingStatements, r.Filing.Requests, "filing");
        }

        var examples = r.Closed.ErrorExamples.Concat(r.Half.ErrorExamples).Concat(r.Filing.ErrorExamples).ToList();
        if (examples.Count > 0)
        {
            Line(text);
            Line(text, "Errors seen (first few):");
            Line(text);
            foreach (var example in examples)
            {
                Line(text, $"- `{example.ReplaceLineEndings(" ")}`");
            }
        }
        return text.ToString();
    }

    private static void LatencyTable(StringBuilder text, PhaseResult phase, bool withP90)
    {
        Line(text, withP90 ? "| operation | requests | errors | p50 ms | p90 ms | p99 ms | max ms |" : "| operation | requests | errors | p50 ms | p99 ms | max ms |");
        Line(text, withP90 ? "|---|---:|---:|---:|---:|---:|---:|" : "|---|---:|---:|---:|---:|---:|");
        foreach (var (operation, samples) in phase.Latencies.Where(l => l.Value.Length > 0))
        {
            Row(operation.ToString().ToLowerInvariant(), samples, phase.ErrorsBy[operation]);
        }
        Row("**all**", phase.All, phase.Errors);

        void Row(string name, double[] sorted, long errors)
        {
            var p90 = withP90 ? $" {PhaseResult.Percentile(sorted, 90):F1} |" : "";
            Line(text, $"| {name} | {sorted.Length} | {errors} | {PhaseResult.Percentile(sorted, 50):F1} |{p90} " +
                $"{PhaseResult.Percentile(sorted, 99):F1} | {(sorted.Length == 0 ? double.NaN : sorted[^1]):F1} |");
        }
    }

    /// <summary>CPU the benchmark's own processes did not use: other work on this shared machine.</summary>
    // A PostgreSQL backend that exits during a phase brings its whole life's CPU into the postmaster's
    // reaped time, so the known processes can over-count a phase: the rest is then taken as none.
    private static double Others(CpuReading cpu) => Math.Max(0, cpu.MachineBusy - cpu.Api - (cpu.Postgres ?? 0) - cpu.LoadGenerator);

    private static double OthersShare(CpuReading cpu, int cores) => 100 * Others(cpu) / (cores * cpu.Seconds);

    private static void CpuRow(StringBuilder text, string name, double? seconds, long requests, double elapsed, int cores) =>
        Line(text, seconds is { } s
            ? $"| {name} | {s:F1} | {1000 * s / requests:F2} | {100 * s / (cores * elapsed):F0} % |"
            : $"| {name} | n/a (not on this machine) | | |");

    private static string PerTransaction(double? seconds, long transactions) =>
        seconds is { } s ? (1000 * s / transactions).ToString("F2", CultureInfo.InvariantCulture) : "n/a";

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? "unknown CPU" : line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }

    private static void Line(StringBuilder text, string line = "") => text.Append(line).Append('\n');
}
