using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Text.Json;
using ImageMagick;
using Microsoft.Playwright;

namespace Whistle.LoadTest;

/// <summary>
/// The field app on a cheap phone: the shell's transferred size (as the service sends it, gzip), the
/// first screen on a throttled network (Chromium's own emulation: "Slow 3G" and "Fast 3G" as DevTools
/// defines them), and the time to shrink a 12 MP photo in headless Chromium, against the Release
/// service on its own PostgreSQL. Debian's Chromium, or WHISTLE_CHROMIUM.
/// </summary>
internal static class AppBench
{
    private static readonly string[] Shell = ["app.css", "common.js", "outbox.js", "photos.js", "map.js", "field.js", "mine.js", "nearby.js", "manifest.webmanifest", "icon.svg"];

    // DevTools' presets: throughput in bytes/s, latency in ms.
    private static readonly (string Name, double Down, double Up, double Latency)[] Networks =
    [
        ("Slow 3G", 500 * 1024 / 8.0 * 0.8, 500 * 1024 / 8.0 * 0.8, 400 * 5),
        ("Fast 3G", 1.6 * 1024 * 1024 / 8 * 0.9, 750 * 1024 / 8.0 * 0.9, 150 * 3.75),
    ];

    public static async Task<int> RunAsync(string[] args, string apiDll, Action<string> log, CancellationToken ct)
    {
        var runs = args is [var n, ..] ? int.Parse(n, System.Globalization.CultureInfo.InvariantCulture) : 5;
        await using var database = await BenchDatabase.OpenAsync(null, log, ct);
        await database.PrepareAsync(ct);
        var key = (await BenchKeys.CreateAsync(database.ConnectionString, 1, "app bench", ct))[0];
        await using var api = await ApiProcess.StartAsync(apiDll, database.ConnectionString, log, ct);
        var baseAddress = api.BaseAddress.ToString().TrimEnd('/');

        // The shell as a phone receives it: the page, then each asset it names, gzip where the service offers it.
        using (var http = new HttpClient(new HttpClientHandler { AutomaticDecompression = DecompressionMethods.None }))
        {
            http.DefaultRequestHeaders.AcceptEncoding.ParseAdd("gzip");
            long sent = 0, raw = 0;
            foreach (var path in new[] { "/app/" }.Concat(Shell.Select(s => "/app/" + s)))
            {
                var bytes = await http.GetByteArrayAsync(baseAddress + path, ct);
                sent += bytes.Length;
                raw += path == "/app/" || !Shell.Contains(path[5..]) ? bytes.Length : Inflated(bytes).Length;
            }
            log($"shell: {sent / 1024.0:F1} KiB transferred ({raw / 1024.0:F1} KiB uncompressed), {Shell.Length + 1} files; the page itself is not compressed");
        }

        var chromium = Environment.GetEnvironmentVariable("WHISTLE_CHROMIUM") is { Length: > 0 } c ? c : "/usr/bin/chromium";
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
        });

        foreach (var network in Networks)
        {
            var signIn = new List<double>();
            var signedIn = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                // A new phone each time (nothing cached, no worker yet): the sign-in screen, then the admin's link.
                signIn.Add(await TimeAsync(browser, network, baseAddress + "/app/", page => page.Locator("#sign-in").WaitForAsync(new() { Timeout = 180_000 })));
                signedIn.Add(await TimeAsync(browser, network, $"{baseAddress}/app/#key={Uri.EscapeDataString(key)}",
                    page => page.WaitForFunctionAsync("() => document.querySelectorAll('#categoryCode option').length > 1", null, new() { Timeout = 180_000 })));
            }
            log($"{network.Name}: a new phone, first screen (sign-in) median {Median(signIn):F0} ms; opening the admin's link to the filing form with its categories median {Median(signedIn):F0} ms ({runs} runs each)");
        }

        // Shrinking a 12 MP photo on the phone: the app's own photos.js, in the page.
        var photo = PhoneJpeg();
        log($"photo: 4000×3000 JPEG, {photo.Length / 1048576.0:F1} MiB");
        {
            await using var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 360, Height = 640 }, IsMobile = true });
            var page = await context.NewPageAsync();
            await page.GotoAsync(baseAddress + "/app/");
            await page.Locator("#sign-in").WaitForAsync();
            var version = await page.EvaluateAsync<string>("() => [...document.scripts].map(s => new URL(s.src).searchParams.get('v')).find(Boolean)");
            var times = new List<double>();
            string? size = null;
            for (var i = 0; i <= runs; i++)
            {
                var result = await page.EvaluateAsync<JsonElement>(
                    """
                    async ([bytes, version]) => {
                      const { shrink } = await import(`./photos.js?v=${version}`);
                      const file = new File([Uint8Array.from(atob(bytes), c => c.charCodeAt(0))], 'phone.jpg', { type: 'image/jpeg' });
                      const started = performance.now();
                      const shrunk = await shrink(file);
                      return { ms: performance.now() - started, width: shrunk.width, height: shrunk.height, bytes: shrunk.blob.size };
                    }
                    """, new object[] { Convert.ToBase64String(photo), version });
                if (i > 0)
                {
                    times.Add(result.GetProperty("ms").GetDouble()); // the first run warms the decoder up
                }
                size = $"{result.GetProperty("width")}×{result.GetProperty("height")}, {result.GetProperty("bytes").GetInt64() / 1024.0:F0} KiB";
            }
            log($"shrinking a 12 MP photo in headless Chromium: median {Median(times):F0} ms ({runs} runs, after a warm-up) → {size}");
        }
        return 0;
    }

    private static async Task<double> TimeAsync(IBrowser browser, (string Name, double Down, double Up, double Latency) network, string url, Func<IPage, Task> shown)
    {
        await using var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 360, Height = 640 }, IsMobile = true });
        var page = await context.NewPageAsync();
        var cdp = await context.NewCDPSessionAsync(page);
        await cdp.SendAsync("Network.enable");
        await cdp.SendAsync("Network.emulateNetworkConditions", new Dictionary<string, object>
        {
            ["offline"] = false,
            ["latency"] = network.Latency,
            ["downloadThroughput"] = network.Down,
            ["uploadThroughput"] = network.Up,
        });
        var watch = Stopwatch.StartNew();
        await page.GotoAsync(url, new() { Timeout = 180_000 });
        await shown(page);
        return watch.Elapsed.TotalMilliseconds;
    }

    private static byte[] Inflated(byte[] bytes)
    {
        try
        {
            using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            using var output = new MemoryStream();
            gzip.CopyTo(output);
            return output.ToArray();
        }
        catch (InvalidDataException)
        {
            return bytes; // sent as it is
        }
    }

    /// <summary>A phone camera's 12 MP JPEG: noisy, as a real photo is, so its size is a real photo's.</summary>
    private static byte[] PhoneJpeg()
    {
        using var image = new MagickImage(MagickColors.Goldenrod, 4000, 3000);
        image.AddNoise(NoiseType.Gaussian, 2.0);
        image.Quality = 92;
        image.Format = MagickFormat.Jpeg;
        return image.ToByteArray();
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values.Count == 0 ? double.NaN : values.Count % 2 == 1 ? values[values.Count / 2] : (values[values.Count / 2 - 1] + values[values.Count / 2]) / 2;
    }
}
