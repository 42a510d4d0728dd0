using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Reference;

/// <summary>
/// Re-division: merging and splitting communities, and re-homing open orders. Orders keep the place
/// they were filed in until an administrator re-homes them; only open orders move, each recording it.
/// Every test draws its own streets, so its figures count only its own orders.
/// </summary>
public class RedivisionTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    private readonly HttpClient _admin = app.CreateClient();

    [Fact]
    public async Task A_merge_moves_every_grid_and_retires_the_merged_community_while_orders_keep_their_place()
    {
        await _admin.Street("MG1");
        await _admin.Community("MG1-A", "MG1");
        await _admin.Community("MG1-B", "MG1");
        await _admin.Grid("MG1-A-G1", "MG1-A");
        await _admin.Grid("MG1-A-G2", "MG1-A");
        await _admin.Grid("MG1-B-G1", "MG1-B");
        var open = await _admin.File(grid: "MG1-A-G1");
        open = await _admin.Whistle(open.Id);
        var etag = (await _admin.GetAsync("/api/v1/communities/MG1-A")).ETag();

        var merged = await _admin.Post("/api/v1/communities/MG1-A/merge", new { intoCommunityCode = "MG1-B" }, ifMatch: etag);

        Assert.Equal(HttpStatusCode.OK, merged.StatusCode);
        Assert.Equal("\"2\"", merged.ETag());
        var body = await merged.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["MG1-A-G1", "MG1-A-G2"], body.GetProperty("movedGridCodes").EnumerateArray().Select(g => g.GetString()));
        Assert.Empty(body.GetProperty("rehomedOrderCodes").EnumerateArray());
        Assert.NotEqual(JsonValueKind.Null, body.GetProperty("merged").GetProperty("retiredAt").ValueKind);
        var grids = await (await _admin.GetAsync("/api/v1/grids?communityCode=MG1-B")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["MG1-A-G1", "MG1-A-G2", "MG1-B-G1"], grids.EnumerateArray().Select(g => g.GetProperty("code").GetString()));

        // The order stays where it was filed, untouched; a new one in the grid is filed in the survivor.
        var kept = await _admin.Get(open.Id);
        Assert.Equal(("MG1-A", open.Version), (kept.CommunityCode, kept.Version));
        Assert.Equal("MG1-B", (await _admin.File(grid: "MG1-A-G1")).CommunityCode);

        // Each step is in the log as a merge.
        var gridLog = Assert.Single(await Changes("grids", "MG1-A-G2"), c => c.GetProperty("action").GetString() == "merge");
        Assert.Equal(("MG1-A", "MG1-B"), (gridLog.GetProperty("before").GetProperty("communityCode").GetString(), gridLog.GetProperty("after").GetProperty("communityCode").GetString()));
        var communityLog = (await Changes("communities", "MG1-A"))[0];
        Assert.Equal("merge", communityLog.GetProperty("action").GetString());
        Assert.Equal(JsonValueKind.Null, communityLog.GetProperty("before").GetProperty("retiredAt").ValueKind);
        Assert.NotEqual(JsonValueKind.Null, communityLog.GetProperty("after").GetProperty("retiredAt").ValueKind);

        // Merged once: merging it again is a conflict with its state.
        Assert.Equal(HttpStatusCode.Conflict, (await _admin.Post("/api/v1/communities/MG1-A/merge", new { intoCommunityCode = "MG1-B" })).StatusCode);
    }

    [Fact]
    public async Task A_merge_asked_to_rehome_moves_the_open_orders_and_leaves_the_finished_ones()
    {
        await _admin.Street("MG2");
        await _admin.Community("MG2-A", "MG2");
        await _admin.Community("MG2-B", "MG2");
        await _admin.Grid("MG2-A-G1", "MG2-A");
        var open = await _admin.File(grid: "MG2-A-G1");
        await _admin.Whistle(open.Id);
        var acknowledged = await _admin.File(grid: "MG2-A-G1");
        await _admin.Whistle(acknowledged.Id);
        acknowledged = await _admin.Acknowledge(acknowledged.Id);
        var closed = await Closed("MG2-A-G1");
        var cancelled = await _admin.File(grid: "MG2-A-G1");
        await _admin.Whistle(cancelled.Id);
        cancelled = await _admin.Cancel(cancelled.Id);

        var merged = await _admin.Post("/api/v1/communities/MG2-A/merge", new { intoCommunityCode = "MG2-B", rehomeOpenOrders = true });

        Assert.Equal(HttpStatusCode.OK, merged.StatusCode);
        var body = await merged.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(new[] { open.Code, acknowledged.Code }.Order(), body.GetProperty("rehomedOrderCodes").EnumerateArray().Select(o => o.GetString()!).Order());
        var moved = await _admin.Get(acknowledged.Id);
        Assert.Equal(("MG2-B", "acknowledged", acknowledged.Version + 1), (moved.CommunityCode, moved.State, moved.Version));
        var rehome = (await _admin.History(acknowledged.Id))[^1];
        Assert.Equal("rehome", rehome.Action);
        Assert.Equal("test admin", rehome.Actor);
        Assert.Equal(("MG2-A", "MG2-B"), (rehome.Details["previousCommunityCode"], rehome.Details["communityCode"]));
        Assert.Contains("merged into 'MG2-B'", rehome.Details["reason"]);
        foreach (var finished in new[] { closed, cancelled })
        {
            var after = await _admin.Get(finished.Id);
            Assert.Equal(("MG2-A", finished.Version), (after.CommunityCode, after.Version));
        }
    }

    [Fact]
    public async Task Rehoming_a_grid_moved_to_another_street_moves_only_its_open_orders_and_the_figures_by_street_follow()
    {
        await _admin.Street("RH1");
        await _admin.Street("RH2");
        await _admin.Community("RH1-C", "RH1");
        await _admin.Community("RH2-C", "RH2");
        await _admin.Grid("RH1-C-G", "RH1-C");
        var open = await _admin.File(grid: "RH1-C-G");
        open = await _admin.Whistle(open.Id);
        var closed = await Closed("RH1-C-G");
        Assert.Equal((2L, 0L), (await Valid("RH1"), await Valid("RH2")));

        // The move alone changes no order and no figure.
        Assert.Equal(HttpStatusCode.OK, (await _admin.Put("/api/v1/grids/RH1-C-G", new { name = "新网格", communityCode = "RH2-C" })).StatusCode);
        Assert.Equal("RH1", (await _admin.Get(open.Id)).StreetCode);
        Assert.Equal((2L, 0L), (await Valid("RH1"), await Valid("RH2")));

        var rehomed = await _admin.Post("/api/v1/grids/RH1-C-G/rehome-open-orders", new { reason = "街道区划调整" });

        Assert.Equal(HttpStatusCode.OK, rehomed.StatusCode);
        Assert.Equal([open.Code], (await rehomed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("rehomedOrderCodes").EnumerateArray().Select(o => o.GetString()));
        var moved = await _admin.Get(open.Id);
        Assert.Equal(("RH1-C-G", "RH2-C", "RH2", "whistled", open.Version + 1), (moved.GridCode, moved.CommunityCode, moved.StreetCode, moved.State, moved.Version));
        var entry = (await _admin.History(open.Id))[^1];
        Assert.Equal(("rehome", "whistled", "whistled"), (entry.Action, entry.FromState, entry.ToState));
        Assert.Equal(
            new Dictionary<string, string?>
            {
                ["gridCode"] = "RH1-C-G",
                ["communityCode"] = "RH2-C",
                ["streetCode"] = "RH2",
                ["previousGridCode"] = "RH1-C-G",
                ["previousCommunityCode"] = "RH1-C",
                ["previousStreetCode"] = "RH1",
                ["reason"] = "街道区划调整",
            },
            entry.Details);
        var stays = await _admin.Get(closed.Id);
        Assert.Equal(("RH1", closed.Version), (stays.StreetCode, stays.Version));

        // The statistics count the re-homed order in its new street, the closed one where it was filed.
        Assert.Equal((1L, 1L), (await Valid("RH1"), await Valid("RH2")));
        var byStreet = await (await _admin.GetAsync("/api/v1/stats/breakdown?groupBy=street")).Read<Breakdown>();
        Assert.Equal(1L, byStreet.Rows.Single(r => r.Code == "RH1").Figures.CompletedOrders);
        Assert.Equal((1L, 0L), (byStreet.Rows.Single(r => r.Code == "RH2").Figures.OpenBacklog, byStreet.Rows.Single(r => r.Code == "RH2").Figures.CompletedOrders));

        // Nothing is left to move: asking again moves nothing and records nothing.
        var again = await _admin.Post("/api/v1/grids/RH1-C-G/rehome-open-orders");
        Assert.Empty((await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("rehomedOrderCodes").EnumerateArray());
        Assert.Equal(moved.Version, (await _admin.Get(open.Id)).Version);
    }

    [Fact]
    public async Task A_community_moved_to_another_street_rehomes_the_open_orders_of_all_its_grids()
    {
        await _admin.Street("RC1");
        await _admin.Street("RC2");
        await _admin.Community("RC1-C", "RC1");
        await _admin.Grid("RC1-C-G1", "RC1-C");
        await _admin.Grid("RC1-C-G2", "RC1-C");
        var first = await _admin.File(grid: "RC1-C-G1");
        var second = await _admin.File(grid: "RC1-C-G2");
        Assert.Equal(HttpStatusCode.OK, (await _admin.Put("/api/v1/communities/RC1-C", new { name = "新社区", streetCode = "RC2" })).StatusCode);

        var rehomed = await _admin.Post("/api/v1/communities/RC1-C/rehome-open-orders");

        Assert.Equal(HttpStatusCode.OK, rehomed.StatusCode);
        Assert.Equal(new[] { first.Code, second.Code }.Order(),
            (await rehomed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("rehomedOrderCodes").EnumerateArray().Select(o => o.GetString()!).Order());
        Assert.Equal(("RC1-C", "RC2"), ((await _admin.Get(first.Id)).CommunityCode, (await _admin.Get(first.Id)).StreetCode));
        Assert.Equal("RC2", (await _admin.Get(second.Id)).StreetCode);
    }

    [Fact]
    public async Task A_split_gives_a_new_community_in_the_street_the_listed_grids_and_their_open_orders_if_asked()
    {
        await _admin.Street("SP1");
        await _admin.Community("SP1-C", "SP1");
        await _admin.Grid("SP1-C-G1", "SP1-C");
        await _admin.Grid("SP1-C-G2", "SP1-C");
        await _admin.Grid("SP1-C-G3", "SP1-C");
        var open = await _admin.File(grid: "SP1-C-G1");
        var cancelled = await _admin.File(grid: "SP1-C-G2");
        await _admin.Whistle(cancelled.Id);
        cancelled = await _admin.Cancel(cancelled.Id);

        var split = await _admin.Post("/api/v1/communities/SP1-C/split", new
        {
            community = new { code = "SP1-N", name = "新分社区" },
            gridCodes = new[] { "SP1-C-G1", "SP1-C-G2" },
            rehomeOpenOrders = true,
        });

        Assert.Equal(HttpStatusCode.Created, split.StatusCode);
        Assert.Equal("/api/v1/communities/SP1-N", split.Headers.Location!.ToString());
        Assert.Equal("\"1\"", split.ETag());
        var body = await split.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("SP1-N", "SP1"), (body.GetProperty("community").GetProperty("code").GetString(), body.GetProperty("community").GetProperty("streetCode").GetString()));
        Assert.Equal([open.Code], body.GetProperty("rehomedOrderCodes").EnumerateArray().Select(o => o.GetString()));
        var grids = await (await _admin.GetAsync("/api/v1/grids?communityCode=SP1-N")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["SP1-C-G1", "SP1-C-G2"], grids.EnumerateArray().Select(g => g.GetProperty("code").GetString()));

        Assert.Equal("SP1-N", (await _admin.Get(open.Id)).CommunityCode);
        Assert.Equal("rehome", (await _admin.History(open.Id))[^1].Action);
        Assert.Equal(("SP1-C", cancelled.Version), ((await _admin.Get(cancelled.Id)).CommunityCode, (await _admin.Get(cancelled.Id)).Version));
        Assert.Equal("split", (await Changes("communities", "SP1-N"))[0].GetProperty("action").GetString());
        Assert.Equal("split", (await Changes("grids", "SP1-C-G2"))[0].GetProperty("action").GetString());
    }

    [Fact]
    public async Task Every_merge_and_split_mistake_is_a_400_on_its_field_and_changes_nothing()
    {
        await _admin.Street("BAD1");
        await _admin.Street("BAD2");
        await _admin.Community("BAD1-A", "BAD1");
        await _admin.Community("BAD1-B", "BAD1");
        await _admin.Community("BAD1-GONE", "BAD1");
        await _admin.Community("BAD2-A", "BAD2");
        await _admin.Grid("BAD1-A-G1", "BAD1-A");
        await _admin.Grid("BAD1-A-G2", "BAD1-A");
        await _admin.Grid("BAD1-A-OLD", "BAD1-A");
        await _admin.Grid("BAD1-B-G1", "BAD1-B");
        Assert.Equal(HttpStatusCode.OK, (await _admin.Post("/api/v1/grids/BAD1-A-OLD/retire")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _admin.Post("/api/v1/communities/BAD1-GONE/retire")).StatusCode);

        async Task<string> Merge(object body, string field)
        {
            var errors = await (await _admin.Post("/api/v1/communities/BAD1-A/merge", body)).Errors();
            Assert.Equal([field], errors.Keys);
            return errors[field][0];
        }
        Assert.Contains("required", await Merge(new { }, "intoCommunityCode"));
        Assert.Contains("itself", await Merge(new { intoCommunityCode = "BAD1-A" }, "intoCommunityCode"));
        Assert.Contains("No community", await Merge(new { intoCommunityCode = "NOWHERE" }, "intoCommunityCode"));
        Assert.Contains("retired", await Merge(new { intoCommunityCode = "BAD1-GONE" }, "intoCommunityCode"));
        Assert.Contains("within a street", await Merge(new { intoCommunityCode = "BAD2-A" }, "intoCommunityCode"));

        async Task<Dictionary<string, string[]>> Split(object? community, string?[]? gridCodes) =>
            await (await _admin.Post("/api/v1/communities/BAD1-A/split", new { community, gridCodes })).Errors();
        Assert.Contains("already used", (await Split(new { code = "BAD1-B", name = "重复" }, ["BAD1-A-G1"]))["community.code"][0]);
        Assert.Contains("never reused", (await Split(new { code = "BAD1-GONE", name = "再用" }, ["BAD1-A-G1"]))["community.code"][0]);
        Assert.Contains("letters", (await Split(new { code = "bad code", name = "空格" }, ["BAD1-A-G1"]))["community.code"][0]);
        Assert.Contains("required", (await Split(null, ["BAD1-A-G1"]))["community.code"][0]);
        Assert.Contains("name", (await Split(new { code = "BAD1-N" }, ["BAD1-A-G1"]))["community.name"][0]);
        Assert.Contains("stays in the street", (await Split(new { code = "BAD1-N", name = "新", streetCode = "BAD2" }, ["BAD1-A-G1"]))["community.streetCode"][0]);
        Assert.Contains("at least one", (await Split(new { code = "BAD1-N", name = "新" }, []))["gridCodes"][0]);
        var grids = await Split(new { code = "BAD1-N", name = "新" }, ["NOWHERE", "BAD1-A-OLD", "BAD1-B-G1", "BAD1-A-G1", "BAD1-A-G1"]);
        Assert.Contains("No grid", grids["gridCodes[0]"][0]);
        Assert.Contains("retired", grids["gridCodes[1]"][0]);
        Assert.Contains("'BAD1-B'", grids["gridCodes[2]"][0]);
        Assert.False(grids.ContainsKey("gridCodes[3]"));
        Assert.Contains("twice", grids["gridCodes[4]"][0]);
        Assert.Contains("merge it instead", (await Split(new { code = "BAD1-N", name = "新" }, ["BAD1-A-G1", "BAD1-A-G2"]))["gridCodes"][0]);

        Assert.Equal(HttpStatusCode.NotFound, (await _admin.Post("/api/v1/communities/NOWHERE/merge", new { intoCommunityCode = "BAD1-B" })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await _admin.Post("/api/v1/communities/BAD1-GONE/split", new { community = new { code = "BAD1-N", name = "新" }, gridCodes = new[] { "BAD1-A-G1" } })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await _admin.Post("/api/v1/grids/BAD1-A-OLD/rehome-open-orders")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _admin.Post("/api/v1/grids/NOWHERE/rehome-open-orders")).StatusCode);
        Assert.Contains("reason", await (await _admin.Post("/api/v1/grids/BAD1-A-G1/rehome-open-orders", new { reason = new string('x', 501) })).Errors());

        // None of it changed anything: no new community, the grids where they were, nothing logged.
        Assert.Equal(HttpStatusCode.NotFound, (await _admin.GetAsync("/api/v1/communities/BAD1-N")).StatusCode);
        var kept = await (await _admin.GetAsync("/api/v1/grids?communityCode=BAD1-A")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["BAD1-A-G1", "BAD1-A-G2", "BAD1-A-OLD"], kept.EnumerateArray().Select(g => g.GetProperty("code").GetString()));
        Assert.Equal(["create"], (await Changes("grids", "BAD1-A-G1")).Select(c => c.GetProperty("action").GetString()));
    }

    [Fact]
    public async Task Two_merges_from_the_same_version_one_wins_and_the_other_is_412()
    {
        await _admin.Street("RACE1");
        await _admin.Community("RACE1-A", "RACE1");
        await _admin.Community("RACE1-B", "RACE1");
        await _admin.Community("RACE1-C", "RACE1");
        await _admin.Grid("RACE1-A-G1", "RACE1-A");
        var etag = (await _admin.GetAsync("/api/v1/communities/RACE1-A")).ETag();

        var merges = await Task.WhenAll(
            _admin.Post("/api/v1/communities/RACE1-A/merge", new { intoCommunityCode = "RACE1-B" }, ifMatch: etag),
            _admin.Post("/api/v1/communities/RACE1-A/merge", new { intoCommunityCode = "RACE1-C" }, ifMatch: etag));

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.PreconditionFailed], merges.Select(m => m.StatusCode).Order());
        var winner = (await merges.Single(m => m.StatusCode == HttpStatusCode.OK).Content.ReadFromJsonAsync<JsonElement>())
            .GetProperty("into").GetProperty("code").GetString();
        var grid = await (await _admin.GetAsync("/api/v1/grids/RACE1-A-G1")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(winner, grid.GetProperty("communityCode").GetString());
        Assert.Single(await Changes("grids", "RACE1-A-G1"), c => c.GetProperty("action").GetString() == "merge");
    }

    [Fact]
    public async Task Two_communities_merging_into_each_other_at_once_one_wins_and_nothing_is_half_done()
    {
        await _admin.Street("RACE2");
        await _admin.Community("RACE2-A", "RACE2");
        await _admin.Community("RACE2-B", "RACE2");
        await _admin.Grid("RACE2-A-G1", "RACE2-A");
        await _admin.Grid("RACE2-B-G1", "RACE2-B");

        var merges = await Task.WhenAll(
            _admin.Post("/api/v1/communities/RACE2-A/merge", new { intoCommunityCode = "RACE2-B" }),
            _admin.Post("/api/v1/communities/RACE2-B/merge", new { intoCommunityCode = "RACE2-A" }));

        // The later one finds its survivor retired (400 on intoCommunityCode) and changes nothing.
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.BadRequest], merges.Select(m => m.StatusCode).Order());
        var communities = await (await _admin.GetAsync("/api/v1/communities?streetCode=RACE2")).Content.ReadFromJsonAsync<JsonElement>();
        var survivor = Assert.Single(communities.EnumerateArray(), c => c.GetProperty("retiredAt").ValueKind == JsonValueKind.Null).GetProperty("code").GetString();
        var grids = await (await _admin.GetAsync("/api/v1/grids?streetCode=RACE2")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.All(grids.EnumerateArray(), g => Assert.Equal(survivor, g.GetProperty("communityCode").GetString()));
        Assert.Single(await Changes("communities", null), c => c.GetProperty("action").GetString() == "merge"
            && c.GetProperty("code").GetString()!.StartsWith("RACE2-", StringComparison.Ordinal));
    }

    private async Task<Order> Closed(string grid)
    {
        var order = await _admin.File(grid: grid);
        await _admin.Whistle(order.Id);
        await _admin.Acknowledge(order.Id);
        await _admin.Resolve(order.Id);
        return await _admin.Evaluate(order.Id, "satisfied");
    }

    private async Task<long> Valid(string street) => (await _admin.Summary($"?streetCode={street}")).Figures.ValidOrders;

    private async Task<List<JsonElement>> Changes(string entity, string? code)
    {
        var page = await (await _admin.GetAsync($"/api/v1/reference/changes?entity={entity}&limit=500" + (code is null ? "" : $"&code={code}")))
            .Content.ReadFromJsonAsync<JsonElement>();
        return page.GetProperty("items").EnumerateArray().ToList();
    }
}
