using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Whistle.Api.Features.Access;
using Whistle.Api.Tests.Infrastructure;
using Whistle.Api.Tests.Photos;
using Xunit.Abstractions;

namespace Whistle.Api.Tests.Dashboard;

/// <summary>
/// The service on a real loopback port (a browser cannot reach the in-memory test server), with
/// orders in two streets and two months: March in ST01 and ST05, April in ST01; some overdue.
/// </summary>
public sealed class DashboardApp : WhistleApp
{
    public DashboardApp() => UseKestrel(options => options.Listen(IPAddress.Loopback, 0));

    public string BaseAddress { get; private set; } = "";

    /// <summary>An overdue order with a photo.</summary>
    public string OverdueWithPhoto { get; private set; } = "";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        StartServer();
        BaseAddress = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();

        var c = CreateClient();
        var closed = await Whistled(c, "garbage", "ST01-C01-G01");
        await c.Acknowledge(closed.Id);
        await c.Resolve(closed.Id);
        await c.Evaluate(closed.Id, "satisfied");
        var resolved = await Whistled(c, "garbage", "ST01-C01-G01");
        await c.Acknowledge(resolved.Id);
        await c.Resolve(resolved.Id);
        var reopened = await Whistled(c, "noise", "ST01-C02-G01");
        await c.Acknowledge(reopened.Id);
        await c.Resolve(reopened.Id);
        await c.Act(reopened.Id, "evaluate", new { rating = "unsatisfied", comment = "Still loud at night" });
        var withPhoto = await Whistled(c, "garbage", "ST01-C01-G01"); // never acknowledged: overdue
        // Its photo is shown in the overdue list as a thumbnail.
        Assert.Equal(HttpStatusCode.Created, (await c.Upload($"/api/v1/orders/{withPhoto.Id}/photos",
            PhotoForms.Form(null, "discovery", Images.Png(64, 48, ImageMagick.MagickColors.Teal)))).StatusCode);
        OverdueWithPhoto = withPhoto.Code;
        var cancelled = await Whistled(c, "street-vending", "ST01-C01-G01");
        await c.Cancel(cancelled.Id);
        var local = await c.File(grid: "ST01-C01-G01");
        await c.Act(local.Id, "handle-locally", new { result = "Swept by the grid worker" });

        var acknowledged = await Whistled(c, "garbage", "ST05-C01-G02"); // not resolved in time: overdue
        await c.Acknowledge(acknowledged.Id);
        await Whistled(c, "noise", "ST05-C01-G02"); // overdue
        var satisfied = await Whistled(c, "street-vending", "ST05-C01-G02");
        await c.Acknowledge(satisfied.Id);
        await c.Resolve(satisfied.Id);
        await c.Evaluate(satisfied.Id, "satisfied");

        Clock.SetUtcNow(new DateTimeOffset(2026, 4, 10, 2, 0, 0, TimeSpan.Zero));
        var april = await Whistled(c, "garbage", "ST01-C01-G01");
        await c.Acknowledge(april.Id);
        await c.Resolve(april.Id);
        Clock.Advance(TimeSpan.FromHours(3));
    }

    private static async Task<Order> Whistled(HttpClient client, string category, string grid)
    {
        var order = await client.File(category: category, grid: grid);
        return await client.Whistle(order.Id);
    }
}

/// <summary>
/// The dashboard in a real headless Chromium: it loads, shows the API's figures as the API gives
/// them, and a street filter changes them to the API's for that street. Leaves a screenshot.
/// </summary>
public class DashboardPageTests(DashboardApp app, ITestOutputHelper output) : IClassFixture<DashboardApp>
{
    private const string None = "—";
    private const string Year = "from=2026-01-01&to=2026-12-31"; // "this year" on the service's clock
    private readonly HttpClient _api = app.CreateClient();

    // No sandbox: CI runs as root, where Chromium refuses it. The rest keeps the browser off the network.
    private static Task<IBrowser> LaunchAsync(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new()
    {
        ExecutablePath = ChromiumFactAttribute.ExecutablePath,
        Headless = true,
        Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"],
    });

    [ChromiumFact]
    public async Task Shows_the_apis_figures_and_a_street_filter_changes_them()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1920, Height = 1080 } });
        var problems = new List<string>();
        var elsewhere = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                problems.Add(message.Text);
            }
        };
        page.PageError += (_, error) => problems.Add(error);
        page.Request += (_, request) =>
        {
            // The page's own blob: URLs (the thumbnails it fetched with its key) are of this origin too.
            if (!request.Url.StartsWith(app.BaseAddress + "/", StringComparison.Ordinal)
                && !request.Url.StartsWith("blob:" + app.BaseAddress + "/", StringComparison.Ordinal))
            {
                elsewhere.Add(request.Url);
            }
        };

        // A district supervisor's key: the statistics and the overdue list (a dashboard key too: the test below).
        var key = app.CreateKey(new NewCredential(Role.Supervisor, "wall screen"));
        await page.GotoAsync(app.BaseAddress + "/dashboard?key=" + key);
        await Shown(page, $"?period=year&{Year}");

        var all = await AssertShowsApi(page, $"?{Year}", "month");
        // The overdue tile agrees with the list beside it: it names the any-period count the list is drawn from.
        var anyPeriod = await Api("/api/v1/orders?overdue=true&limit=200");
        Assert.Equal(anyPeriod["items"]!.AsArray().Count.ToString(CultureInfo.InvariantCulture), await page.Locator("#overdue-any").TextContentAsync());

        var screenshot = Path.Combine(AppContext.BaseDirectory, "TestResults", "dashboard.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
        output.WriteLine($"Dashboard screenshot: {screenshot}");

        // Polling again with nothing changed: the statistics answer 304 and the page keeps what it has.
        await page.EvaluateAsync("() => window.whistleDashboard.refresh()");
        Assert.True(int.Parse(await page.GetAttributeAsync("body", "data-unchanged") ?? "0", CultureInfo.InvariantCulture) >= 3,
            $"expected the three statistics requests to be answered 304: {await page.TextContentAsync("#status")}");
        await AssertShowsApi(page, $"?{Year}", "month");

        await page.SelectOptionAsync("#street", "ST05");
        await Shown(page, $"?period=year&{Year}&streetCode=ST05");
        var st05 = await AssertShowsApi(page, $"?{Year}&streetCode=ST05", "month");
        Assert.NotEqual(all["validOrders"]!.GetValue<long>(), st05["validOrders"]!.GetValue<long>());
        Assert.Contains("street=ST05", page.Url, StringComparison.Ordinal);

        await page.SelectOptionAsync("#period", "month");
        await Shown(page, "?period=month&from=2026-04-01&to=2026-04-30&streetCode=ST05");
        await AssertShowsApi(page, "?from=2026-04-01&to=2026-04-30&streetCode=ST05", "day");

        Assert.Empty(problems);
        Assert.Empty(elsewhere);
    }

    [ChromiumFact]
    public async Task Every_panel_loads_with_the_screens_own_dashboard_key()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1920, Height = 1080 } });
        var refused = new List<string>();
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
            {
                refused.Add($"{response.Status} {response.Url}");
            }
        };

        // A command centre's screen has a dashboard key: the figures, the trend, the ranking and the overdue list.
        var key = app.CreateKey(new NewCredential(Role.Dashboard, "command centre screen"));
        await page.GotoAsync(app.BaseAddress + "/dashboard?key=" + key);
        await Shown(page, $"?period=year&{Year}");

        await AssertShowsApi(page, $"?{Year}", "month");
        Assert.True(await page.Locator("#overdue-rows tr[data-code]").CountAsync() > 0, "the overdue list is empty");
        // The first photo of an overdue order, fetched with the screen's own key and drawn.
        await page.WaitForFunctionAsync(
            "code => { const i = document.querySelector(`#overdue-rows tr[data-code='${code}'] td.photo img`); return !!i && i.complete && i.naturalWidth > 0; }",
            app.OverdueWithPhoto, new() { Timeout = 15_000 });
        Assert.Equal("ok", await page.GetAttributeAsync("#status", "class"));
        Assert.Empty(refused);
    }

    [ChromiumFact]
    public async Task The_map_draws_every_grid_shaded_as_the_api_counts_and_a_click_on_a_grid_filters_the_page()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1920, Height = 1080 } });
        var key = app.CreateKey(new NewCredential(Role.Dashboard, "map screen"));
        await page.GotoAsync(app.BaseAddress + "/dashboard?key=" + key);
        await Shown(page, $"?period=year&{Year}");

        // Every grid with a boundary, its open and overdue orders as the boundaries' counts say.
        var boundaries = await Api("/api/v1/grids/boundaries?counts=true");
        var features = boundaries["features"]!.AsArray();
        Assert.Equal(features.Count, await page.Locator("#map-canvas path.cell").CountAsync());
        foreach (var code in new[] { "ST01-C01-G01", "ST01-C02-G01", "ST05-C01-G02", "ST20-C01-G01" })
        {
            var properties = features.Single(f => f!["id"]!.GetValue<string>() == code)!["properties"]!;
            var cell = page.Locator($"#map-canvas path.cell[data-code=\"{code}\"]");
            Assert.Equal($"{code} {properties["openOrders"]} {properties["overdueOrders"]}",
                $"{code} {await cell.GetAttributeAsync("data-open")} {await cell.GetAttributeAsync("data-overdue")}");
        }
        Assert.True(int.Parse((await page.GetAttributeAsync("#map-canvas path.cell[data-code=\"ST05-C01-G02\"]", "data-overdue"))!,
            CultureInfo.InvariantCulture) > 0);
        // A point for each overdue order.
        var overdue = await Api("/api/v1/orders?overdue=true&limit=200");
        Assert.Equal(overdue["items"]!.AsArray().Count, await page.Locator("#map-canvas circle.point").CountAsync());

        // A click on a grid: the figures for its community, the overdue list for the grid.
        await page.Locator("#map-canvas path.cell[data-code=\"ST05-C01-G02\"]").DispatchEventAsync("click");
        await Shown(page, $"?period=year&{Year}&communityCode=ST05-C01&gridCode=ST05-C01-G02");
        await AssertShowsApi(page, $"?{Year}&communityCode=ST05-C01", "month", "ST05-C01-G02");
        Assert.Contains("grid=ST05-C01-G02", page.Url, StringComparison.Ordinal);
        var listed = await page.Locator("#overdue-rows tr[data-code]").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.code)");
        var inGrid = (await Api("/api/v1/orders?overdue=true&gridCode=ST05-C01-G02"))["items"]!.AsArray().Select(o => o!["code"]!.GetValue<string>());
        Assert.Equal(inGrid, listed);
        Assert.Equal("selected", (await page.GetAttributeAsync("#map-canvas path.cell[data-code=\"ST05-C01-G02\"]", "class"))!.Split(' ')[^1]);

        var screenshot = Path.Combine(AppContext.BaseDirectory, "TestResults", "dashboard-map.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
        output.WriteLine($"Dashboard with a grid chosen on the map: {screenshot}");

        await page.ClickAsync("#map-clear");
        await Shown(page, $"?period=year&{Year}");
    }

    /// <summary>
    /// In the page: every problem with the tables' layout. A column has width, its header's text stays inside
    /// it (so no header runs over the next), headers do not overlap, and none is past its panel's edge
    /// (hidden behind a scrollbar); the first row's cells have width too.
    /// </summary>
    private const string LayoutProblems = """
        () => {
          const problems = [];
          const visible = e => getComputedStyle(e).display !== 'none';
          for (const table of document.querySelectorAll('table')) {
            const panel = table.closest('.panel');
            const edge = panel.getBoundingClientRect().right;
            const headers = [...table.querySelectorAll('thead th')].filter(visible).map(th => {
              const box = th.getBoundingClientRect();
              const range = document.createRange();
              range.selectNodeContents(th);
              const text = range.getBoundingClientRect();
              return { name: th.textContent.trim(), left: box.left, right: box.right, width: box.width, textLeft: text.left, textRight: text.right };
            });
            headers.forEach((h, i) => {
              if (h.width < 1) problems.push(`${panel.id}: "${h.name}" has no width`);
              if (h.textRight > h.right + 0.5 || h.textLeft < h.left - 0.5) problems.push(`${panel.id}: "${h.name}" runs out of its column`);
              if (h.right > edge + 0.5) problems.push(`${panel.id}: "${h.name}" is past the panel's edge`);
              if (i > 0 && headers[i - 1].right > h.left + 0.5) problems.push(`${panel.id}: "${headers[i - 1].name}" overlaps "${h.name}"`);
            });
            const row = table.querySelector('tbody tr[data-code]');
            if (row) {
              [...row.cells].filter(visible).forEach((cell, i) => {
                if (cell.getBoundingClientRect().width < 1) problems.push(`${panel.id}: the first row's cell ${i + 1} has no width`);
              });
            }
          }
          return problems;
        }
        """;

    [ChromiumFact]
    public async Task The_tables_are_laid_out_at_phone_laptop_and_wall_sizes_with_no_header_overlapping_and_every_column_wide()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var key = app.CreateKey(new NewCredential(Role.Supervisor, "layout"));
        var problems = new List<string>();
        foreach (var (width, height) in new[] { (360, 640), (1400, 1000), (1920, 1080), (2560, 1440) })
        {
            var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = width, Height = height } });
            await page.GotoAsync(app.BaseAddress + "/dashboard?key=" + key);
            await Shown(page, $"?period=year&{Year}");
            await page.WaitForSelectorAsync("#overdue-rows tr[data-code]", new() { State = WaitForSelectorState.Attached });
            var screenshot = Path.Combine(AppContext.BaseDirectory, "TestResults", $"dashboard-{width}x{height}.png");
            Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
            await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
            output.WriteLine($"Dashboard at {width}×{height}: {screenshot}");
            problems.AddRange((await page.EvaluateAsync<string[]>(LayoutProblems)).Select(p => $"{width}×{height} {p}"));
            await page.CloseAsync();
        }

        Assert.Empty(problems);
    }

    /// <summary>Waits until the page has drawn the figures for these filters.</summary>
    private static Task Shown(IPage page, string filters) =>
        page.WaitForSelectorAsync($"body[data-shown=\"{filters}\"]", new() { State = WaitForSelectorState.Attached, Timeout = 15_000 });

    /// <summary>Every figure on the page against the API's answer for the same filters; returns the summary's figures.</summary>
    private async Task<JsonObject> AssertShowsApi(IPage page, string scope, string interval, string? gridCode = null)
    {
        var summary = await Api($"/api/v1/stats/summary{scope}");
        var figures = summary["figures"]!.AsObject();
        var headline = await page.Locator("#headline [data-figure]").AllAsync();
        Assert.True(headline.Count >= 7, $"{headline.Count} headline figures");
        foreach (var figure in headline)
        {
            var name = (await figure.GetAttributeAsync("data-figure"))!;
            Assert.True(figures.ContainsKey(name), $"the page shows {name}, which the summary does not have");
            Assert.Equal($"{name} {Format(name, figures[name])}", $"{name} {await figure.TextContentAsync()}");
        }

        var ranking = await Api($"/api/v1/stats/breakdown{scope}&groupBy=department&sort=completionRate&order=desc");
        var rows = ranking["rows"]!.AsArray();
        Assert.Equal(rows.Select(r => r!["code"]!.GetValue<string>()),
            await page.Locator("#ranking-rows tr[data-code]").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.code)"));
        foreach (var row in rows)
        {
            var code = row!["code"]!.GetValue<string>();
            foreach (var cell in await page.Locator($"#ranking-rows tr[data-code=\"{code}\"] [data-figure]").AllAsync())
            {
                var name = (await cell.GetAttributeAsync("data-figure"))!;
                Assert.Equal($"{code} {name} {Format(name, row["figures"]![name])}", $"{code} {name} {await cell.TextContentAsync()}");
            }
        }

        var series = await Api($"/api/v1/stats/timeseries{scope}&interval={interval}");
        var rated = series["points"]!.AsArray().Count(p => p!["figures"]!["completionRate"] is not null);
        Assert.Equal(rated, await page.Locator("#chart circle[data-figure=completionRate]").CountAsync());

        var street = scope.Split("streetCode=") is [_, var streetCode] ? $"&streetCode={streetCode}" : "";
        // A grid chosen on the map narrows the overdue list to it (the figures to its community).
        var grid = gridCode is null ? "" : $"&gridCode={gridCode}";
        var overdue = await Api($"/api/v1/orders?overdue=true&limit=10{street}{grid}");
        Assert.Equal(overdue["items"]!.AsArray().Select(o => o!["code"]!.GetValue<string>()),
            await page.Locator("#overdue-rows tr[data-code]").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.code)"));
        return figures;
    }

    private async Task<JsonObject> Api(string path)
    {
        var response = await _api.GetAsync(path);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    /// <summary>As the page formats: rates as percentages with one decimal, counts with thousands separators.</summary>
    private static string Format(string name, JsonNode? value) =>
        value is null ? None
        : name.EndsWith("Rate", StringComparison.Ordinal)
            ? (value.GetValue<double>() * 100).ToString("F1", CultureInfo.InvariantCulture) + "%"
            : value.GetValue<long>().ToString("N0", CultureInfo.InvariantCulture);
}
