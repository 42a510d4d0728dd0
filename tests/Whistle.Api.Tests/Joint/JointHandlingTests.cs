using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Api.Features.Access;
using Whistle.Api.Features.Deadlines;
using Whistle.Api.Features.Webhooks;
using Whistle.Api.Tests.Infrastructure;
using Whistle.Api.Tests.Webhooks;

namespace Whistle.Api.Tests.Joint;

/// <summary>A district whose returns go to the street supervisor's review (Whistle__Returns__Review=supervisor).</summary>
public sealed class ReviewedReturnsApp : WhistleApp
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Whistle:Returns:Review", "supervisor");
    }
}

/// <summary>
/// Issue 13's story end to end: one whistle summons a lead and two co-handling departments, each is
/// told, reports for duty and reports its part; the lead resolves only once the parts are in; the
/// co-handlers act on their own part only; a return under review is refused and comes back.
/// </summary>
public sealed class JointHandlingTests : IAsyncLifetime
{
    private readonly ReviewedReturnsApp _app = new();
    private WebhookReceiver _receiver = null!;
    private HttpClient _community = null!;
    private HttpClient _supervisor = null!;
    private HttpClient _urban = null!;
    private HttpClient _housing = null!;
    private HttpClient _market = null!;

    public async Task InitializeAsync()
    {
        await _app.InitializeAsync();
        _receiver = await WebhookReceiver.StartAsync();
        _community = _app.ClientAs(Role.Community, community: "ST01-C01", name: "community C01");
        _supervisor = _app.ClientAs(Role.Supervisor, street: "ST01", name: "supervisor ST01");
        _urban = _app.ClientAs(Role.Department, department: "urban-management", name: "urban management desk");
        _housing = _app.ClientAs(Role.Department, department: "housing", name: "housing desk");
        _market = _app.ClientAs(Role.Department, department: "market-supervision", name: "market supervision desk");
    }

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        await _app.DisposeAsync();
    }

    private async Task<Webhook> Subscribe(HttpClient client)
    {
        var response = await client.PostAsJsonAsync("/api/v1/webhooks", new { url = _receiver.Url, events = new[] { "*" } });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Read<Webhook>();
    }

    private async Task<string[]> EventsOf(HttpClient client, Webhook webhook)
    {
        var response = await client.GetAsync($"/api/v1/webhooks/{webhook.Id}/deliveries");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Read<DeliveryPage>()).Items.OrderBy(d => d.Id).Select(d => d.EventType).ToArray();
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private static async Task<JsonElement> Act(HttpClient client, Guid id, string path, object? body = null) =>
        await Json(await client.Post($"/api/v1/orders/{id}/{path}", body));

    private static async Task<JsonElement> Json409(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    private static string[] Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToArray();

    private static (string, string, string)[] Parts(JsonElement order) => order.GetProperty("parts").EnumerateArray()
        .Select(p => (p.GetProperty("departmentCode").GetString()!, p.GetProperty("role").GetString()!, p.GetProperty("state").GetString()!))
        .ToArray();

    [Fact]
    public async Task A_joint_order_summons_lead_and_co_handlers_who_report_and_the_lead_resolves_only_after_the_parts_are_in()
    {
        var urbanHook = await Subscribe(_urban);
        var housingHook = await Subscribe(_housing);
        var marketHook = await Subscribe(_market);
        var waterHook = await Subscribe(_app.ClientAs(Role.Department, department: "water", name: "water desk"));

        var filed = await _community.File("illegal-construction");
        var whistled = await Act(_community, filed.Id, "whistle",
            new { departmentCode = "urban-management", coDepartmentCodes = new[] { "housing", "market-supervision" } });
        Assert.Equal(
            [("urban-management", "lead", "summoned"), ("housing", "co-handler", "summoned"), ("market-supervision", "co-handler", "summoned")],
            Parts(whistled));
        // Each part's acknowledge deadline comes from the category's limits (illegal construction: 24 hours).
        var housingPart = whistled.GetProperty("parts")[1];
        Assert.Equal(_app.Clock.GetUtcNow().AddHours(24), housingPart.GetProperty("acknowledgeBy").GetDateTimeOffset());
        // The community that whistled takes none of a part's actions (they are the department's and the supervisor's).
        Assert.Empty(Strings(housingPart.GetProperty("allowedActions")));

        // A co-handler sees the order, may act only on its own part, and takes none of the order's own actions.
        var asHousing = await Json(await _housing.GetAsync($"/api/v1/orders/{filed.Id}"));
        Assert.Empty(Strings(asHousing.GetProperty("allowedActions")));
        Assert.Equal(["report", "decline"], Strings(asHousing.GetProperty("parts")[1].GetProperty("allowedActions")));
        Assert.Empty(Strings(asHousing.GetProperty("parts")[2].GetProperty("allowedActions")));
        var housingQueue = await Json(await _housing.GetAsync("/api/v1/orders"));
        Assert.Contains(housingQueue.GetProperty("items").EnumerateArray(), o => o.GetProperty("id").GetGuid() == filed.Id);
        Assert.Equal(HttpStatusCode.OK, (await _housing.GetAsync($"/api/v1/orders/{filed.Id}/history")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _housing.Post($"/api/v1/orders/{filed.Id}/acknowledge")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _housing.Post($"/api/v1/orders/{filed.Id}/parts/market-supervision/report")).StatusCode);
        // A department with no part in it does not see it at all.
        var water = _app.ClientAs(Role.Department, department: "water", name: "water desk 2");
        Assert.Equal(HttpStatusCode.NotFound, (await water.GetAsync($"/api/v1/orders/{filed.Id}")).StatusCode);

        await Act(_urban, filed.Id, "acknowledge");
        await Act(_housing, filed.Id, "parts/housing/report", new { note = "Inspector on site at 10" });
        // Market supervision reports a day late: past its part's 24 hours.
        _app.Clock.Advance(TimeSpan.FromHours(25));
        await Act(_market, filed.Id, "parts/market-supervision/report");
        await Act(_housing, filed.Id, "parts/housing/complete", new { result = "Building permit checked: none was issued" });

        // Market supervision's part is still open: the lead cannot resolve yet.
        var early = await _urban.Post($"/api/v1/orders/{filed.Id}/resolve", new { result = "Demolished" });
        Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
        Assert.DoesNotContain("resolve", Strings((await Json(await _urban.GetAsync($"/api/v1/orders/{filed.Id}"))).GetProperty("allowedActions")));
        // Nor can a co-handler, ever.
        Assert.Equal(HttpStatusCode.Forbidden, (await _housing.Post($"/api/v1/orders/{filed.Id}/resolve", new { result = "Done" })).StatusCode);

        await Act(_market, filed.Id, "parts/market-supervision/complete", new { result = "The shop on the ground floor was closed" });
        var resolved = await Act(_urban, filed.Id, "resolve", new { result = "Demolished" });
        Assert.Equal("resolved", resolved.GetProperty("state").GetString());
        Assert.Equal(
            [("urban-management", "lead", "done"), ("housing", "co-handler", "done"), ("market-supervision", "co-handler", "done")],
            Parts(resolved));
        var closed = await Act(_community, filed.Id, "evaluate", new { rating = "satisfied" });
        Assert.Equal("closed", closed.GetProperty("state").GetString());

        // Each summoned department is told of the whistle and hears every part reported and done; water hears nothing.
        await _app.Services.GetRequiredService<WebhookDispatcher>().RunOnceAsync(default);
        string[] heard =
        [
            WebhookEvents.Whistled, WebhookEvents.PartReported, WebhookEvents.PartReported, WebhookEvents.PartDone,
            WebhookEvents.PartDone, WebhookEvents.Resolved, WebhookEvents.Closed,
        ];
        Assert.Equal(heard, await EventsOf(_urban, urbanHook));
        Assert.Equal(heard, await EventsOf(_housing, housingHook));
        Assert.Equal(heard, await EventsOf(_market, marketHook));
        Assert.Empty(await EventsOf(_app.ClientAs(Role.Department, department: "water", name: "water desk 3"), waterHook));
        Assert.Equal(4 * 7 - 7, _receiver.Accepted.Count);
        // The payload names each department's role.
        var first = JsonDocument.Parse(_receiver.Accepted[0].Body).RootElement;
        Assert.Equal("order.whistled", first.GetProperty("type").GetString());
        Assert.Equal(["lead", "co-handler", "co-handler"], first.GetProperty("data").GetProperty("parts").EnumerateArray()
            .Select(p => p.GetProperty("role").GetString()!));

        // The figures per department, counted by hand: each department answers for its own summons (as lead or
        // co-handler) against its own deadline; completion and satisfaction are the lead's.
        var breakdown = await Json(await _supervisor.GetAsync("/api/v1/stats/breakdown?groupBy=department"));
        var rows = breakdown.GetProperty("rows").EnumerateArray().ToDictionary(r => r.GetProperty("code").GetString()!, r => r.GetProperty("figures"));
        (long, long, long, long, double?, long, long) Figures(string department)
        {
            var f = rows[department];
            return (f.GetProperty("dispatchedOrders").GetInt64(), f.GetProperty("summons").GetInt64(), f.GetProperty("coHandlerSummons").GetInt64(),
                f.GetProperty("acknowledgedOnTime").GetInt64(),
                f.GetProperty("responseRate").ValueKind == JsonValueKind.Null ? null : f.GetProperty("responseRate").GetDouble(),
                f.GetProperty("completedOrders").GetInt64(), f.GetProperty("satisfiedOrders").GetInt64());
        }
        Assert.Equal(["housing", "market-supervision", "urban-management"], rows.Keys.Order(StringComparer.Ordinal));
        Assert.Equal((1L, 1L, 0L, 1L, (double?)1.0, 1L, 1L), Figures("urban-management"));
        Assert.Equal((0L, 1L, 1L, 1L, (double?)1.0, 0L, 0L), Figures("housing"));
        Assert.Equal((0L, 1L, 1L, 0L, (double?)0.0, 0L, 0L), Figures("market-supervision"));
        // The district: one order, three summons, two answered in time.
        var summary = (await Json(await _supervisor.GetAsync("/api/v1/stats/summary"))).GetProperty("figures");
        Assert.Equal((1L, 3L, 2L), (summary.GetProperty("dispatchedOrders").GetInt64(), summary.GetProperty("summons").GetInt64(),
            summary.GetProperty("acknowledgedOnTime").GetInt64()));
    }

    [Fact]
    public async Task A_return_under_review_refused_by_the_supervisor_comes_back_to_the_department_and_a_second_refusal_escalates()
    {
        var filed = await _community.File("illegal-construction");
        var whistled = await Act(_community, filed.Id, "whistle", new { departmentCode = "urban-management" });
        var deadlines = whistled.GetProperty("deadlines").GetRawText();

        // Under review, a return must say why from the list and what it rests on.
        var bare = await _urban.Post($"/api/v1/orders/{filed.Id}/return", new { reason = "Not ours" });
        Assert.Equal(HttpStatusCode.BadRequest, bare.StatusCode);

        var returned = await Act(_urban, filed.Id, "return",
            new { reason = "A housing matter", reasonCode = "not-our-duty", basis = "Duty catalogue: housing item 12" });
        Assert.Equal("return-under-review", returned.GetProperty("state").GetString());
        Assert.Equal("urban-management", returned.GetProperty("departmentCode").GetString());
        Assert.Equal("not-our-duty", returned.GetProperty("returnReasonCode").GetString());
        // The department cannot review its own return; the street supervisor can.
        Assert.Equal(HttpStatusCode.Forbidden, (await _urban.Post($"/api/v1/orders/{filed.Id}/refuse-return", new { note = "x" })).StatusCode);
        Assert.Equal(["reassign", "approve-return", "refuse-return"],
            Strings((await Json(await _supervisor.GetAsync($"/api/v1/orders/{filed.Id}"))).GetProperty("allowedActions")));

        var refused = await Act(_supervisor, filed.Id, "refuse-return", new { note = "Unpermitted building work is urban management's: item 3" });
        Assert.Equal(("whistled", "urban-management"), (refused.GetProperty("state").GetString(), refused.GetProperty("departmentCode").GetString()));
        Assert.Equal(deadlines, refused.GetProperty("deadlines").GetRawText());
        Assert.Equal("none", refused.GetProperty("escalationLevel").GetString());
        Assert.Contains("acknowledge", Strings((await Json(await _urban.GetAsync($"/api/v1/orders/{filed.Id}"))).GetProperty("allowedActions")));

        await Act(_urban, filed.Id, "return", new { reason = "Still not ours", reasonCode = "not-our-duty", basis = "Item 12" });
        var again = await Act(_supervisor, filed.Id, "refuse-return", new { note = "It is yours" });
        Assert.Equal("street", again.GetProperty("escalationLevel").GetString());
        Assert.Equal((2, 2), (again.GetProperty("counters").GetProperty("returns").GetInt32(), again.GetProperty("counters").GetProperty("returnRefusals").GetInt32()));

        await Act(_urban, filed.Id, "return", new { reason = "Outside our district", reasonCode = "outside-district", basis = "Boundary map" });
        var approved = await Act(_supervisor, filed.Id, "approve-return", new { note = "Agreed" });
        Assert.Equal("returned", approved.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, approved.GetProperty("departmentCode").ValueKind);
        // Back with the community, which may whistle it again.
        Assert.Contains("whistle", Strings((await Json(await _community.GetAsync($"/api/v1/orders/{filed.Id}"))).GetProperty("allowedActions")));
    }

    [Fact]
    public async Task A_supervisor_summons_a_further_department_and_waives_a_part_and_the_scheduler_presses_a_late_co_handler()
    {
        var filed = await _community.File("illegal-construction");
        await Act(_community, filed.Id, "whistle", new { departmentCode = "urban-management", coDepartmentCodes = new[] { "housing" } });
        var summoned = await Act(_supervisor, filed.Id, "summon", new { departmentCode = "market-supervision" });
        Assert.Equal(3, summoned.GetProperty("parts").GetArrayLength());
        // Summoning the lead or a department already there is the caller's mistake.
        Assert.Equal(HttpStatusCode.BadRequest, (await _community.Post($"/api/v1/orders/{filed.Id}/summon", new { departmentCode = "housing" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _community.Post($"/api/v1/orders/{filed.Id}/summon", new { departmentCode = "urban-management" })).StatusCode);

        // A department cannot waive its own part.
        Assert.Equal(HttpStatusCode.Forbidden, (await _housing.Post($"/api/v1/orders/{filed.Id}/parts/housing/waive", new { reason = "x" })).StatusCode);
        var waived = await Act(_supervisor, filed.Id, "parts/market-supervision/waive", new { reason = "No shop is involved" });
        var part = waived.GetProperty("parts")[2];
        Assert.Equal(("waived", "supervisor ST01"), (part.GetProperty("state").GetString(), part.GetProperty("waivedBy").GetString()));
        // A settled part takes no more actions: 409, with the part's state.
        var late = await _market.Post($"/api/v1/orders/{filed.Id}/parts/market-supervision/report");
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Equal("waived", (await Json409(late)).GetProperty("partState").GetString());

        // Housing has not reported within its 24 hours: the scheduler presses it, once, then again a day later.
        _app.Clock.Advance(TimeSpan.FromHours(25));
        var scheduler = _app.Services.GetRequiredService<DeadlineScheduler>();
        var run = await scheduler.RunOnceAsync(default);
        Assert.Equal(1, run.PartsEscalated);
        Assert.Equal(0, (await scheduler.RunOnceAsync(default)).PartsEscalated);
        var pressed = await Json(await _supervisor.GetAsync($"/api/v1/orders/{filed.Id}"));
        Assert.Equal((1, true), (pressed.GetProperty("parts")[1].GetProperty("escalations").GetInt32(), pressed.GetProperty("parts")[1].GetProperty("overdue").GetBoolean()));
        var history = await Json(await _supervisor.GetAsync($"/api/v1/orders/{filed.Id}/history"));
        Assert.Contains(history.EnumerateArray(), e => e.GetProperty("action").GetString() == "escalate-part");

        // Reported, it is no longer late.
        await Act(_housing, filed.Id, "parts/housing/report");
        _app.Clock.Advance(TimeSpan.FromHours(25));
        Assert.Equal(0, (await scheduler.RunOnceAsync(default)).PartsEscalated);
    }
}
