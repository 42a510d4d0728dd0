using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Whistle.Api.Features.Access;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Reference;

/// <summary>An administrator keeps the district's lists over the API: each rule, retirement, concurrency and the change log.</summary>
public class ManageReferenceTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    private readonly HttpClient _admin = app.CreateClient();

    [Fact]
    public async Task A_new_street_community_and_grid_take_orders_at_once_and_the_log_records_who_did_what()
    {
        await _admin.Street("NEW1", "新城街道");
        await _admin.Community("NEW1-C1", "NEW1", "新城社区");
        var created = await _admin.Grid("NEW1-C1-G1", "NEW1-C1", "新城第一网格");
        Assert.Equal("\"1\"", created.ETag());
        Assert.Equal("/api/v1/grids/NEW1-C1-G1", created.Headers.Location!.ToString());
        var grid = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("NEW1", grid.GetProperty("streetCode").GetString());

        var order = await _admin.File(grid: "NEW1-C1-G1");
        Assert.Equal(("NEW1-C1", "NEW1"), (order.CommunityCode, order.StreetCode));

        var changes = await (await _admin.GetAsync("/api/v1/reference/changes?entity=grids&code=NEW1-C1-G1")).Content.ReadFromJsonAsync<JsonElement>();
        var change = Assert.Single(changes.GetProperty("items").EnumerateArray());
        Assert.Equal("create", change.GetProperty("action").GetString());
        Assert.Equal("test admin", change.GetProperty("actor").GetString());
        Assert.Equal(JsonValueKind.Null, change.GetProperty("before").ValueKind);
        Assert.Equal("新城第一网格", change.GetProperty("after").GetProperty("name").GetString());
    }

    [Fact]
    public async Task An_edit_records_before_and_after_and_the_log_pages_newest_first()
    {
        await _admin.Department("RENAMED", "旧名称");
        var put = await _admin.Put("/api/v1/departments/RENAMED", new { name = "新名称" }, ifMatch: "\"1\"");
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal("\"2\"", put.ETag());

        var first = await (await _admin.GetAsync("/api/v1/reference/changes?entity=departments&code=RENAMED&limit=1")).Content.ReadFromJsonAsync<JsonElement>();
        var newest = Assert.Single(first.GetProperty("items").EnumerateArray());
        Assert.Equal("update", newest.GetProperty("action").GetString());
        Assert.Equal("旧名称", newest.GetProperty("before").GetProperty("name").GetString());
        Assert.Equal("新名称", newest.GetProperty("after").GetProperty("name").GetString());
        var cursor = first.GetProperty("nextCursor").GetString();
        var second = await (await _admin.GetAsync($"/api/v1/reference/changes?entity=departments&code=RENAMED&limit=1&cursor={cursor}")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("create", Assert.Single(second.GetProperty("items").EnumerateArray()).GetProperty("action").GetString());
        Assert.Equal(JsonValueKind.Null, second.GetProperty("nextCursor").ValueKind);
    }

    [Fact]
    public async Task Only_admins_change_reference_data_or_read_its_log()
    {
        var supervisor = app.ClientAs(Role.Supervisor);
        Assert.Equal(HttpStatusCode.Forbidden, (await supervisor.Post("/api/v1/streets", new { code = "NOPE", name = "不行" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await supervisor.GetAsync("/api/v1/reference/changes")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await supervisor.GetAsync("/api/v1/streets/ST01")).StatusCode);
    }

    [Fact]
    public async Task Each_rule_is_a_400_on_its_field()
    {
        // Duplicate code, a malformed one, and a code a retired entry had (never reused).
        Assert.Contains("code", await (await _admin.Post("/api/v1/streets", new { code = "ST01", name = "重复" })).Errors());
        Assert.Contains("code", await (await _admin.Post("/api/v1/streets", new { code = "bad code!", name = "空格" })).Errors());
        await _admin.Street("GONE");
        Assert.Equal(HttpStatusCode.OK, (await _admin.Post("/api/v1/streets/GONE/retire")).StatusCode);
        var reused = await (await _admin.Post("/api/v1/streets", new { code = "GONE", name = "再用" })).Errors();
        Assert.Contains("never reused", reused["code"][0]);

        // Unknown parents, a retired parent, a missing name.
        Assert.Contains("streetCode", await (await _admin.Post("/api/v1/communities", new { code = "X-C1", name = "无街道", streetCode = "NOWHERE" })).Errors());
        Assert.Contains("streetCode", await (await _admin.Post("/api/v1/communities", new { code = "X-C2", name = "退役街道下", streetCode = "GONE" })).Errors());
        Assert.Contains("communityCode", await (await _admin.Post("/api/v1/grids", new { code = "X-G1", name = "无社区", communityCode = "NOWHERE" })).Errors());
        Assert.Contains("name", await (await _admin.Post("/api/v1/departments", new { code = "NONAME" })).Errors());

        // Limits: urgent longer than normal, out of range; a category routed to a retired department.
        var urgent = await (await _admin.Post("/api/v1/categories", ReferenceClient.Category("slow-urgent", "sanitation", urgentAcknowledge: 48))).Errors();
        Assert.Contains("urgentAcknowledgeWithinHours", urgent);
        Assert.Contains("resolveWithinHours", await (await _admin.Post("/api/v1/categories", ReferenceClient.Category("zero", "sanitation", resolve: 0, urgentResolve: 0))).Errors());
        await _admin.Department("OLD-DEPT");
        Assert.Equal(HttpStatusCode.OK, (await _admin.Post("/api/v1/departments/OLD-DEPT/retire")).StatusCode);
        var retired = await (await _admin.Post("/api/v1/categories", ReferenceClient.Category("to-retired", "OLD-DEPT"))).Errors();
        Assert.Contains("retired", retired["departmentCode"][0]);
        Assert.Contains("departmentCode", await (await _admin.Post("/api/v1/categories", ReferenceClient.Category("to-nobody", "NOBODY"))).Errors());

        // An orphan: retiring a street whose communities are still in use; a move under a retired street.
        var orphan = await (await _admin.Post("/api/v1/streets/ST02/retire")).Errors();
        Assert.Contains("ST02-C01", orphan["code"][0]);
        Assert.Contains("streetCode", await (await _admin.Put("/api/v1/communities/ST03-C01", new { name = "搬家", streetCode = "GONE" })).Errors());
        // A code never changes.
        Assert.Contains("code", await (await _admin.Put("/api/v1/streets/ST03", new { code = "ST99", name = "改码" })).Errors());

        // Nothing of it was written.
        Assert.Equal(HttpStatusCode.NotFound, (await _admin.GetAsync("/api/v1/categories/slow-urgent")).StatusCode);
        Assert.Null((await (await _admin.GetAsync("/api/v1/streets/ST02")).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("retiredAt").GetString());
    }

    [Fact]
    public async Task Two_edits_from_the_same_version_one_wins_the_other_is_412()
    {
        var read = await _admin.GetAsync("/api/v1/communities/ST04-C01");
        var etag = read.ETag();
        var edits = await Task.WhenAll(
            _admin.Put("/api/v1/communities/ST04-C01", new { name = "甲", streetCode = "ST04" }, etag),
            _admin.Put("/api/v1/communities/ST04-C01", new { name = "乙", streetCode = "ST04" }, etag));

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.PreconditionFailed], edits.Select(e => e.StatusCode).Order());
        var stale = await edits.Single(e => e.StatusCode == HttpStatusCode.PreconditionFailed).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("\"2\"", stale.GetProperty("currentETag").GetString());
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await _admin.Post("/api/v1/communities/ST04-C01/retire", ifMatch: etag)).StatusCode);
    }

    [Fact]
    public async Task A_retired_grid_takes_no_new_orders_but_keeps_its_own_until_reinstated()
    {
        await _admin.Grid("ST05-C01-GX", "ST05-C01");
        var filed = await _admin.File(grid: "ST05-C01-GX");
        Assert.Equal(HttpStatusCode.OK, (await _admin.Post("/api/v1/grids/ST05-C01-GX/retire")).StatusCode);

        var refused = await _admin.Post("/api/v1/orders", Filing.Valid(grid: "ST05-C01-GX"));
        Assert.Contains("retired", (await refused.Errors())["gridCode"][0]);
        var kept = await _admin.Get(filed.Id);
        Assert.Equal("ST05-C01-GX", kept.GridCode);
        Assert.Equal("whistled", (await _admin.Whistle(filed.Id)).State);

        Assert.Equal(HttpStatusCode.OK, (await _admin.Post("/api/v1/grids/ST05-C01-GX/reinstate")).StatusCode);
        await _admin.File(grid: "ST05-C01-GX");
    }

    [Fact]
    public async Task A_department_with_open_orders_is_retired_only_with_a_reassignment_each_order_recording_it()
    {
        await _admin.Department("LEAVING", "撤并部门");
        await _admin.Department("TAKING", "承接部门");
        await _admin.Created("/api/v1/categories", ReferenceClient.Category("leaving-work", "LEAVING"));
        var open = await _admin.File(category: "leaving-work");
        await _admin.Whistle(open.Id);
        var done = await _admin.File(category: "leaving-work");
        await _admin.Whistle(done.Id);
        await _admin.Cancel(done.Id);

        var refused = await _admin.Post("/api/v1/departments/LEAVING/retire");
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal([open.Code], problem.GetProperty("openOrders").EnumerateArray().Select(o => o.GetString()));
        Assert.Equal(["leaving-work"], problem.GetProperty("categories").EnumerateArray().Select(o => o.GetString()));

        Assert.Contains("reassignTo", await (await _admin.Post("/api/v1/departments/LEAVING/retire", new { reassignTo = "LEAVING" })).Errors());
        var retired = await _admin.Post("/api/v1/departments/LEAVING/retire", new { reassignTo = "TAKING" });
        Assert.Equal(HttpStatusCode.OK, retired.StatusCode);

        var moved = await _admin.Get(open.Id);
        Assert.Equal(("TAKING", "whistled"), (moved.DepartmentCode, moved.State));
        var transfer = (await _admin.History(open.Id))[^1];
        Assert.Equal(("transfer", "LEAVING", "TAKING"), (transfer.Action, transfer.Details["previousDepartmentCode"], transfer.Details["departmentCode"]));
        // A cancelled order is history: it stays with the department that had it.
        Assert.Equal("LEAVING", (await _admin.Get(done.Id)).DepartmentCode);
        var category = await (await _admin.GetAsync("/api/v1/categories/leaving-work")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("TAKING", category.GetProperty("departmentCode").GetString());

        // Nothing new goes to it: not a whistle, not a reassignment.
        var another = await _admin.File(category: "leaving-work");
        Assert.Contains("departmentCode", await (await _admin.Post($"/api/v1/orders/{another.Id}/whistle", new { departmentCode = "LEAVING" })).Errors());
        Assert.Contains("departmentCode", await (await _admin.Post($"/api/v1/orders/{open.Id}/reassign", new { departmentCode = "LEAVING", reason = "回去" })).Errors());
    }

    [Fact]
    public async Task A_retired_category_takes_no_new_orders_and_its_figures_stay()
    {
        await _admin.Created("/api/v1/categories", ReferenceClient.Category("seasonal", "sanitation"));
        var order = await _admin.File(category: "seasonal");
        await _admin.Whistle(order.Id);
        Assert.Equal(HttpStatusCode.OK, (await _admin.Post("/api/v1/categories/seasonal/retire")).StatusCode);

        Assert.Contains("categoryCode", await (await _admin.Post("/api/v1/orders", Filing.Valid(category: "seasonal"))).Errors());
        Assert.Equal(1, (await _admin.Summary("?categoryCode=seasonal")).Figures.ValidOrders);
    }
}
