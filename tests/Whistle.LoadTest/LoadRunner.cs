using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Whistle.LoadTest;

/// <summary>The requests the benchmark times, in the order one order goes through them.</summary>
internal enum Operation { File, Whistle, Acknowledge, Resolve, Evaluate }

/// <summary>
/// Drives orders through file → whistle → acknowledge → resolve → evaluate over HTTP, either
/// closed-loop (each client sends its next request when the last one answered) or open-loop
/// (each stream sends on a fixed schedule, whatever the service does).
/// </summary>
internal sealed class LoadRunner
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private static readonly byte[] ResolveBody = Encoding.UTF8.GetBytes("""{"result":"Replaced the lamp and tested it at dusk."}""");
    private static readonly byte[] EvaluateBody = Encoding.UTF8.GetBytes("""{"rating":"satisfied"}""");

    private readonly HttpClient _http;
    private readonly string[] _categories;
    private readonly string[] _grids;
    private readonly string[] _keys;

    private LoadRunner(HttpClient http, string[] categories, string[] grids, string[] keys)
    {
        _http = http;
        _categories = categories;
        _grids = grids;
        _keys = keys;
    }

    public static HttpClient CreateClient(Uri baseAddress)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(5),
        };
        var http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(15) };
        return http;
    }

    /// <summary>Reads the codes filings pick from, once. Each client sends its own key (client i the i-th, round the list).</summary>
    public static async Task<LoadRunner> CreateAsync(HttpClient http, string[] keys, CancellationToken ct)
    {
        async Task<string[]> Codes(string path)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path) { Headers = { { BenchKeys.Header, keys[0] } } };
            using var response = await http.SendAsync(request, ct);
            response.EnsureSuccessStatusCode();
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            // The loop resolves without photos: leave out the categories that need a resolution photo.
            return [.. document.RootElement.EnumerateArray()
                .Where(e => !(e.TryGetProperty("requiresResolutionPhoto", out var photo) && photo.GetBoolean()))
                .Select(e => e.GetProperty("code").GetString()!)];
        }
        var categories = await Codes("/api/v1/categories");
        var grids = await Codes("/api/v1/grids");
        if (categories.Length == 0 || grids.Length == 0)
        {
            throw new InvalidOperationException("The service has no categories or grids to file against.");
        }
        return new LoadRunner(http, categories, grids, keys);
    }

    public async Task<PhaseResult> RunClosedAsync(int clients, TimeSpan duration, CancellationToken ct)
    {
        var start = Stopwatch.GetTimestamp();
        var end = start + Ticks(duration);
        var workers = Enumerable.Range(0, clients).Select(i => Task.Run(async () =>
        {
            var order = new OrderDriver(this, new Random(i), _keys[i % _keys.Length]);
            while (Stopwatch.GetTimestamp() < end)
            {
                await order.StepAsync(Stopwatch.GetTimestamp(), ct);
            }
            return order.Recorder;
        }, ct));
        var recorders = await Task.WhenAll(workers);
        return new PhaseResult(recorders, Stopwatch.GetElapsedTime(start));
    }

    /// <summary>
    /// Sends <paramref name="rate"/> requests per second in all, spread over streams that each
    /// keep a fixed schedule. Latency counts from when a request was due, not from when it left,
    /// so a stall shows in every request it held back (no coordinated omission).
    /// </summary>
    public async Task<PhaseResult> RunOpenAsync(double rate, int streams, TimeSpan duration, CancellationToken ct)
    {
        var start = Stopwatch.GetTimestamp();
        var end = start + Ticks(duration);
        var interval = streams / rate * Stopwatch.Frequency;
        var workers = Enumerable.Range(0, streams).Select(i => Task.Run(async () =>
        {
            var order = new OrderDriver(this, new Random(1000 + i), _keys[i % _keys.Length]);
            for (var k = 0L; ; k++)
            {
                // Streams start staggered so the sends are evenly spread, not in bursts.
                var due = start + (long)(interval * (k + (double)i / streams));
                if (due >= end)
                {
                    break;
                }
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, ct);
                }
                await order.StepAsync(due, ct);
            }
            return order.Recorder;
        }, ct));
        var recorders = await Task.WhenAll(workers);
        return new PhaseResult(recorders, Stopwatch.GetElapsedTime(start));
    }

    private static long Ticks(TimeSpan duration) => (long)(duration.TotalSeconds * Stopwatch.Frequency);

    private HttpRequestMessage Request(Operation operation, string? orderId, Random random) => operation switch
    {
        Operation.File => Post("/api/v1/orders", JsonSerializer.SerializeToUtf8Bytes(new
        {
            title = "Broken street lamp",
            description = "The lamp at the corner has been dark for three nights.",
            categoryCode = _categories[random.Next(_categories.Length)],
            gridCode = _grids[random.Next(_grids.Length)],
            location = new { latitude = 40.8 + random.NextDouble() / 10, longitude = 111.7 + random.NextDouble() / 10, address = "12 Xinhua Street" },
            priority = "normal",
        })),
        Operation.Whistle => Post($"/api/v1/orders/{orderId}/whistle", null),
        Operation.Acknowledge => Post($"/api/v1/orders/{orderId}/acknowledge", null),
        Operation.Resolve => Post($"/api/v1/orders/{orderId}/resolve", ResolveBody),
        Operation.Evaluate => Post($"/api/v1/orders/{orderId}/evaluate", EvaluateBody),
        _ => throw new ArgumentOutOfRangeException(nameof(operation)),
    };

    private static HttpRequestMessage Post(string path, byte[]? body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body) { Headers = { ContentType = Json } };
        }
        return request;
    }

    /// <summary>One client's current order and where it is in its life; not shared between tasks.</summary>
    private sealed class OrderDriver(LoadRunner runner, Random random, string key)
    {
        private Operation _next = Operation.File;
        private string? _orderId;

        public Recorder Recorder { get; } = new();

        public async Task StepAsync(long due, CancellationToken ct)
        {
            var operation = _next;
            var ok = false;
            // How late the request leaves against its schedule: a late timer, or this stream still waiting on its previous answer.
            // (A timer can fire a little early; that is no lag.)
            Recorder.SendLags.Add(Math.Max(0, Stopwatch.GetElapsedTime(due).TotalMilliseconds));
            try
            {
                using var request = runner.Request(operation, _orderId, random);
                request.Headers.Add(BenchKeys.Header, key);
                using var response = await runner._http.SendAsync(request, ct);
                var body = await response.Content.ReadAsByteArrayAsync(ct);
                ok = response.IsSuccessStatusCode;
                if (ok && operation == Operation.File)
                {
                    using var order = JsonDocument.Parse(body);
                    _orderId = order.RootElement.GetProperty("id").GetString();
                }
                else if (!ok)
                {
                    Recorder.Note($"{operation}: {(int)response.StatusCode} {Encoding.UTF8.GetString(body)}");
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                Recorder.Note($"{operation}: {e.GetType().Name} {e.Message}");
            }
            Recorder.Record(operation, Stopwatch.GetElapsedTime(due).TotalMilliseconds, ok);
            // A failed step abandons the order: the next request files a new one.
            _next = ok && operation != Operation.Evaluate ? operation + 1 : Operation.File;
            if (ok && operation == Operation.Evaluate)
            {
                Recorder.OrdersCompleted++;
            }
        }
    }
}

/// <summary>One client's samples; merged after the phase, so recording takes no lock.</summary>
internal sealed class Recorder
{
    public List<double>[] Latencies { get; } = [.. Enum.GetValues<Operation>().Select(_ => new List<double>(4096))];

    public long[] Errors { get; } = new long[Enum.GetValues<Operation>().Length];

    public List<double> SendLags { get; } = new(4096);

    public long OrdersCompleted { get; set; }

    public List<string> ErrorExamples { get; } = [];

    public void Record(Operation operation, double milliseconds, bool ok)
    {
        Latencies[(int)operation].Add(milliseconds);
        if (!ok)
        {
            Errors[(int)operation]++;
        }
    }

    public void Note(string error)
    {
        if (ErrorExamples.Count < 3)
        {
            ErrorExamples.Add(error.Length > 300 ? error[..300] : error);
        }
    }
}

/// <summary>A phase's merged samples, sorted per operation for percentiles.</summary>
internal sealed class PhaseResult
{
    public PhaseResult(IReadOnlyList<Recorder> recorders, TimeSpan elapsed)
    {
        Elapsed = elapsed;
        Latencies = Enum.GetValues<Operation>().ToDictionary(
            op => op,
            op => recorders.SelectMany(r => r.Latencies[(int)op]).Order().ToArray());
        All = [.. Latencies.Values.SelectMany(l => l).Order()];
        SendLags = [.. recorders.SelectMany(r => r.SendLags).Order()];
        Errors = recorders.Sum(r => r.Errors.Sum());
        ErrorsBy = Enum.GetValues<Operation>().ToDictionary(op => op, op => recorders.Sum(r => r.Errors[(int)op]));
        OrdersCompleted = recorders.Sum(r => r.OrdersCompleted);
        ErrorExamples = [.. recorders.SelectMany(r => r.ErrorExamples).Take(5)];
    }

    public TimeSpan Elapsed { get; }

    public IReadOnlyDictionary<Operation, double[]> Latencies { get; }

    public double[] All { get; }

    /// <summary>Milliseconds from when each request was due to when it was sent (zero in a closed loop).</summary>
    public double[] SendLags { get; }

    public long Errors { get; }

    public IReadOnlyDictionary<Operation, long> ErrorsBy { get; }

    public long OrdersCompleted { get; }

    public IReadOnlyList<string> ErrorExamples { get; }

    public long Requests => All.Length;

    public double RequestsPerSecond => Requests / Elapsed.TotalSeconds;

    public double OrdersPerSecond => OrdersCompleted / Elapsed.TotalSeconds;

    /// <summary>Nearest-rank percentile over every sample: the smallest value at or above p percent of them.</summary>
    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
}
