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
        PhaseResult Half, CpuReading HalfCpu, double HalfRate, int HalfStreams,
        PgbenchResult PgbenchBefore, PgbenchResult Pgbench, CpuReading PgbenchCpu);

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

        var met = PhaseResult.Percentile(r.Half.All, 99) < HalfLoadP99TargetMs ? "met" : "**missed**";
        Line(text, $"**Half load** (open loop, fixed schedule, latency from the intended send time): target {r.HalfRate:F0} requests/s " +
            $"over {r.HalfStreams} streams, achieved {r.Half.RequestsPerSecond:F0}/s, {r.Half.Errors} errors; p99 < {HalfLoadP99TargetMs} ms {met}. " +
            $"Send lag behind schedule (included in the latencies): p50 {PhaseResult.Percentile(r.Half.SendLags, 50):F1} ms, " +
            $"p99 {PhaseResult.Percentile(r.Half.SendLags, 99):F1} ms. Meanwhile the rest of the machine used {OthersShare(r.HalfCpu, cores):F0} % of the cores.");
        Line(text);
        LatencyTable(text, r.Half, withP90: false);
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

        var examples = r.Closed.ErrorExamples.Concat(r.Half.ErrorExamples).ToList();
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
