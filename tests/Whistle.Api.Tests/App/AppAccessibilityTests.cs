using System.Net;
using Microsoft.Playwright;
using Whistle.Api.Features.Access;
using Whistle.Api.Tests.Dashboard;
using Whistle.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Whistle.Api.Tests.App;

/// <summary>
/// axe-core on every screen of the field app and the desk, at a phone's and a desk's size, in both
/// languages: no serious or critical violation. Screenshots of each are kept as test artefacts.
/// </summary>
public class AppAccessibilityTests(AppHost app, ITestOutputHelper output) : IClassFixture<AppHost>
{
    [ChromiumFact]
    public async Task Every_screen_has_no_serious_or_critical_accessibility_violation()
    {
        Assert.True(File.Exists(Path.Combine(Repository.Root, "tests", "Whistle.Api.Tests", "App", "node_modules", "axe-core", "axe.min.js")),
            "axe-core is installed by the test build from tests/Whistle.Api.Tests/App/package-lock.json (npm ci).");
        var api = app.CreateClient();
        var order = await api.File(category: "garbage", grid: "ST01-C01-G01");
        await api.Whistle(order.Id);
        await using var browser = await AppBrowser.LaunchAsync(app);
        var violations = new List<string>();
        async Task Check(IPage page, string screen)
        {
            var found = await AppBrowser.AccessibilityViolationsAsync(page);
            violations.AddRange(found.Select(v => $"{screen}: {v}"));
            output.WriteLine($"{screen}: {found.Count} serious or critical; screenshot {await AppBrowser.ScreenshotAsync(page, screen)}");
        }

        // The field app on a phone: signing in, filing, my orders, the outbox; then in English.
        var phone = await browser.PhoneAsync((AppBrowser.InGrid1.Latitude, AppBrowser.InGrid1.Longitude, 12), bypassCsp: true);
        var signIn = await phone.NewPageAsync();
        await signIn.GotoAsync(app.BaseAddress + "/app/");
        await signIn.Locator("#sign-in").WaitForAsync();
        await Check(signIn, "phone-sign-in");
        var worker = app.CreateKey(new NewCredential(Role.GridWorker, "网格员 a11y", CommunityCode: "ST01-C01"));
        var field = await browser.OpenAsync(phone, "/app/", worker);
        await Shows.EventuallyAsync(field, "#in-grid", "ST01-C01-G01");
        await Check(field, "phone-file");
        await field.EvaluateAsync("() => location.hash = '#mine'");
        await Check(field, "phone-mine");
        await field.EvaluateAsync("() => location.hash = '#outbox'");
        await Check(field, "phone-outbox");
        await field.ClickAsync("#language");
        await field.EvaluateAsync("() => location.hash = '#file'");
        Assert.Equal("en", await field.GetAttributeAsync("html", "lang"));
        await Check(field, "phone-file-en");

        // The desk: a community's queue with an order open, and an admin's, who also issues keys.
        var community = app.CreateKey(new NewCredential(Role.Community, "社区 a11y", CommunityCode: "ST01-C01"));
        var desk = await browser.OpenAsync(await browser.DeskAsync(bypassCsp: true), "/app/desk", community);
        await desk.Locator($"#orders li[data-order='{order.Code}'] button").ClickAsync();
        await Shows.EventuallyAsync(desk, "#order-heading", order.Code);
        await desk.Locator("#order form.action summary").First.ClickAsync();
        await Check(desk, "desk-order");
        var admin = await browser.OpenAsync(await browser.DeskAsync(bypassCsp: true), "/app/desk", app.AdminKey);
        await admin.Locator("#issue-key").WaitForAsync();
        await Check(admin, "desk-admin");
        var phoneDesk = await browser.OpenAsync(await browser.PhoneAsync(bypassCsp: true), "/app/desk", community);
        await Check(phoneDesk, "phone-desk");

        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    [ChromiumFact]
    public async Task The_app_is_installable_and_its_shell_is_served_with_its_security_headers()
    {
        using var http = new HttpClient { BaseAddress = new Uri(app.BaseAddress) };
        var manifest = await http.GetAsync("/app/manifest.webmanifest");
        Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
        Assert.Equal("application/manifest+json", manifest.Content.Headers.ContentType?.MediaType);
        var shell = await http.GetAsync("/app/");
        Assert.Contains("script-src 'self'", shell.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(app.BaseAddress) }.GetAsync("/app")).StatusCode);

        // Chromium's own judgement: a manifest with icons it can load, a worker controlling the page.
        await using var browser = await AppBrowser.LaunchAsync(app);
        var profile = Directory.CreateTempSubdirectory("whistle-app-profile-");
        await using var context = await browser.ProfileAsync(profile.FullName);
        var page = await context.NewPageAsync();
        await page.GotoAsync(app.BaseAddress + "/app/");
        await page.EvaluateAsync("() => navigator.serviceWorker.ready");
        var session = await page.Context.NewCDPSessionAsync(page);
        var errors = await session.SendAsync("Page.getInstallabilityErrors");
        var manifestInfo = await session.SendAsync("Page.getAppManifest");
        output.WriteLine($"installability: {errors}; manifest: {manifestInfo?.GetProperty("url")}");
        Assert.Equal(0, errors!.Value.GetProperty("installabilityErrors").GetArrayLength());
        await context.CloseAsync();
        profile.Delete(recursive: true);
    }
}
