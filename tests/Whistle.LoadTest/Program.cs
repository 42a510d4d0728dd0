using System.Globalization;
using Whistle.LoadTest;

// Whistle's load benchmark: the real service over loopback HTTP on its own PostgreSQL, then
// pgbench on the same cluster for the raw write limit. See docs/benchmarks.md for what each figure means.
// The verb "stats" runs the statistics benchmark instead (StatsBench.cs), "webhooks" the webhook delivery one (WebhookBench.cs),
// "photos" the photo upload, processing and serving one (PhotoBench.cs), "flows" what a joint order, a filing by
// position and a whistle routed by a catalogue override cost against the default order (FlowBench.cs), "nearby"
// nearby orders at a million against the naive query (NearbyBench.cs), "stats-memory" the statistics' memory and
// start-up at each history size (StatsMemoryBench.cs), "compare" two builds of the service in one run (CompareBench.cs),
// "reference" the spreadsheet import of the reference lists, in process (ReferenceBench.cs), "app" the field app's shell size,
// first screen on a throttled network and photo shrinking in headless Chromium (AppBench.cs).
if (args is ["reference", .. var referenceArgs])
{
    return await ReferenceBench.RunAsync(referenceArgs, Log);
}
var repository = RepositoryRoot();
// WHISTLE_BENCH_API_DLL: another build of the service (say, a copy of the one before a change), for a before/after in one run.
var apiDll = Environment.GetEnvironmentVariable("WHISTLE_BENCH_API_DLL") is { Length: > 0 } other
    ? Path.GetFullPath(other)
    : Path.Combine(repository, "src", "Whistle.Api", "bin", "Release", "net10.0", "Whistle.Api.dll");
if (!File.Exists(apiDll))
{
    Console.Error.WriteLine($"No Release build of the service at {apiDll}: run with -c Release (it builds the API) or dotnet build -c Release src/Whistle.Api.");
    return 1;
}
if (args is ["stats", .. var statsArgs])
{
    using var cancel = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        cancel.Cancel();
    };
    return await StatsBench.RunAsync(statsArgs, apiDll, Log, cancel.Token);
}
if (args is ["stats-memory", .. var memoryArgs])
{
    using var cancel = new CancellationTokenSource();
    return await StatsMemoryBench.RunAsync(memoryArgs, apiDll, Log, cancel.Token);
}
if (args is ["webhooks", .. var webhookArgs])
{
    using var cancel = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        cancel.Cancel();
    };
    return await WebhookBench.RunAsync(webhookArgs, apiDll, Log, cancel.Token);
}
if (args is ["flows", .. var flowArgs])
{
    using var cancel = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        cancel.Cancel();
    };
    return await FlowBench.RunAsync(flowArgs, apiDll, Log, cancel.Token);
}
if (args is ["compare", .. var compareArgs])
{
    using var cancel = new CancellationTokenSource();
    return await CompareBench.RunAsync(compareArgs, apiDll, Log, cancel.Token);
}
if (args is ["nearby", .. var nearbyArgs])
{
    using var cancel = new CancellationTokenSource();
    return await NearbyBench.RunAsync(nearbyArgs, apiDll, Log, cancel.Token);
}
if (args is ["app", .. var appArgs])
{
    using var cancel = new CancellationTokenSource();
    return await AppBench.RunAsync(appArgs, apiDll, Log, cancel.Token);
}
if (args is ["photos", .. var photoArgs])
{
    using var cancel = new CancellationTokenSource();
    return await PhotoBench.RunAsync(photoArgs, apiDll, repository, Log, cancel.Token);
}
var options = BenchOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // Let the finally blocks stop the service and the cluster instead of dying with them running.
    e.Cancel = true;
    stop.Cancel();
};
var ct = stop.Token;

// Another build of the service (say, the previous commit's) for a before/after pair on the same machine state.
if (options.Api is not null)
{
    apiDll = options.Api;
}
Log($"Service under test: {apiDll} (built {File.GetLastWriteTime(apiDll):yyyy-MM-dd HH:mm:ss})");

await using var database = await BenchDatabase.OpenAsync(options.Connection, Log, ct);
await database.PrepareAsync(ct);
// Every request needs a credential: each client gets an admin key of its own (admins take every step of an order's life).
var keys = await BenchKeys.CreateAsync(database.ConnectionString, options.Clients, "load client", ct);
await using var api = await ApiProcess.StartAsync(apiDll, database.ConnectionString, Log, ct);

using var http = LoadRunner.CreateClient(api.BaseAddress);
var runner = await LoadRunner.CreateAsync(http, keys, ct);
var cpu = new CpuMeter(api.ProcessId, await database.PostmasterPidAsync(ct));
var tracking = await database.TrackStatementsAsync(ct);
if (!tracking)
{
    Log("pg_stat_statements is not loaded on this server: no per-statement tables");
}

// Each phase's statements alone: the view is reset as it starts and read as it ends (its counters subtracted).
// pg_stat_database's counters are sent by each backend at the end of a transaction, at most every half second:
// the short wait lets the phase's last ones arrive.
async Task<T> Tracked<T>(Func<Task<T>> phase, Action<IReadOnlyList<StatementStat>, DatabaseCounters> read)
{
    if (tracking)
    {
        await Task.Delay(TimeSpan.FromSeconds(1), ct);
        await Statements.ResetAsync(database.ConnectionString, ct);
    }
    var start = await Statements.CountersAsync(database.ConnectionString, ct);
    var result = await phase();
    await Task.Delay(TimeSpan.FromSeconds(1), ct);
    var counters = await Statements.CountersAsync(database.ConnectionString, ct) - start;
    read(tracking ? await Statements.ReadAsync(database.ConnectionString, ct) : [], counters);
    return result;
}
IReadOnlyList<StatementStat>? pgbenchStatements = null, closedStatements = null, filingStatements = null;
DatabaseCounters? pgbenchCounters = null, closedCounters = null, filingCounters = null;

Log($"Warm-up: {options.Clients} clients for {options.WarmupSeconds} s (not measured)");
await runner.RunClosedAsync(options.Clients, TimeSpan.FromSeconds(options.WarmupSeconds), ct);

// The raw limit is measured twice, before and after the service's phases, and averaged: the tables
// grow and bloat as the run goes on, and one measurement at either end would favour one side.
Log($"pgbench (before): file.sql@1 action.sql@4, {options.Clients} clients for {options.Seconds} s; the service idles");
var pgbenchBefore = await Tracked(
    () => Pgbench.RunAsync(database, Path.Combine(AppContext.BaseDirectory, "pgbench"), options.Clients, options.Seconds, ct),
    (s, c) => (pgbenchStatements, pgbenchCounters) = (s, c));
Log($"  {pgbenchBefore.Tps:F0} transactions/s, {pgbenchBefore.Failed} failed");

Log($"Closed loop: {options.Clients} clients for {options.Seconds} s");
var closedCpuStart = cpu.Read();
var closed = await Tracked(() => runner.RunClosedAsync(options.Clients, TimeSpan.FromSeconds(options.Seconds), ct), (s, c) => (closedStatements, closedCounters) = (s, c));
var closedCpu = cpu.Read() - closedCpuStart;
Log($"  {closed.RequestsPerSecond:F0} requests/s, {closed.Errors} errors");

// Half of what the closed loop reached; each stream keeps its own fixed schedule, so a slow
// response delays the following sends and their latency counts from when they were due.
var halfRate = closed.RequestsPerSecond / 2;
var streams = options.Clients * 2;
Log($"Open loop: {halfRate:F0} requests/s over {streams} streams for {options.Seconds} s");
var halfCpuStart = cpu.Read();
var trace = new PhaseTrace(database.ConnectionString, cpu);
var half = await trace.RunAsync(() => runner.RunOpenAsync(halfRate, streams, TimeSpan.FromSeconds(options.Seconds), ct), options.Trace, ct);
var halfCpu = cpu.Read() - halfCpuStart;
Log($"  {half.RequestsPerSecond:F0} requests/s, {half.Errors} errors");

// Filings alone, closed loop: what filing costs the service and the database per request, apart from the actions.
// Last of the service's phases, as the orders it files stay open (the duplicate search finds them).
Log($"Filing only: {options.Clients} clients for {options.Seconds} s");
var filingCpuStart = cpu.Read();
var filing = await Tracked(
    () => runner.RunClosedAsync(options.Clients, TimeSpan.FromSeconds(options.Seconds), ct, Flow.FileOnly), (s, c) => (filingStatements, filingCounters) = (s, c));
var filingCpu = cpu.Read() - filingCpuStart;
Log($"  {filing.RequestsPerSecond:F0} filings/s, {filing.Errors} errors");

// The service is idle from here on; stop it so it takes no CPU from the pgbench run.
await api.DisposeAsync();

Log($"pgbench (after): file.sql@1 action.sql@4, {options.Clients} clients for {options.Seconds} s");
var pgbenchCpuStart = cpu.Read();
var pgbench = await Pgbench.RunAsync(database, Path.Combine(AppContext.BaseDirectory, "pgbench"), options.Clients, options.Seconds, ct);
var pgbenchCpu = cpu.Read() - pgbenchCpuStart;
Log($"  {pgbench.Tps:F0} transactions/s, {pgbench.Failed} failed");

var report = Report.Render(new Report.Inputs(
    options, await database.ServerVersionAsync(ct), database.IsEmbedded, closed, closedCpu, half, halfCpu, halfRate, streams, trace, filing, filingCpu, pgbenchBefore, pgbench, pgbenchCpu,
    tracking ? pgbenchStatements : null, tracking ? closedStatements : null, tracking ? filingStatements : null,
    pgbenchCounters!, closedCounters!, filingCounters!));
Console.WriteLine();
Console.WriteLine(report);
if (options.Out is not null)
{
    await File.WriteAllTextAsync(options.Out, report, ct);
    Log($"Wrote {options.Out}");
}
return closed.Errors + half.Errors + filing.Errors + pgbench.Failed + pgbenchBefore.Failed == 0 ? 0 : 1;

static void Log(string message) =>
    Console.WriteLine($"[{DateTime.Now.ToString("HH:mm:ss", CultureInfo.InvariantCulture)}] {message}");

static string RepositoryRoot()
{
    for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
    {
        if (File.Exists(Path.Combine(directory.FullName, "Whistle.sln")))
        {
            return directory.FullName;
        }
    }
    throw new InvalidOperationException($"Whistle.sln not found above {AppContext.BaseDirectory}");
}

namespace Whistle.LoadTest
{
    internal sealed record BenchOptions(int Clients, int Seconds, int WarmupSeconds, string? Connection, string? Out, string? Api = null, string? Trace = null)
    {
        public const string Usage = """
            Usage: dotnet run -c Release --project tests/Whistle.LoadTest -- [options]
              --clients N        concurrent clients (closed loop) and pgbench clients; default 16
              --seconds S        length of each measured phase; default 20
              --warmup S         unmeasured warm-up before the closed loop (lets tiered JIT settle); default 30
              --connection CS    an Npgsql connection string to a THROWAWAY database (pgbench writes junk rows);
                                 default: a private durable PostgreSQL in a temporary folder, removed at the end
              --out FILE         also write the Markdown report to FILE
              --api DLL          the service build to run instead of this tree's Release one (a Whistle.Api.dll)
              --trace FILE       write the half load's samples (every 100 ms: CPU per party, steal, PostgreSQL's
                                 active backends and their waits, autovacuum), tab-separated
            """;

        public static BenchOptions? Parse(string[] args)
        {
            var options = new BenchOptions(16, 20, 30, null, null);
            for (var i = 0; i < args.Length; i++)
            {
                var value = i + 1 < args.Length ? args[i + 1] : null;
                if (value is null)
                {
                    return null;
                }
                options = args[i] switch
                {
                    "--clients" when PositiveInt(value, 1024) is { } n => options with { Clients = n },
                    "--seconds" when PositiveInt(value, 3600) is { } n => options with { Seconds = n },
                    "--warmup" when PositiveInt(value, 600) is { } n => options with { WarmupSeconds = n },
                    "--connection" => options with { Connection = value },
                    "--out" => options with { Out = Path.GetFullPath(value) },
                    "--api" when File.Exists(value) => options with { Api = Path.GetFullPath(value) },
                    "--trace" => options with { Trace = Path.GetFullPath(value) },
                    _ => null,
                };
                if (options is null)
                {
                    return null;
                }
                i++;
            }
            return options;
        }

        private static int? PositiveInt(string text, int max) =>
            int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 && n <= max ? n : null;
    }
}
