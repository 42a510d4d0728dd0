using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Whistle.LoadTest;

/// <summary>The requests the benchmark times, in the order one order goes through them.</summary>
internal enum Operation { File, Whistle, Acknowledge, ReportPart, CompletePart, Resolve, Evaluate }

/// <summary>
/// How each order goes through its life: <see cref="Single"/> is the default loop (filed with a grid code,
/// whistled to the category's department); <see cref="Joint"/> whistles a lead and two co-handlers, whose
/// parts each report and complete before the lead resolves; <see cref="ByPosition"/> files with a position
/// and no grid code (the grid is located); <see cref="ByOverride"/> files only in categories that have a
/// catalogue override in every street, so each whistle is routed by one; <see cref="FileOnly"/> only files
/// (the default loop's filings, each order left discovered), so filing's own cost shows apart from the actions'.
/// </summary>
internal enum Flow { Single, Joint, ByPosition, ByOverride, FileOnly }

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
    private string[] _departments = [];
    private string[] _overridden = [];

    private LoadRunner(HttpClient http, string[] categories, string[] grids, string[] keys)
    {
        _http = http;
        _categories = categories;
        _grids = grids;
        _keys = keys;
    }

    /// <summary>
    /// Gives the flows other than <see cref="Flow.Single"/> what they need: departments for joint whistles, and
    /// the categories that have overrides (single filings then leave those out, so each flow routes one way).
    /// </summary>
    public void Configure(string[] departments, string[] overriddenCategories)
    {
        _departments = departments;
        _overridden = overriddenCategories;
        _plainCategories = [.. _categories.Except(overriddenCategories)];
    }

    private string[]? _plainCategories;

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

    public async Task<PhaseResult> RunClosedAsync(int clients, TimeSpan duration, CancellationToken ct, Flow flow = Flow.Single)
    {
        var start = Stopwatch.GetTimestamp();
        var end = start + Ticks(duration);
        var workers = Enumerable.Range(0, clients).Select(i => Task.Run(async () =>
        {
            var order = new OrderDriver(this, new Random(i), _keys[i % _keys.Length], flow);
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
            var order = new OrderDriver(this, new Random(1000 + i), _keys[i % _keys.Length], Flow.Single);
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
        return new PhaseResult(recorders, Stopwatch.GetElapsedTime(start), start);
    }

    private static long Ticks(TimeSpan duration) => (long)(duration.TotalSeconds * Stopwatch.Frequency);

    private HttpRequestMessage File(Flow flow, Random random)
    {
        var categories = flow == Flow.ByOverride ? _overridden : _plainCategories ?? _categories;
        var grid = _grids[random.Next(_grids.Length)];
        // A position inside the grid's built-in boundary, so that locating it finds that grid.
        var (latitude, longitude) = Whistle.Api.Features.Geo.BuiltInBoundaries.Grids.TryGetValue(grid, out var cell)
            ? cell.At(random.NextDouble(), random.NextDouble())
            : (40.8 + random.NextDouble() / 10, 111.7 + random.NextDouble() / 10);
        return Post("/api/v1/orders", JsonSerializer.SerializeToUtf8Bytes(new
        {
            title = "Broken street lamp",
            description = "The lamp at the corner has been dark for three nights.",
            categoryCode = categories[random.Next(categories.Length)],
            gridCode = flow == Flow.ByPosition ? null : grid,
            location = new { latitude, longitude, address = "12 Xinhua Street" },
            priority = "normal",
        }, SkipNulls));
    }

    private static readonly JsonSerializerOptions SkipNulls = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    /// <summary>Three distinct departments: the lead and two co-handlers of a joint whistle.</summary>
    private string[] Summoned(Random random) =>
        [.. _departments.OrderBy(_ => random.Next()).Take(3)];

    private static readonly byte[] PartResultBody = Encoding.UTF8.GetBytes("""{"result":"Inspected the site with the lead and signed off our part."}""");
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
    private sealed class OrderDriver(LoadRunner runner, Random random, string key, Flow flow)
    {
        private readonly Queue<(Operation Operation, Func<HttpRequestMessage> Request)> _steps = new();
        private string? _orderId;

        public Recorder Recorder { get; } = new();

        /// <summary>The requests of one order's life in this flow; the order's id is read when each is sent.</summary>
        private void Plan()
        {
            _steps.Enqueue((Operation.File, () => runner.File(flow, random)));
            if (flow == Flow.FileOnly)
            {
                return;
            }
            if (flow == Flow.Joint)
            {
                var summoned = runner.Summoned(random);
                _steps.Enqueue((Operation.Whistle, () => Post($"/api/v1/orders/{_orderId}/whistle",
                    JsonSerializer.SerializeToUtf8Bytes(new { departmentCode = summoned[0], coDepartmentCodes = summoned[1..] }))));
                _steps.Enqueue((Operation.Acknowledge, () => Post($"/api/v1/orders/{_orderId}/acknowledge", null)));
                foreach (var part in summoned[1..])
                {
                    _steps.Enqueue((Operation.ReportPart, () => Post($"/api/v1/orders/{_orderId}/parts/{part}/report", null)));
                }
                foreach (var part in summoned[1..])
                {
                    _steps.Enqueue((Operation.CompletePart, () => Post($"/api/v1/orders/{_orderId}/parts/{part}/complete", PartResultBody)));
                }
            }
            else
            {
                _steps.Enqueue((Operation.Whistle, () => Post($"/api/v1/orders/{_orderId}/whistle", null)));
                _steps.Enqueue((Operation.Acknowledge, () => Post($"/api/v1/orders/{_orderId}/acknowledge", null)));
            }
            _steps.Enqueue((Operation.Resolve, () => Post($"/api/v1/orders/{_orderId}/resolve", ResolveBody)));
            _steps.Enqueue((Operation.Evaluate, () => Post($"/api/v1/orders/{_orderId}/evaluate", EvaluateBody)));
        }

        public async Task StepAsync(long due, CancellationToken ct)
        {
            if (_steps.Count == 0)
            {
                Plan();
            }
            var (operation, next) = _steps.Dequeue();
            var ok = false;
            // How late the request leaves against its schedule: a late timer, or this stream still waiting on its previous answer.
            // (A timer can fire a little early; that is no lag.)
            var lag = Math.Max(0, Stopwatch.GetElapsedTime(due).TotalMilliseconds);
            Recorder.SendLags.Add(lag);
            try
            {
                using var request = next();
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
            Recorder.Record(operation, Stopwatch.GetElapsedTime(due).TotalMilliseconds, lag, ok, due);
            if (!ok)
            {
                // A failed step abandons the order: the next request files a new one.
                _steps.Clear();
            }
            else if (operation == Operation.Evaluate)
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

    /// <summary>Each request's latency less its send lag: from when it left to its answer, what the service and the network took.</summary>
    public List<double> SinceSent { get; } = new(4096);

    public long OrdersCompleted { get; set; }

    public List<string> ErrorExamples { get; } = [];

    /// <summary>Every request: when it was due (a Stopwatch timestamp) and its latency.</summary>
    public List<(long Due, double Milliseconds)> Timeline { get; } = new(4096);

    public void Record(Operation operation, double milliseconds, double lag, bool ok, long due = 0)
    {
        Latencies[(int)operation].Add(milliseconds);
        Timeline.Add((due, milliseconds));
        SinceSent.Add(milliseconds - lag);
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
    public PhaseResult(IReadOnlyList<Recorder> recorders, TimeSpan elapsed, long start = 0)
    {
        Elapsed = elapsed;
        Timeline = [.. recorders.SelectMany(r => r.Timeline)];
        Slow = [.. Timeline.Where(t => t.Milliseconds > SlowMilliseconds)
            .Select(t => (Stopwatch.GetElapsedTime(start, t.Due).TotalSeconds, t.Milliseconds)).OrderBy(t => t.Item1)];
        Latencies = Enum.GetValues<Operation>().ToDictionary(
            op => op,
            op => recorders.SelectMany(r => r.Latencies[(int)op]).Order().ToArray());
        All = [.. Latencies.Values.SelectMany(l => l).Order()];
        SendLags = [.. recorders.SelectMany(r => r.SendLags).Order()];
        SinceSent = [.. recorders.SelectMany(r => r.SinceSent).Order()];
        Errors = recorders.Sum(r => r.Errors.Sum());
        ErrorsBy = Enum.GetValues<Operation>().ToDictionary(op => op, op => recorders.Sum(r => r.Errors[(int)op]));
        OrdersCompleted = recorders.Sum(r => r.OrdersCompleted);
        ErrorExamples = [.. recorders.SelectMany(r => r.ErrorExamples).Take(5)];
    }

    public TimeSpan Elapsed { get; }

    /// <summary>The requests over 25 ms, by when they were due (seconds into the phase): whether they come in bursts, and when.</summary>
    public IReadOnlyList<(double At, double Milliseconds)> Slow { get; }

    public const double SlowMilliseconds = 25;

    /// <summary>Every request's due time (a Stopwatch timestamp) and latency, unsorted.</summary>
    public (long Due, double Milliseconds)[] Timeline { get; }

    /// <summary>
    /// The slow requests grouped into bursts (due within 50 ms of the previous slow one): how many bursts, how many of the slow
    /// requests the five largest hold, and those bursts' start, length and worst latency. Stalls of the whole
    /// service (a pause, a lock, a descheduled process) show as few large bursts; scattered slow requests as many small ones.
    /// </summary>
    public string Bursts()
    {
        if (Slow.Count == 0)
        {
            return "no request over 25 ms";
        }
        var bursts = new List<(double From, double To, int Count, double Worst)>();
        foreach (var (at, ms) in Slow)
        {
            if (bursts.Count > 0 && at - bursts[^1].To <= 0.05)
            {
                var b = bursts[^1];
                bursts[^1] = (b.From, at, b.Count + 1, Math.Max(b.Worst, ms));
            }
            else
            {
                bursts.Add((at, at, 1, ms));
            }
        }
        var top = bursts.OrderByDescending(b => b.Count).Take(5).ToList();
        return $"{Slow.Count} requests over 25 ms in {bursts.Count} bursts; the five largest hold {top.Sum(b => b.Count)}: " +
            string.Join(", ", top.Select(b => $"{b.Count} at {b.From:F2} s for {(b.To - b.From) * 1000:F0} ms (worst {b.Worst:F0} ms)"));
    }

    public IReadOnlyDictionary<Operation, double[]> Latencies { get; }

    public double[] All { get; }

    /// <summary>Milliseconds from when each request was due to when it was sent (zero in a closed loop).</summary>
    public double[] SendLags { get; }

    /// <summary>Every request's latency less its own send lag, sorted: the part the generator's lateness does not explain.</summary>
    public double[] SinceSent { get; }

    /// <summary>Operations other than <paramref name="operation"/>, their samples merged and sorted.</summary>
    public double[] AllBut(Operation operation) =>
        [.. Latencies.Where(l => l.Key != operation).SelectMany(l => l.Value).Order()];

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
