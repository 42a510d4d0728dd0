using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Whistle.Api.Tests.Dashboard;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.App;

/// <summary>The service on a real loopback port, for a real browser (it cannot reach the in-memory test server).</summary>
public sealed class AppHost : WhistleApp
{
    public AppHost() => UseKestrel(options => options.Listen(IPAddress.Loopback, 0));

    protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        // Returns go to the street supervisor's review, as the desk's supervisor story needs.
        builder.UseSetting("Whistle:Returns:Review", "Supervisor");
    }

    public string BaseAddress { get; private set; } = "";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        StartServer();
        BaseAddress = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
    }

    /// <summary>An order as the API answers it now, read with the admin's key.</summary>
    public async Task<JsonNode> OrderAsync(string idOrCode)
    {
        var response = await CreateClient().GetAsync($"/api/v1/orders/{idOrCode}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    /// <summary>The orders whose title is this (the app's filings are found by the title the test typed).</summary>
    public async Task<List<JsonNode>> OrdersTitledAsync(string title)
    {
        await using var db = Db();
        var ids = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(
            db.Orders.Where(o => o.Title == title).Select(o => o.Id));
        var orders = new List<JsonNode>();
        foreach (var id in ids)
        {
            orders.Add(await OrderAsync(id.ToString()));
        }
        return orders;
    }
}

/// <summary>
/// Debian's Chromium driven by Playwright, as a phone (360×640, touch, a GPS the test moves) or a desk
/// screen. Every call the app makes to the API is checked against the committed OpenAPI document, as
/// the test clients' are; console errors fail the test.
/// </summary>
public sealed class AppBrowser : IAsyncDisposable
{
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly string _base;
    public readonly System.Collections.Concurrent.ConcurrentQueue<string> Problems = new();

    /// <summary>Every API call the pages made, as "METHOD path status", for a failing test to show.</summary>
    public readonly System.Collections.Concurrent.ConcurrentQueue<string> Calls = new();

    private AppBrowser(IPlaywright playwright, IBrowser browser, string baseAddress)
    {
        _playwright = playwright;
        _browser = browser;
        _base = baseAddress;
    }

    public static async Task<AppBrowser> LaunchAsync(AppHost host)
    {
        var playwright = await Playwright.CreateAsync();
        // No sandbox: CI runs as root, where Chromium refuses it. The rest keeps the browser off the network.
        var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumFactAttribute.ExecutablePath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
        });
        return new AppBrowser(playwright, browser, host.BaseAddress);
    }

    public static readonly (double Latitude, double Longitude) InGrid1 = (40.91805, 111.54190); // ST01-C01-G01's middle

    /// <summary>A phone: 360×640, touch, a GPS fix where the test says (none: the person refused it).</summary>
    public Task<IBrowserContext> PhoneAsync((double Latitude, double Longitude, double Accuracy)? gps = null, bool bypassCsp = false) =>
        _browser.NewContextAsync(new()
        {
            ViewportSize = new() { Width = 360, Height = 640 },
            IsMobile = true,
            HasTouch = true,
            Locale = "zh-CN",
            Geolocation = gps is { } fix ? new() { Latitude = (float)fix.Latitude, Longitude = (float)fix.Longitude, Accuracy = (float)fix.Accuracy } : null,
            Permissions = gps is null ? [] : ["geolocation"],
            BypassCSP = bypassCsp,
        });

    /// <summary>A browser profile of its own on disk (not incognito), as a person's phone browser is.</summary>
    public Task<IBrowserContext> ProfileAsync(string folder) => _playwright.Chromium.LaunchPersistentContextAsync(folder, new()
    {
        ExecutablePath = ChromiumFactAttribute.ExecutablePath,
        Headless = true,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"],
    });

    public Task<IBrowserContext> DeskAsync(bool bypassCsp = false) => _browser.NewContextAsync(new()
    {
        ViewportSize = new() { Width = 1400, Height = 900 },
        Locale = "zh-CN",
        BypassCSP = bypassCsp,
    });

    /// <summary>Opens a page of the app signed in with the key (carried in the fragment, as an admin's link does).</summary>
    public async Task<IPage> OpenAsync(IBrowserContext context, string path, string key)
    {
        var page = await context.NewPageAsync();
        Watch(page);
        await page.GotoAsync($"{_base}{path}#key={Uri.EscapeDataString(key)}");
        await SignedInAsync(page);
        return page;
    }

    /// <summary>Opens a page as it is reopened from the home screen (the key already kept).</summary>
    public async Task<IPage> ReopenAsync(IBrowserContext context, string path)
    {
        var page = await context.NewPageAsync();
        Watch(page);
        await page.GotoAsync($"{_base}{path}");
        await SignedInAsync(page);
        return page;
    }

    private async Task SignedInAsync(IPage page)
    {
        try
        {
            await page.Locator("#main").WaitForAsync(new() { State = WaitForSelectorState.Visible, Timeout = 20_000 });
        }
        catch (TimeoutException)
        {
            var shot = await ScreenshotAsync(page, "not-signed-in");
            Assert.Fail($"The app did not open (screenshot {shot}): {await page.TextContentAsync("body")}\n{string.Join("\n", Problems)}");
        }
    }

    private void Watch(IPage page)
    {
        page.PageError += (_, error) => Problems.Enqueue($"page error: {error}");
        page.Console += (_, message) =>
        {
            // A refused request is logged by the browser itself; the test asserts what the app showed for it.
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
            {
                Problems.Enqueue($"console: {message.Text}");
            }
        };
        page.Response += async (_, response) =>
        {
            var url = new Uri(response.Url);
            if (!url.AbsolutePath.StartsWith("/api/", StringComparison.Ordinal) || response.Request.Method == "OPTIONS")
            {
                return;
            }
            Calls.Enqueue($"{response.Request.Method} {url.PathAndQuery} {response.Status}");
            try
            {
                var violations = Contract.Committed.Check(await ExchangeOf(response));
                foreach (var violation in violations)
                {
                    Problems.Enqueue($"contract: {response.Request.Method} {url.PathAndQuery}: {violation}");
                }
            }
            catch (PlaywrightException)
            {
                // The page went away before the body could be read.
            }
        };
    }

    private static async Task<Exchange> ExchangeOf(IResponse response)
    {
        var request = response.Request;
        var url = new Uri(response.Url);
        var query = System.Web.HttpUtility.ParseQueryString(url.Query);
        var requestHeaders = await request.AllHeadersAsync();
        var responseHeaders = await response.AllHeadersAsync();
        var requestType = requestHeaders.TryGetValue("content-type", out var rt) ? rt.Split(';')[0].Trim() : null;
        var responseType = responseHeaders.TryGetValue("content-type", out var st) ? st.Split(';')[0].Trim() : null;
        // A conditional GET the server answered 304 reaches the page as the 200 Chromium kept, with no headers of its
        // own: the exchange on the wire was the 304.
        var status = response.Status == 200 && responseType is null && requestHeaders.ContainsKey("if-none-match") ? 304 : response.Status;
        var textual = responseType is not null && (responseType.Contains("json", StringComparison.Ordinal) || responseType.StartsWith("text/", StringComparison.Ordinal));
        return new Exchange(
            request.Method, url.AbsolutePath,
            query.AllKeys.Where(k => k is not null).Select(k => KeyValuePair.Create(k!, query[k] ?? "")).ToList(),
            new Dictionary<string, string>(requestHeaders, StringComparer.OrdinalIgnoreCase),
            // Chromium does not hand over a body made of Blobs (the outbox's multipart filing): its parts are
            // then unknown here, but that it was sent is not.
            requestType, request.PostDataBuffer is { } sent ? System.Text.Encoding.UTF8.GetString(sent)
                : requestType == "multipart/form-data" ? "(multipart parts the browser keeps to itself)" : null,
            status, new Dictionary<string, string>(responseHeaders, StringComparer.OrdinalIgnoreCase),
            responseType, status == 304 ? null : textual ? await response.TextAsync() : await BinaryAsync(response, responseHeaders));
    }

    /// <summary>Whether an image came with bytes (the checker reads no image, only that one was sent).</summary>
    private static async Task<string> BinaryAsync(IResponse response, Dictionary<string, string> headers)
    {
        if (headers.TryGetValue("content-length", out var length) && long.TryParse(length, out var bytes))
        {
            return bytes > 0 ? "(binary body)" : "";
        }
        try
        {
            return (await response.BodyAsync()).Length > 0 ? "(binary body)" : "";
        }
        catch (PlaywrightException)
        {
            return "(binary body the browser no longer holds)";
        }
    }

    /// <summary>Runs axe-core on the page as it is; the serious and critical violations, in words.</summary>
    public static async Task<List<string>> AccessibilityViolationsAsync(IPage page)
    {
        var axe = Path.Combine(Repository.Root, "tests", "Whistle.Api.Tests", "App", "node_modules", "axe-core", "axe.min.js");
        await page.AddScriptTagAsync(new() { Path = axe });
        var result = await page.EvaluateAsync<string[]>(
            "async () => (await axe.run(document, { resultTypes: ['violations'] })).violations" +
            ".filter(v => v.impact === 'serious' || v.impact === 'critical')" +
            ".map(v => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')}`)");
        return [.. result];
    }

    /// <summary>Keeps a screenshot as a test artefact (TestResults/ beside the test assembly).</summary>
    public static async Task<string> ScreenshotAsync(IPage page, string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "TestResults", $"app-{name}.png");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        return path;
    }

    /// <summary>Fails with every problem in words: console errors, page errors, exchanges that break the document.</summary>
    public void AssertNoProblems(Func<string, bool>? expected = null)
    {
        var unexpected = Problems.Where(p => expected is null || !expected(p)).ToList();
        Assert.True(unexpected.Count == 0, "Problems seen in the browser:\n" + string.Join("\n", unexpected));
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
