using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Whistle.Api.Features.Access;
using Whistle.Api.Tests.Dashboard;
using Whistle.Api.Tests.Infrastructure;
using Whistle.Api.Tests.Photos;

namespace Whistle.Api.Tests.App;

/// <summary>
/// The desk in a real Chromium beside the field app: the whole loop worked by people without a
/// request written by hand, conflicts between two desks explained, a supervisor's decisions and a
/// co-handler's part.
/// </summary>
public class DeskTests(AppHost app) : IClassFixture<AppHost>
{
    [ChromiumFact]
    public async Task The_loop_from_the_phone_through_the_desks_and_back_with_each_step_shown_in_the_field_app()
    {
        await using var browser = await AppBrowser.LaunchAsync(app);
        var worker = app.CreateKey(new NewCredential(Role.GridWorker, "网格员 王芳", CommunityCode: "ST01-C01"));
        var officer = app.CreateKey(new NewCredential(Role.Community, "社区 李强", CommunityCode: "ST01-C01"));
        var sanitation = app.CreateKey(new NewCredential(Role.Department, "环卫 调度", DepartmentCode: "sanitation"));

        // The grid worker files from the phone.
        var phone = await browser.PhoneAsync((AppBrowser.InGrid1.Latitude, AppBrowser.InGrid1.Longitude, 6));
        var field = await browser.OpenAsync(phone, "/app/", worker);
        var title = $"垃圾满溢 overflowing bins {Guid.NewGuid():N}";
        await field.SelectOptionAsync("select[name=categoryCode]", "garbage");
        await field.FillAsync("input[name=title]", title);
        await field.FillAsync("textarea[name=description]", "三号门垃圾桶三天未清运 Bins at gate 3 not emptied for three days.");
        await Shows.EventuallyAsync(field, "#in-grid", "ST01-C01-G01");
        await field.ClickAsync("#filing button[type=submit]");
        await Shows.EventuallyAsync(field, "#count-sent", "1", timeoutMs: 20_000);
        var code = (string)(await app.OrdersTitledAsync(title)).Single()["code"]!;

        // The community's desk: the order in its queue; whistled by the duty catalogue's suggestion.
        var deskContext = await browser.DeskAsync();
        var desk = await browser.OpenAsync(deskContext, "/app/desk", officer);
        await OpenOrderAsync(desk, code);
        await ActAsync(desk, "whistle");
        await Shows.EventuallyAsync(desk, "#order .facts", "sanitation");
        await FieldShowsAsync(field, code, "whistled");

        // The department acknowledges, then resolves with an after photo.
        var departmentContext = await browser.DeskAsync();
        var department = await browser.OpenAsync(departmentContext, "/app/desk", sanitation);
        await OpenOrderAsync(department, code);
        await ActAsync(department, "acknowledge");
        await FieldShowsAsync(field, code, "acknowledged");
        await department.Locator("form[data-action=resolve] summary").ClickAsync();
        await department.FillAsync("form[data-action=resolve] textarea[name=result]", "已清运并消毒 Emptied and disinfected.");
        await department.SetInputFilesAsync("form[data-action=resolve] input[name=afterPhotos]",
            new FilePayload { Name = "after.jpg", MimeType = "image/jpeg", Buffer = Images.CameraJpeg(1600, 1200) });
        await department.ClickAsync("form[data-action=resolve] button[type=submit]");
        await Shows.EventuallyAsync(department, "#order .facts", "已办结");
        await FieldShowsAsync(field, code, "resolved");
        Assert.Equal("resolution", (string?)(await app.OrderAsync(code))["photos"]!.AsArray().Single(p => (string?)p!["stage"] == "resolution")!["stage"]);

        // Before and after, side by side, on the community's desk.
        await OpenOrderAsync(desk, code);
        await desk.Locator(".before-after [data-stage=after] img").WaitForAsync(new() { Timeout = 15_000 });

        // The community is not satisfied: the order reopens, and the phone says so.
        await desk.Locator("form[data-action=evaluate] summary").ClickAsync();
        await desk.SelectOptionAsync("form[data-action=evaluate] select[name=rating]", "unsatisfied");
        await desk.FillAsync("form[data-action=evaluate] textarea[name=comment]", "仍有异味 It still smells.");
        await desk.ClickAsync("form[data-action=evaluate] button[type=submit]");
        await Shows.EventuallyAsync(desk, "#order .facts", "不满意");
        var reopened = await app.OrderAsync(code);
        Assert.Equal("acknowledged", (string?)reopened["state"]);
        Assert.Equal(1, (int)reopened["counters"]!["reopens"]!);
        await FieldShowsAsync(field, code, "acknowledged");

        await AppBrowser.ScreenshotAsync(desk, "desk");
        await AppBrowser.ScreenshotAsync(field, "phone-mine");
        browser.AssertNoProblems();
    }

    [ChromiumFact]
    public async Task A_second_desk_acting_on_the_same_order_is_told_what_changed_and_keeps_what_it_typed()
    {
        var api = app.CreateClient();
        var order = await api.File(category: "garbage", grid: "ST01-C01-G01");
        await using var browser = await AppBrowser.LaunchAsync(app);
        var first = app.CreateKey(new NewCredential(Role.Community, "社区 甲", CommunityCode: "ST01-C01"));
        var second = app.CreateKey(new NewCredential(Role.Community, "社区 乙", CommunityCode: "ST01-C01"));
        var one = await browser.OpenAsync(await browser.DeskAsync(), "/app/desk", first);
        var two = await browser.OpenAsync(await browser.DeskAsync(), "/app/desk", second);
        await OpenOrderAsync(one, order.Code);
        await OpenOrderAsync(two, order.Code);

        // The second officer starts to handle it locally while the first whistles it.
        await two.Locator("form[data-action=handle-locally] summary").ClickAsync();
        const string typed = "网格员已现场清理 The grid worker cleared it on the spot.";
        await two.FillAsync("form[data-action=handle-locally] textarea[name=result]", typed);
        await ActAsync(one, "whistle");
        await two.ClickAsync("form[data-action=handle-locally] button[type=submit]");

        // Told in words, shown the order as it is now, and what was typed is still there.
        await Shows.EventuallyAsync(two, "#order [role=alert]", "已被他人更新");
        await Shows.EventuallyAsync(two, "#order .facts", "已吹哨");
        Assert.Contains(typed, await two.EvaluateAsync<string>("() => [...document.querySelectorAll('#order textarea')].map(t => t.value).join('\\n')"));
        Assert.Equal("whistled", (string?)(await app.OrderAsync(order.Code))["state"]);
        browser.AssertNoProblems(p => p.Contains(" 412", StringComparison.Ordinal) || p.Contains(" 409", StringComparison.Ordinal));
    }

    [ChromiumFact]
    public async Task A_supervisor_approves_an_extension_and_refuses_a_return_and_a_co_handler_completes_its_part()
    {
        var api = app.CreateClient();
        // Joint handling: urban management leads, housing co-handles; the lead asks for ten more days.
        var joint = await api.File(category: "garbage", grid: "ST01-C01-G01");
        await api.Act(joint.Id, "whistle", new { departmentCode = "sanitation", coDepartmentCodes = new[] { "housing" } });
        await api.Acknowledge(joint.Id);
        var asked = await app.OrderAsync(joint.Code);
        var later = DateTimeOffset.Parse((string)asked["deadlines"]!["resolveBy"]!, System.Globalization.CultureInfo.InvariantCulture).AddDays(10);
        await api.Act(joint.Id, "request-extension", new { resolveBy = later, reason = "设备待采购 Parts on order" });
        // Another order returned by its department: under review.
        var returned = await api.File(category: "garbage", grid: "ST01-C01-G01");
        await api.Whistle(returned.Id);
        await api.Act(returned.Id, "return", new { reason = "不属本部门 Not our duty", reasonCode = "not-our-duty", basis = "权责清单第12项 Catalogue item 12" });
        Assert.Equal("return-under-review", (string?)(await app.OrderAsync(returned.Code))["state"]);

        await using var browser = await AppBrowser.LaunchAsync(app);
        var supervisor = app.CreateKey(new NewCredential(Role.Supervisor, "街道督办 赵敏", StreetCode: "ST01"));
        var desk = await browser.OpenAsync(await browser.DeskAsync(), "/app/desk", supervisor);
        await OpenOrderAsync(desk, joint.Code);
        await ActAsync(desk, "approve-extension");
        var approved = await app.OrderAsync(joint.Code);
        Assert.Null(approved["pendingExtension"]);
        Assert.Equal(later, DateTimeOffset.Parse((string)approved["deadlines"]!["resolveBy"]!, System.Globalization.CultureInfo.InvariantCulture));

        await OpenOrderAsync(desk, returned.Code);
        await desk.Locator("form[data-action=refuse-return] summary").ClickAsync();
        await desk.FillAsync("form[data-action=refuse-return] textarea[name=note]", "属环卫职责 It is sanitation's duty.");
        await desk.ClickAsync("form[data-action=refuse-return] button[type=submit]");
        await Shows.EventuallyAsync(desk, "#order .facts", "已吹哨");
        Assert.Equal("whistled", (string?)(await app.OrderAsync(returned.Code))["state"]);

        // The co-handling department reports for duty on its part and completes it.
        var housing = app.CreateKey(new NewCredential(Role.Department, "住建 值班", DepartmentCode: "housing"));
        var partDesk = await browser.OpenAsync(await browser.DeskAsync(), "/app/desk", housing);
        await OpenOrderAsync(partDesk, joint.Code);
        await partDesk.Locator("form[data-action=part-report] summary").ClickAsync();
        await partDesk.ClickAsync("form[data-action=part-report] button[type=submit]");
        await Shows.EventuallyAsync(partDesk, "tr[data-part=housing]", "已报到");
        await partDesk.Locator("form[data-action=part-complete] summary").ClickAsync();
        await partDesk.FillAsync("form[data-action=part-complete] textarea[name=result]", "房屋已加固 The building is shored up.");
        await partDesk.ClickAsync("form[data-action=part-complete] button[type=submit]");
        await Shows.EventuallyAsync(partDesk, "tr[data-part=housing]", "已完成");
        var part = (await app.OrderAsync(joint.Code))["parts"]!.AsArray().Single(p => (string?)p!["departmentCode"] == "housing")!;
        Assert.Equal("done", (string?)part["state"]);
        browser.AssertNoProblems();
    }

    private static async Task OpenOrderAsync(IPage desk, string code)
    {
        // Found by the queue's text search, as a person would look for it.
        await desk.FillAsync("#f-q", code);
        var row = desk.Locator($"#orders li[data-order='{code}'] button");
        await row.WaitForAsync(new() { Timeout = 15_000 });
        await row.ClickAsync();
        await Shows.EventuallyAsync(desk, "#order-heading", code);
    }

    private static async Task ActAsync(IPage desk, string action)
    {
        var form = desk.Locator($"form[data-action='{action}']");
        await form.Locator("summary").ClickAsync();
        await form.Locator("button[type=submit]").ClickAsync();
        await desk.WaitForFunctionAsync("action => !document.querySelector(`form[data-action='${action}'] button[type=submit]`)?.disabled", action);
    }

    /// <summary>The field app's "my orders" shows the order in this state (it refreshes when opened).</summary>
    private static async Task FieldShowsAsync(IPage field, string code, string state)
    {
        await field.EvaluateAsync("() => { location.hash = '#file'; location.hash = '#mine'; }");
        try
        {
            await field.WaitForFunctionAsync("([code, state]) => document.querySelector(`#mine-list li[data-order='${code}']`)?.dataset.state === state",
                new[] { code, state }, new() { Timeout = 15_000 });
        }
        catch (TimeoutException)
        {
            Assert.Fail($"The field app does not show {code} as {state}: {await field.TextContentAsync("#mine-list")}");
        }
    }
}
