using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Whistle.Api.Features.Access;
using Whistle.Api.Tests.Dashboard;
using Whistle.Api.Tests.Infrastructure;
using Whistle.Api.Tests.Photos;
using Xunit.Abstractions;

namespace Whistle.Api.Tests.App;

/// <summary>
/// The field app in a real Chromium as a phone: filing offline with photos from the camera, the
/// outbox surviving a closed app and a flaky server, the GPS's first wild fix, the grid chosen by
/// hand, and a duplicate shown before sending.
/// </summary>
public class FieldAppTests(AppHost app, ITestOutputHelper output) : IClassFixture<AppHost>
{
    private static readonly (double Latitude, double Longitude) Spot = AppBrowser.InGrid1;
    private const int TwelveMegapixelsWide = 4000;
    private const int TwelveMegapixelsHigh = 3000;

    [ChromiumFact]
    public async Task A_rider_files_offline_with_two_camera_photos_and_after_a_closed_app_and_a_flaky_server_exactly_one_order_arrives()
    {
        await using var browser = await AppBrowser.LaunchAsync(app);
        var rider = app.CreateKey(new NewCredential(Role.GridWorker, "外卖骑手 rider 3065", GridCodes: ["ST01-C01-G01"]));
        var phone = await browser.PhoneAsync((Spot.Latitude, Spot.Longitude, 8));
        var page = await browser.OpenAsync(phone, "/app/", rider);
        await page.WaitForFunctionAsync("() => navigator.serviceWorker.controller !== null || navigator.serviceWorker.ready.then(() => true)");
        await page.EvaluateAsync("() => navigator.serviceWorker.ready");
        await Shows.EventuallyAsync(page, "#in-grid", "ST01-C01-G01");

        // The network goes; the rider fills the form with two 12 MP photos, one held upright (EXIF orientation 6).
        await phone.SetOfflineAsync(true);
        var title = $"井盖缺失 open manhole {Guid.NewGuid():N}";
        await page.SelectOptionAsync("select[name=categoryCode]", "garbage");
        await page.FillAsync("input[name=title]", title);
        await page.FillAsync("textarea[name=description]", "路口井盖缺失，夜间危险 A manhole cover is missing at the crossing.");
        var flat = Images.CameraJpeg(TwelveMegapixelsWide, TwelveMegapixelsHigh);
        var held = Images.CameraJpeg(TwelveMegapixelsWide, TwelveMegapixelsHigh, upright: false);
        await page.SetInputFilesAsync("input[name=photos]", [
            new FilePayload { Name = "IMG_0001.jpg", MimeType = "image/jpeg", Buffer = flat },
            new FilePayload { Name = "IMG_0002.jpg", MimeType = "image/jpeg", Buffer = held },
        ]);
        await page.Locator("#photo-list li").Nth(1).WaitForAsync(new() { Timeout = 60_000 });
        await page.ClickAsync("#filing button[type=submit]");
        await Shows.EventuallyAsync(page, "[data-outbox-count]", "1");

        // The app is closed, and reopened from the home screen while still offline: the shell comes from
        // the service worker, the filing from the phone's storage.
        await page.CloseAsync();
        var reopened = await browser.ReopenAsync(phone, "/app/#outbox");
        await Shows.EventuallyAsync(reopened, "[data-outbox-count]", "1");
        Assert.Contains(title, await reopened.TextContentAsync("#list-queued") ?? "");

        // Back online, the server first answers 503, then commits but the answer is lost on the way.
        var attempts = new List<(int Bytes, string Key)>();
        await phone.RouteAsync("**/api/v1/orders", async route =>
        {
            if (route.Request.Method != "POST")
            {
                await route.ContinueAsync();
                return;
            }
            attempts.Add((route.Request.PostDataBuffer?.Length ?? 0, await route.Request.HeaderValueAsync("idempotency-key") ?? ""));
            switch (attempts.Count)
            {
                case 1:
                    await route.FulfillAsync(new()
                    {
                        Status = 503,
                        ContentType = "application/problem+json",
                        Headers = new Dictionary<string, string> { ["Retry-After"] = "1" },
                        Body = """{"title":"Service unavailable","status":503}""",
                    });
                    break;
                case 2:
                    await route.FetchAsync(); // the server files it...
                    await route.AbortAsync("connectionreset"); // ...and the phone never hears so
                    break;
                default:
                    await route.ContinueAsync();
                    break;
            }
        });
        await phone.SetOfflineAsync(false);
        await WaitUntilAsync(() => attempts.Count >= 2, TimeSpan.FromSeconds(30), "the outbox did not try twice after the network returned");
        await reopened.ClickAsync("#send-now");
        await Shows.EventuallyAsync(reopened, "[data-outbox-count]", "0", timeoutMs: 30_000);
        await Shows.EventuallyAsync(reopened, "#count-sent", "1");

        // Exactly one order, with both photos upright and shrunk; every attempt carried the same key and
        // the small photos, never the originals.
        var orders = await app.OrdersTitledAsync(title);
        var order = Assert.Single(orders);
        Assert.Equal(3, attempts.Count);
        Assert.Single(attempts.Select(a => a.Key).Distinct());
        Assert.All(attempts, a => Assert.True(a.Bytes < (flat.Length + held.Length) / 2,
            $"an attempt sent {a.Bytes} bytes; the originals are {flat.Length + held.Length}"));
        var photos = order["photos"]!.AsArray();
        Assert.Equal(2, photos.Count);
        var sizes = photos.Select(p => (Width: (int)p!["width"]!, Height: (int)p!["height"]!)).ToList();
        Assert.All(sizes, s => Assert.True(Math.Max(s.Width, s.Height) <= 2048, $"{s.Width}×{s.Height}"));
        Assert.Contains(sizes, s => s.Width > s.Height); // the photo taken flat
        Assert.Contains(sizes, s => s.Height > s.Width); // the one held upright: turned by its EXIF on the phone
        Assert.Equal("ST01-C01-G01", (string?)order["gridCode"]);
        output.WriteLine($"attempts: {string.Join(", ", attempts.Select(a => $"{a.Bytes} bytes"))}; originals {flat.Length + held.Length} bytes");

        await AppBrowser.ScreenshotAsync(reopened, "phone-outbox");
        browser.AssertNoProblems(p => p.Contains("503", StringComparison.Ordinal));
    }

    [ChromiumFact]
    public async Task A_first_fix_800_m_off_is_shown_and_waited_out_and_the_order_lands_in_the_grid_of_the_10_m_fix()
    {
        await using var browser = await AppBrowser.LaunchAsync(app);
        var worker = app.CreateKey(new NewCredential(Role.GridWorker, "网格员 grid worker", CommunityCode: "ST01-C01"));
        // The first fix: 800 m accuracy, and 580 m east, in another grid of the community.
        var phone = await browser.PhoneAsync((Spot.Latitude, Spot.Longitude + 0.0069, 800));
        var page = await browser.OpenAsync(phone, "/app/", worker);
        await Shows.EventuallyAsync(page, "#fix", "±800 m");
        Assert.Equal("warn", await page.GetAttributeAsync("#fix", "class"));
        var wrongGrid = await page.GetAttributeAsync("#in-grid", "data-grid");
        Assert.NotEqual("ST01-C01-G01", wrongGrid);

        await phone.SetGeolocationAsync(new() { Latitude = (float)Spot.Latitude, Longitude = (float)Spot.Longitude, Accuracy = 10 });
        await Shows.EventuallyAsync(page, "#fix", "±10 m");
        var shown = await page.TextContentAsync("#fix") ?? "";
        Assert.Contains("±800 m", shown, StringComparison.Ordinal); // both fixes shown
        await Shows.EventuallyAsync(page, "#in-grid", "ST01-C01-G01");

        var title = $"占道经营 street vending {Guid.NewGuid():N}";
        await FillAsync(page, "street-vending", title);
        await page.ClickAsync("#filing button[type=submit]");
        await Shows.EventuallyAsync(page, "#count-sent", "1", timeoutMs: 20_000);
        var order = Assert.Single(await app.OrdersTitledAsync(title));
        Assert.Equal("ST01-C01-G01", (string?)order["gridCode"]);
        browser.AssertNoProblems();
    }

    [ChromiumFact]
    public async Task With_the_gps_refused_the_worker_chooses_the_grid_without_the_map()
    {
        await using var browser = await AppBrowser.LaunchAsync(app);
        var worker = app.CreateKey(new NewCredential(Role.GridWorker, "网格员 no gps", CommunityCode: "ST01-C01"));
        var phone = await browser.PhoneAsync(gps: null);
        var page = await browser.OpenAsync(phone, "/app/", worker);
        await Shows.EventuallyAsync(page, "#fix", "无法获取定位");

        var title = $"垃圾满溢 bins {Guid.NewGuid():N}";
        await FillAsync(page, "garbage", title);
        await page.SelectOptionAsync("select[name=gridCode]", "ST01-C01-G02");
        await Shows.EventuallyAsync(page, "#in-grid", "ST01-C01-G02");
        await page.ClickAsync("#filing button[type=submit]");
        await Shows.EventuallyAsync(page, "#count-sent", "1", timeoutMs: 20_000);

        var order = Assert.Single(await app.OrdersTitledAsync(title));
        Assert.Equal("ST01-C01-G02", (string?)order["gridCode"]);
        browser.AssertNoProblems();
    }

    [ChromiumFact]
    public async Task A_possible_duplicate_20_m_away_is_shown_before_sending_and_marked_as_the_same_problem()
    {
        // The first report, filed at the spot; the phone reports from 20 m north of it.
        var filed = await app.CreateClient().PostAsJsonAsync("/api/v1/orders", new
        {
            title = "垃圾桶满溢 bins overflowing",
            description = "已满 full",
            categoryCode = "garbage",
            location = new { latitude = Spot.Latitude, longitude = Spot.Longitude },
        });
        Assert.Equal(HttpStatusCode.Created, filed.StatusCode);
        var first = JsonNode.Parse(await filed.Content.ReadAsStringAsync())!;
        var firstCode = (string)first["code"]!;
        await using var browser = await AppBrowser.LaunchAsync(app);
        var worker = app.CreateKey(new NewCredential(Role.GridWorker, "网格员 duplicates", CommunityCode: "ST01-C01"));
        var phone = await browser.PhoneAsync((Spot.Latitude + 0.00018, Spot.Longitude, 5));
        var page = await browser.OpenAsync(phone, "/app/", worker);

        var title = $"垃圾 again {Guid.NewGuid():N}";
        await FillAsync(page, "garbage", title);
        var same = page.Locator($"#nearby-list button[data-same-as='{firstCode}']");
        try
        {
            await same.WaitForAsync(new() { Timeout = 20_000 });
        }
        catch (TimeoutException)
        {
            Assert.Fail($"No possible duplicate shown: {await page.TextContentAsync("#nearby")}\n{string.Join("\n", browser.Calls)}");
        }
        await same.ClickAsync();
        // The draft is saved, then the list drawn again with the button pressed.
        await page.WaitForFunctionAsync("code => document.querySelector(`#nearby-list button[data-same-as='${code}']`)?.getAttribute('aria-pressed') === 'true'",
            firstCode, new() { Timeout = 15_000 });
        await page.ClickAsync("#filing button[type=submit]");
        await Shows.EventuallyAsync(page, "#count-sent", "1", timeoutMs: 20_000);

        var order = Assert.Single(await app.OrdersTitledAsync(title));
        Assert.Equal(firstCode, (string?)order["sameProblemAs"]?["code"]);
        browser.AssertNoProblems();
    }

    [ChromiumFact]
    public async Task A_refusal_is_shown_in_the_apis_words_and_the_draft_is_kept_for_correction()
    {
        await using var browser = await AppBrowser.LaunchAsync(app);
        // Bound to another community's grid: the API refuses a filing in ST01-C01-G01 with 403.
        var worker = app.CreateKey(new NewCredential(Role.GridWorker, "网格员 elsewhere", GridCodes: ["ST01-C02-G01"]));
        var phone = await browser.PhoneAsync((Spot.Latitude, Spot.Longitude, 5));
        var page = await browser.OpenAsync(phone, "/app/", worker);
        var title = $"越界 out of scope {Guid.NewGuid():N}";
        await page.WaitForFunctionAsync("() => document.querySelector('#fix').textContent.includes('±5 m')");
        await FillAsync(page, "garbage", title);
        await page.ClickAsync("#filing button[type=submit]");

        await page.GotoAsync(page.Url.Split('#')[0] + "#outbox");
        await page.Locator("#list-queued li.refused").WaitForAsync(new() { Timeout = 20_000 });
        Assert.Contains("ST01-C01-G01", await page.TextContentAsync("#list-queued li.refused") ?? "");
        Assert.Equal("0", await page.TextContentAsync("[data-outbox-count]"));
        Assert.Empty(await app.OrdersTitledAsync(title));

        // Corrected (the grid this worker has) and sent again: it goes in.
        await page.ClickAsync("#list-queued li.refused button");
        // The refused filing comes back into the form, as it was typed.
        await page.WaitForFunctionAsync("title => document.querySelector('input[name=title]').value === title", title, new() { Timeout = 15_000 });
        await page.SelectOptionAsync("select[name=gridCode]", "ST01-C02-G01");
        await page.ClickAsync("#filing button[type=submit]");
        await Shows.EventuallyAsync(page, "#count-sent", "1", timeoutMs: 20_000);
        Assert.Single(await app.OrdersTitledAsync(title));
    }

    private static async Task FillAsync(IPage page, string category, string title)
    {
        await page.SelectOptionAsync("select[name=categoryCode]", category);
        await page.FillAsync("input[name=title]", title);
        await page.FillAsync("textarea[name=description]", "现场发现 found on the round");
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string because)
    {
        var until = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, because);
            await Task.Delay(200);
        }
    }
}

/// <summary>Waiting for what a person would see.</summary>
public static class Shows
{
    /// <summary>Waits until the element's text contains the words (the app redraws on its own time).</summary>
    public static async Task EventuallyAsync(IPage page, string selector, string text, int timeoutMs = 15_000)
    {
        try
        {
            await page.WaitForFunctionAsync(
                "([selector, text]) => (document.querySelector(selector)?.textContent ?? '').includes(text)",
                new[] { selector, text }, new() { Timeout = timeoutMs });
        }
        catch (TimeoutException)
        {
            Assert.Fail($"'{selector}' never showed '{text}'; it shows '{await page.TextContentAsync(selector)}'");
        }
    }
}
