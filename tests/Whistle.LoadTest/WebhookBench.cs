using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Whistle.LoadTest;

/// <summary>
/// The webhook benchmark: order events from the service's outbox to a receiver on loopback, with
/// one dispatcher (one service process) and then two (a second process over the same database).
/// For each: the lag from the change to its delivery while orders are worked at a steady rate, and
/// the delivery rate draining a backlog (the subscription paused while the backlog is written, then
/// enabled). Every request's signature is checked, and every event must arrive exactly once.
/// </summary>
internal static class WebhookBench
{
    public const string Usage = """
        Usage: dotnet run -c Release --project tests/Whistle.LoadTest -- webhooks [options]
          --clients N    clients writing the backlog (closed loop); default 16
          --seconds S    length of each load phase; default 10
          --rate R       requests per second during the lag phases (3 of every 5 requests raise an event); default 300
          --warmup S     unmeasured warm-up; default 10
          --out FILE     also write the Markdown report to FILE
        """;

    private sealed record Row(int Dispatchers, string Phase, long Events, double EventsPerSecond, double? LagP50, double? LagP99, double WriteRate);

    public static async Task<int> RunAsync(string[] args, string apiDll, Action<string> log, CancellationToken ct)
    {
        int clients = 16, seconds = 10, warmup = 10;
        double rate = 300;
        string? output = null;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--clients":
                    clients = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                case "--seconds":
                    seconds = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                case "--rate":
                    rate = double.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                case "--warmup":
                    warmup = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
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
        // The deadline scheduler has nothing to do here; the dispatcher is on (its default) in every process.
        Environment.SetEnvironmentVariable("Whistle__SchedulerEnabled", "false");

        await using var database = await BenchDatabase.OpenAsync(null, log, ct);
        await database.PrepareAsync(ct);
        // Every request needs a credential: an admin key per client, the first also subscribes.
        var keys = await BenchKeys.CreateAsync(database.ConnectionString, clients, "webhook bench", ct);
        await using var receiver = await Receiver.StartAsync();
        log($"Receiver on {receiver.Url}");

        var rows = new List<Row>();
        await using var first = await ApiProcess.StartAsync(apiDll, database.ConnectionString, log, ct);
        using var load = LoadRunner.CreateClient(first.BaseAddress);
        var runner = await LoadRunner.CreateAsync(load, keys, ct);
        using var http = LoadRunner.CreateClient(first.BaseAddress);
        http.DefaultRequestHeaders.Add(BenchKeys.Header, keys[0]);
        var created = await http.PostAsJsonAsync("/api/v1/webhooks", new { url = receiver.Url, events = new[] { "*" } }, ct);
        created.EnsureSuccessStatusCode();
        using (var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync(ct)))
        {
            receiver.Secret = Convert.FromBase64String(body.RootElement.GetProperty("secret").GetString()![Whistle.Api.Features.Webhooks.WebhookSignature.SecretPrefix.Length..]);
            receiver.SubscriptionId = body.RootElement.GetProperty("id").GetString()!;
        }

        log($"Warm-up: {clients} clients for {warmup} s, events delivered as they come (not measured)");
        await runner.RunClosedAsync(clients, TimeSpan.FromSeconds(warmup), ct);
        await DrainedAsync(database, log, ct);

        rows.AddRange(await PhasesAsync(1, database, http, runner, receiver, clients, seconds, rate, log, ct));
        await using (var second = await ApiProcess.StartAsync(apiDll, database.ConnectionString, log, ct))
        {
            rows.AddRange(await PhasesAsync(2, database, http, runner, receiver, clients, seconds, rate, log, ct));
        }

        var report = Report(rows, receiver, clients, seconds, rate, await database.ServerVersionAsync(ct));
        Console.WriteLine();
        Console.WriteLine(report);
        if (output is not null)
        {
            await File.WriteAllTextAsync(output, report, ct);
            log($"Wrote {output}");
        }
        return receiver.BadSignatures == 0 && receiver.Duplicates == 0 ? 0 : 1;
    }

    private static async Task<Row[]> PhasesAsync(
        int dispatchers, BenchDatabase database, HttpClient http, LoadRunner runner, Receiver receiver,
        int clients, int seconds, double rate, Action<string> log, CancellationToken ct)
    {
        // Lag: orders worked at a steady rate, each event delivered while the next changes commit.
        log($"[{dispatchers} dispatcher(s)] lag: {rate:F0} requests/s for {seconds} s, subscription enabled");
        receiver.Reset();
        var steady = await runner.RunOpenAsync(rate, clients * 2, TimeSpan.FromSeconds(seconds), ct);
        await DrainedAsync(database, log, ct);
        var lags = receiver.Lags();
        log($"  {lags.Length} events, lag p50 {Percentile(lags, 50):F1} ms, p99 {Percentile(lags, 99):F1} ms");
        var lagRow = new Row(dispatchers, "steady load", lags.Length, lags.Length / steady.Elapsed.TotalSeconds,
            Percentile(lags, 50), Percentile(lags, 99), steady.RequestsPerSecond);
        if (steady.Errors > 0)
        {
            log($"  {steady.Errors} request errors");
        }

        // Throughput: a backlog written while the subscription is paused, then drained at full speed.
        log($"[{dispatchers} dispatcher(s)] backlog: {clients} clients for {seconds} s, subscription paused");
        (await http.PatchAsJsonAsync($"/api/v1/webhooks/{receiver.SubscriptionId}", new { enabled = false }, ct)).EnsureSuccessStatusCode();
        var backlog = await runner.RunClosedAsync(clients, TimeSpan.FromSeconds(seconds), ct);
        var pending = await PendingAsync(database, ct);
        receiver.Reset();
        var enabledAt = Stopwatch.GetTimestamp();
        (await http.PatchAsJsonAsync($"/api/v1/webhooks/{receiver.SubscriptionId}", new { enabled = true }, ct)).EnsureSuccessStatusCode();
        await DrainedAsync(database, log, ct);
        var drainRate = receiver.Count / Stopwatch.GetElapsedTime(enabledAt, receiver.LastAt).TotalSeconds;
        log($"  {pending} events queued; {receiver.Count} delivered in {Stopwatch.GetElapsedTime(enabledAt, receiver.LastAt).TotalSeconds:F2} s from enabling: {drainRate:F0} events/s");
        return [lagRow, new Row(dispatchers, "backlog drain", receiver.Count, drainRate, null, null, backlog.RequestsPerSecond)];
    }

    private static async Task<long> PendingAsync(BenchDatabase database, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'", connection);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Waits until no delivery is pending (two minutes at most).</summary>
    private static async Task DrainedAsync(BenchDatabase database, Action<string> log, CancellationToken ct)
    {
        var deadline = Stopwatch.GetTimestamp() + (120 * Stopwatch.Frequency);
        while (await PendingAsync(database, ct) > 0)
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                log("  still pending after 120 s; going on");
                break;
            }
            await Task.Delay(20, ct);
        }
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : PhaseResult.Percentile(sorted, p);

    private static string Report(List<Row> rows, Receiver receiver, int clients, int seconds, double rate, string version)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"## Webhook delivery ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, PostgreSQL {version}, {Environment.ProcessorCount} cores)");
        text.AppendLine();
        text.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"One subscription to every event, a receiver on loopback answering 200 at once. Steady load: {rate:F0} requests/s (file → whistle → acknowledge → resolve → evaluate, 3 events per 5 requests) for {seconds} s; lag = received − the change's time (the payload's timestamp, taken just before the transaction commits). Backlog: written by {clients} clients for {seconds} s with the subscription paused, then enabled: events/s from enabling to the last delivery."));
        text.AppendLine();
        text.AppendLine("| dispatchers | phase | events | events/s delivered | lag p50 ms | lag p99 ms | write requests/s meanwhile |");
        text.AppendLine("|---:|---|---:|---:|---:|---:|---:|");
        foreach (var row in rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {row.Dispatchers} | {row.Phase} | {row.Events} | {row.EventsPerSecond:F0} | {(row.LagP50 is { } p50 ? p50.ToString("F1", CultureInfo.InvariantCulture) : "")} | {(row.LagP99 is { } p99 ? p99.ToString("F1", CultureInfo.InvariantCulture) : "")} | {row.WriteRate:F0} |");
        }
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Signatures checked on every request: {receiver.BadSignatures} bad. Events received twice: {receiver.Duplicates}. Non-2xx answers: 0 (the receiver always accepts).");
        return text.ToString();
    }

    /// <summary>The receiving end: Kestrel on loopback, checking each signature and recording when each event arrived.</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentDictionary<string, byte> _seen = new();
        private ConcurrentQueue<(double LagMs, long At)> _received = new();
        private long _badSignatures;
        private long _duplicates;

        public string Url { get; private set; } = "";
        public byte[] Secret { get; set; } = [];
        public string SubscriptionId { get; set; } = "";
        public long BadSignatures => Interlocked.Read(ref _badSignatures);
        public long Duplicates => Interlocked.Read(ref _duplicates);
        public int Count => _received.Count;
        public long LastAt => _received.IsEmpty ? Stopwatch.GetTimestamp() : _received.Max(r => r.At);

        private Receiver()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            _app = builder.Build();
            _app.MapPost("/hook", async (HttpContext http) =>
            {
                var now = DateTimeOffset.UtcNow;
                var at = Stopwatch.GetTimestamp();
                using var reader = new StreamReader(http.Request.Body);
                var body = await reader.ReadToEndAsync();
                var id = http.Request.Headers["webhook-id"].ToString();
                var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(Secret, Encoding.UTF8.GetBytes($"{id}.{http.Request.Headers["webhook-timestamp"]}.{body}")));
                if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(http.Request.Headers["webhook-signature"].ToString())))
                {
                    Interlocked.Increment(ref _badSignatures);
                }
                if (!_seen.TryAdd(id, 0))
                {
                    Interlocked.Increment(ref _duplicates);
                }
                using var payload = JsonDocument.Parse(body);
                var changedAt = payload.RootElement.GetProperty("timestamp").GetDateTimeOffset();
                _received.Enqueue(((now - changedAt).TotalMilliseconds, at));
                return Results.Ok();
            });
        }

        public static async Task<Receiver> StartAsync()
        {
            var receiver = new Receiver();
            await receiver._app.StartAsync();
            receiver.Url = receiver._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/hook";
            return receiver;
        }

        public void Reset() => _received = new ConcurrentQueue<(double, long)>();

        public double[] Lags() => [.. _received.Select(r => r.LagMs).Order()];

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
