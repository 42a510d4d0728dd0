using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ImageMagick;
using Microsoft.Extensions.Options;
using Whistle.Api;
using Whistle.Api.Features.Photos;

namespace Whistle.LoadTest;

/// <summary>
/// Photos: uploads of a phone's 4000×3000 JPEG at 1, 4 and 16 concurrent uploaders against the Release
/// service on its own PostgreSQL (uploads/s, p50/p99, the service's peak RSS); the processing cost per
/// photo in the service's code against ImageMagick's own steps in a tight loop; thumbnails/s from the
/// database store and from an S3 store (s3rver, when node and tests/Whistle.Api.Tests/S3 are installed).
/// </summary>
internal static class PhotoBench
{
    public static async Task<int> RunAsync(string[] args, string apiDll, string repository, Action<string> log, CancellationToken ct)
    {
        var perUploader = args is [var n, ..] ? int.Parse(n, System.Globalization.CultureInfo.InvariantCulture) : 4;
        var photo = PhoneJpeg();
        log($"photo: 4000×3000 JPEG (EXIF orientation 6), {photo.Length / 1048576.0:F1} MiB");

        // Processing: the service's code path against the library's raw steps, single-threaded, after a warm-up.
        var processor = new PhotoProcessor(Options.Create(new PhotoOptions()), Options.Create(new WhistleOptions()));
        processor.Process(photo, "file");
        RawSteps(photo);
        var service = Median(Enumerable.Range(0, 5).Select(_ => Time(() => processor.Process(photo, "file"))));
        var raw = Median(Enumerable.Range(0, 5).Select(_ => Time(() => RawSteps(photo))));
        log($"processing per photo: service {service:F0} ms, raw ImageMagick loop {raw:F0} ms, ratio {service / raw:F2}");

        await using var database = await BenchDatabase.OpenAsync(null, log, ct);
        await database.PrepareAsync(ct);
        var key = (await BenchKeys.CreateAsync(database.ConnectionString, 1, "photo bench", ct))[0];
        string thumbnail;
        await using (var api = await ApiProcess.StartAsync(apiDll, database.ConnectionString, log, ct))
        {
            using var http = Client(api.BaseAddress, key);
            foreach (var uploaders in new[] { 1, 4, 16 })
            {
                var orders = new List<Guid>();
                for (var i = 0; i < uploaders * perUploader; i++)
                {
                    orders.Add(await FileAsync(http, ct));
                }
                var latencies = new List<double>();
                var shed = 0;
                var peak = new PeakRss(api.ProcessId);
                var wall = Stopwatch.StartNew();
                await Parallel.ForEachAsync(orders, new ParallelOptions { MaxDegreeOfParallelism = uploaders, CancellationToken = ct }, async (order, token) =>
                {
                    var started = Stopwatch.GetTimestamp();
                    using var form = new MultipartFormDataContent { { new StringContent("discovery"), "stage" } };
                    var part = new ByteArrayContent(photo);
                    part.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
                    form.Add(part, "file", "phone.jpg");
                    using var response = await http.PostAsync($"/api/v1/orders/{order}/photos", form, token);
                    if (response.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable)
                    {
                        // No decode slot came free within DecodeWait: the designed answer to more uploads than the cores can decode.
                        Interlocked.Increment(ref shed);
                        return;
                    }
                    response.EnsureSuccessStatusCode();
                    lock (latencies)
                    {
                        latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    }
                });
                wall.Stop();
                latencies.Sort();
                log($"uploads, {uploaders,2} uploaders: {latencies.Count / wall.Elapsed.TotalSeconds:F1} uploads/s, p50 {Percentile(latencies, 0.5):F0} ms, " +
                    $"p99 {Percentile(latencies, 0.99):F0} ms, service peak RSS {await peak.StopAsync() / 1024} MiB ({latencies.Count} uploads stored, " +
                    $"{shed} answered 503 after waiting {new PhotoOptions().DecodeWait.TotalSeconds:F0} s for a decode slot)");
            }
            thumbnail = await UploadOneAsync(http, photo, ct);
            log($"thumbnails, database store: {await ThumbnailsPerSecondAsync(http, thumbnail, ct):F0}/s (16 clients, 5 s)");
        }

        var s3rver = Path.Combine(repository, "tests", "Whistle.Api.Tests", "S3", "node_modules", "s3rver", "bin", "s3rver.js");
        if (!File.Exists(s3rver))
        {
            log($"thumbnails, S3 store: skipped (no {s3rver}; build tests/Whistle.Api.Tests first, which runs npm ci)");
            return 0;
        }
        var directory = Directory.CreateTempSubdirectory("photo-bench-s3-").FullName;
        using var node = Process.Start(new ProcessStartInfo("node", [s3rver, "-d", directory, "-p", "4599", "--silent", "--no-vhost-buckets", "--configure-bucket", "bench"])
        { RedirectStandardOutput = true, RedirectStandardError = true })!;
        try
        {
            await Task.Delay(1500, ct);
            Environment.SetEnvironmentVariable("Whistle__Photos__Store", "s3");
            Environment.SetEnvironmentVariable("Whistle__Photos__S3__ServiceUrl", "http://127.0.0.1:4599");
            Environment.SetEnvironmentVariable("Whistle__Photos__S3__Bucket", "bench");
            Environment.SetEnvironmentVariable("Whistle__Photos__S3__AccessKey", "S3RVER");
            Environment.SetEnvironmentVariable("Whistle__Photos__S3__SecretKey", "S3RVER");
            await using var api = await ApiProcess.StartAsync(apiDll, database.ConnectionString, log, ct);
            using var http = Client(api.BaseAddress, key);
            thumbnail = await UploadOneAsync(http, photo, ct);
            log($"thumbnails, S3 store (s3rver on loopback): {await ThumbnailsPerSecondAsync(http, thumbnail, ct):F0}/s (16 clients, 5 s)");
        }
        finally
        {
            node.Kill(entireProcessTree: true);
            Directory.Delete(directory, recursive: true);
        }
        return 0;
    }

    /// <summary>A phone's photo: 12 megapixels of detail (a plasma fractal), stored landscape with orientation 6, quality 90.</summary>
    private static byte[] PhoneJpeg()
    {
        using var image = new MagickImage("plasma:fractal", new MagickReadSettings { Width = 4000, Height = 3000 });
        var exif = new ExifProfile();
        exif.SetValue(ExifTag.Orientation, (ushort)6);
        exif.SetValue(ExifTag.DateTimeOriginal, "2026:03:02 08:15:30");
        image.SetProfile(exif);
        image.Quality = 90;
        image.Format = MagickFormat.Jpeg;
        return image.ToByteArray();
    }

    /// <summary>The same steps with ImageMagick alone: decode, rotate, strip, shrink, encode, thumbnail.</summary>
    private static void RawSteps(byte[] jpeg)
    {
        using var image = new MagickImage(jpeg, MagickFormat.Jpeg);
        image.AutoOrient();
        image.Strip();
        image.Resize(2048, 2048);
        image.Quality = 85;
        _ = image.ToByteArray(MagickFormat.Jpeg);
        using var thumb = image.CloneAndMutate(t => t.Thumbnail(320, 320));
        thumb.Quality = 75;
        _ = thumb.ToByteArray(MagickFormat.Jpeg);
    }

    private static HttpClient Client(Uri address, string key)
    {
        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = address, Timeout = TimeSpan.FromMinutes(5) };
        http.DefaultRequestHeaders.Add(BenchKeys.Header, key);
        return http;
    }

    private static async Task<Guid> FileAsync(HttpClient http, CancellationToken ct)
    {
        // A position inside the grid: a filing's location must lie in the grid it names.
        var (latitude, longitude) = Whistle.Api.Features.Geo.BuiltInBoundaries.Grids["ST01-C01-G01"].At(0.5, 0.5);
        using var response = await http.PostAsJsonAsync("/api/v1/orders", new
        {
            title = "Bench",
            description = "Photo bench.",
            categoryCode = "garbage",
            gridCode = "ST01-C01-G01",
            location = new { latitude, longitude },
        }, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Filing answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
        }
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        return json.RootElement.GetProperty("id").GetGuid();
    }

    private static async Task<string> UploadOneAsync(HttpClient http, byte[] photo, CancellationToken ct)
    {
        var order = await FileAsync(http, ct);
        using var form = new MultipartFormDataContent { { new StringContent("discovery"), "stage" }, { new ByteArrayContent(photo), "file", "phone.jpg" } };
        using var response = await http.PostAsync($"/api/v1/orders/{order}/photos", form, ct);
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        return json.RootElement.GetProperty("photos")[0].GetProperty("thumbnailUrl").GetString()!;
    }

    private static async Task<double> ThumbnailsPerSecondAsync(HttpClient http, string url, CancellationToken ct)
    {
        var count = 0L;
        var until = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            while (until.Elapsed < TimeSpan.FromSeconds(5))
            {
                using var response = await http.GetAsync(url, ct);
                response.EnsureSuccessStatusCode();
                await response.Content.ReadAsByteArrayAsync(ct);
                Interlocked.Increment(ref count);
            }
        }));
        return count / until.Elapsed.TotalSeconds;
    }

    private static double Time(Action action)
    {
        var started = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    private static double Median(IEnumerable<double> values) => values.Order().ElementAt(values.Count() / 2);

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    /// <summary>Samples the service's resident memory every 50 ms and keeps the highest (KiB).</summary>
    private sealed class PeakRss
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task<long> _sampling;

        public PeakRss(int pid) => _sampling = Task.Run(async () =>
        {
            long peak = 0;
            while (!_stop.IsCancellationRequested)
            {
                var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
                if (line is not null)
                {
                    peak = Math.Max(peak, long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture));
                }
                await Task.Delay(50);
            }
            return peak;
        });

        public async Task<long> StopAsync()
        {
            await _stop.CancelAsync();
            return await _sampling;
        }
    }
}
