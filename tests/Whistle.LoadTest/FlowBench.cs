using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Whistle.LoadTest;

/// <summary>
/// What a kind of order costs against the default one, in one run: the write loop's closed phase for each
/// <see cref="Flow"/> in turn (single, joint, filed by position, routed by a catalogue override), the turn
/// repeated so each flow is measured early and late in the run (the tables grow), with the CPU each phase
/// took from the service and PostgreSQL. Ratios are against the single order's phases of the same run.
/// </summary>
internal static class FlowBench
{
    public const string Usage = "usage: flows [--clients N] [--seconds S] [--rounds R] [--warmup S]";

    public static async Task<int> RunAsync(string[] args, string apiDll, Action<string> log, CancellationToken ct)
    {
        var (clients, seconds, rounds, warmup) = (16, 15, 3, 30);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var n = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--clients":
                    clients = n;
                    break;
                case "--seconds":
                    seconds = n;
                    break;
                case "--rounds":
                    rounds = n;
                    break;
                case "--warmup":
                    warmup = n;
                    break;
                default:
                    Console.Error.WriteLine(Usage);
                    return 2;
            }
        }

        await using var database = await BenchDatabase.OpenAsync(null, log, ct);
        await database.PrepareAsync(ct);
        var keys = await BenchKeys.CreateAsync(database.ConnectionString, clients, "flow client", ct);
        await using var api = await ApiProcess.StartAsync(apiDll, database.ConnectionString, log, ct);
        using var http = LoadRunner.CreateClient(api.BaseAddress);
        http.DefaultRequestHeaders.Add(BenchKeys.Header, keys[0]);
        var runner = await LoadRunner.CreateAsync(http, keys, ct);

        // Half the categories get an override in every street, each to another department than the category's own.
        var departments = await CodesAsync(http, "/api/v1/departments", ct);
        var categories = await ListAsync(http, "/api/v1/categories", ct);
        var streets = await CodesAsync(http, "/api/v1/streets", ct);
        var overridden = categories
            .Where(c => !(c.TryGetProperty("requiresResolutionPhoto", out var p) && p.GetBoolean()))
            .Where((_, i) => i % 2 == 0).ToArray();
        foreach (var category in overridden)
        {
            var own = category.GetProperty("departmentCode").GetString();
            var to = departments.First(d => d != own);
            foreach (var street in streets)
            {
                using var response = await http.PostAsJsonAsync("/api/v1/catalogue",
                    new { categoryCode = category.GetProperty("code").GetString(), streetCode = street, departmentCode = to }, ct);
                response.EnsureSuccessStatusCode();
            }
        }
        var overriddenCodes = overridden.Select(c => c.GetProperty("code").GetString()!).ToArray();
        log($"{overriddenCodes.Length} categories × {streets.Length} streets: {overriddenCodes.Length * streets.Length} catalogue overrides");
        runner.Configure(departments, overriddenCodes);

        // The filing-only loop is the main benchmark's phase, not a kind of order.
        var flows = Enum.GetValues<Flow>().Where(f => f != Flow.FileOnly).ToArray();
        log($"Warm-up: {clients} clients, {warmup} s over the {flows.Length} flows (not measured)");
        foreach (var flow in flows)
        {
            await runner.RunClosedAsync(clients, TimeSpan.FromSeconds(Math.Max(1, warmup / flows.Length)), ct, flow);
        }

        var cpu = new CpuMeter(api.ProcessId, await database.PostmasterPidAsync(ct));
        var measured = new List<(Flow Flow, int Round, PhaseResult Phase, CpuReading Cpu)>();
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var flow in flows)
            {
                var before = cpu.Read();
                var phase = await runner.RunClosedAsync(clients, TimeSpan.FromSeconds(seconds), ct, flow);
                var used = cpu.Read() - before;
                measured.Add((flow, round, phase, used));
                log($"round {round} {flow}: {phase.RequestsPerSecond:F0} requests/s, {phase.OrdersPerSecond:F1} orders/s, {phase.Errors} errors" +
                    (phase.ErrorExamples.Count > 0 ? $" ({phase.ErrorExamples[0]})" : ""));
            }
        }

        var report = Render(measured, clients, seconds, rounds, overriddenCodes.Length * streets.Length);
        Console.WriteLine();
        Console.WriteLine(report);
        return measured.Sum(m => m.Phase.Errors) == 0 ? 0 : 1;
    }

    private static string Render(List<(Flow Flow, int Round, PhaseResult Phase, CpuReading Cpu)> measured, int clients, int seconds, int rounds, int overrides)
    {
        var text = new StringBuilder();
        void Line(string line = "") => text.Append(line).Append('\n');
        Line($"### Flows, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC: {clients} clients, {rounds} rounds of {seconds} s per flow, {overrides} catalogue overrides");
        Line();
        Line("| flow | round | requests/s | orders/s | requests per order | CPU-ms per order: API / PostgreSQL | file p50 / p99 ms | whistle p50 / p99 ms | errors |");
        Line("|---|---:|---:|---:|---:|---|---|---|---:|");
        foreach (var (flow, round, phase, cpu) in measured)
        {
            var orders = Math.Max(1, phase.OrdersCompleted);
            Line($"| {Name(flow)} | {round} | {phase.RequestsPerSecond:F0} | {phase.OrdersPerSecond:F1} | {(double)phase.Requests / orders:F1} | " +
                $"{1000 * cpu.Api / orders:F1} / {1000 * (cpu.Postgres ?? double.NaN) / orders:F1} | " +
                $"{P(phase, Operation.File, 50)} / {P(phase, Operation.File, 99)} | {P(phase, Operation.Whistle, 50)} / {P(phase, Operation.Whistle, 99)} | {phase.Errors} |");
        }
        Line();
        Line("Medians over the rounds, and their ratio to the single order's:");
        Line();
        Line("| flow | orders/s | ratio | requests/s | ratio | CPU-ms per order (API + PostgreSQL) | ratio | file p50 ms | ratio | whistle p50 ms | ratio |");
        Line("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        var single = Medians(measured, Flow.Single);
        foreach (var flow in Enum.GetValues<Flow>())
        {
            var m = Medians(measured, flow);
            Line($"| {Name(flow)} | {m.Orders:F1} | {m.Orders / single.Orders:F2} | {m.Requests:F0} | {m.Requests / single.Requests:F2} | " +
                $"{m.CpuPerOrder:F1} | {m.CpuPerOrder / single.CpuPerOrder:F2} | {m.FileP50:F1} | {m.FileP50 / single.FileP50:F2} | " +
                $"{m.WhistleP50:F1} | {m.WhistleP50 / single.WhistleP50:F2} |");
        }
        return text.ToString();
    }

    private static (double Orders, double Requests, double CpuPerOrder, double FileP50, double WhistleP50) Medians(
        List<(Flow Flow, int Round, PhaseResult Phase, CpuReading Cpu)> measured, Flow flow)
    {
        var runs = measured.Where(m => m.Flow == flow).ToList();
        return (
            Median(runs.Select(r => r.Phase.OrdersPerSecond)),
            Median(runs.Select(r => r.Phase.RequestsPerSecond)),
            Median(runs.Select(r => 1000 * (r.Cpu.Api + (r.Cpu.Postgres ?? 0)) / Math.Max(1, r.Phase.OrdersCompleted))),
            Median(runs.Select(r => PhaseResult.Percentile(r.Phase.Latencies[Operation.File], 50))),
            Median(runs.Select(r => PhaseResult.Percentile(r.Phase.Latencies[Operation.Whistle], 50))));
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN
            : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string P(PhaseResult phase, Operation operation, double p) =>
        PhaseResult.Percentile(phase.Latencies[operation], p).ToString("F1", CultureInfo.InvariantCulture);

    private static string Name(Flow flow) => flow switch
    {
        Flow.Single => "single",
        Flow.Joint => "joint (lead + 2 co-handlers)",
        Flow.ByPosition => "filed by position (grid located)",
        Flow.ByOverride => "routed by a catalogue override",
        _ => flow.ToString(),
    };

    private static async Task<JsonElement[]> ListAsync(HttpClient http, string path, CancellationToken ct)
    {
        using var response = await http.GetAsync(path, ct);
        response.EnsureSuccessStatusCode();
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        return [.. document.RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    private static async Task<string[]> CodesAsync(HttpClient http, string path, CancellationToken ct) =>
        [.. (await ListAsync(http, path, ct)).Select(e => e.GetProperty("code").GetString()!)];
}
