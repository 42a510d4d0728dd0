using System.Net;
using Whistle.Api.Features.Access;
using Whistle.Api.Tests.Infrastructure;
using Whistle.Api.Tests.Photos;

namespace Whistle.Api.Tests.Geo;

/// <summary>并单: a repeat report merged into the order that tracks the problem.</summary>
public class MergeTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    private readonly HttpClient _client = app.CreateClient();

    private async Task<HttpResponseMessage> Merge(HttpClient client, Guid duplicate, object into) =>
        await client.Post($"/api/v1/orders/{duplicate}/merge", new { intoOrderId = into });

    [Fact]
    public async Task A_merged_order_points_at_the_survivor_whose_history_records_the_repeat_and_its_reporter()
    {
        var community = app.ClientAs(Role.Community, community: "ST01-C01", name: "Community ST01-C01");
        var survivor = await _client.File();
        var duplicate = await _client.File();
        await _client.Whistle(duplicate.Id);

        var response = await Merge(community, duplicate.Id, survivor.Code);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var merged = await response.Read<PlacedOrder>();
        Assert.Equal("merged", merged.State);
        Assert.Equal(survivor.Id, merged.MergedInto);
        Assert.Empty(merged.AllowedActions);

        var read = await _client.GetAsync($"/api/v1/orders/{duplicate.Id}");
        Assert.Equal(survivor.Id, (await read.Read<PlacedOrder>()).MergedInto);
        Assert.Equal($"</api/v1/orders/{survivor.Id}>; rel=\"duplicate-of\"", read.Headers.GetValues("Link").Single());
        Assert.False((await _client.GetAsync($"/api/v1/orders/{survivor.Id}")).Headers.Contains("Link"));

        var history = await _client.History(survivor.Id);
        var entry = history[^1];
        Assert.Equal("duplicate-merged", entry.Action);
        Assert.Equal("Community ST01-C01", entry.Actor);
        Assert.Equal(duplicate.Id.ToString(), entry.Details["duplicateOrderId"]);
        Assert.Equal(duplicate.Code, entry.Details["duplicateOrderCode"]);
        Assert.Equal(duplicate.FiledBy, entry.Details["duplicateFiledBy"]);
        Assert.Equal("discovered", entry.ToState);
        Assert.Equal(survivor.Code, (await _client.History(duplicate.Id))[^1].Details["intoOrderCode"]);
    }

    [Fact]
    public async Task The_repeat_reports_photos_move_to_the_survivor_readable_by_its_department_and_not_beyond_the_limit()
    {
        var survivor = await _client.File(grid: "ST04-C02-G01");
        await _client.Whistle(survivor.Id);
        var department = app.ClientAs(Role.Department, department: (await _client.Get(survivor.Id)).DepartmentCode);
        var duplicate = await _client.File(grid: "ST04-C02-G01");
        var uploaded = await _client.Upload($"/api/v1/orders/{duplicate.Id}/photos", PhotoForms.Form(stage: "discovery", files: [Images.RotatedJpeg(), Images.Png()]));
        Assert.Equal(HttpStatusCode.Created, uploaded.StatusCode);
        var photos = (await uploaded.Read<AddedPhotos>()).Photos;
        // Before the merge the survivor's department cannot see the repeat report or its photos.
        Assert.Equal(HttpStatusCode.NotFound, (await department.GetAsync(photos[0].Url!)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await Merge(_client, duplicate.Id, survivor.Id)).StatusCode);

        var kept = await (await _client.GetAsync($"/api/v1/orders/{survivor.Id}")).Read<PhotoOrder>();
        Assert.Equal(photos.Select(p => p.Id), kept.Photos.Select(p => p.Id));
        Assert.All(kept.Photos, p => Assert.Equal(duplicate.Id, p.MergedFromOrderId));
        Assert.Empty((await (await _client.GetAsync($"/api/v1/orders/{duplicate.Id}")).Read<PhotoOrder>()).Photos);
        Assert.Equal(HttpStatusCode.OK, (await department.GetAsync(photos[0].Url!)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await department.GetAsync(photos[1].ThumbnailUrl!)).StatusCode);
        var entry = (await _client.History(survivor.Id))[^1];
        Assert.Equal(string.Join(' ', photos.Select(p => p.Id)), entry.Details["photos"]);

        // The repeat's photos come on top of the survivor's own ten.
        var own = await _client.Upload($"/api/v1/orders/{survivor.Id}/photos",
            PhotoForms.Form(stage: "discovery", files: [.. Enumerable.Range(0, 10).Select(i => Images.Png(100 + i, 80))]));
        Assert.Equal(HttpStatusCode.Created, own.StatusCode);
        Assert.Equal(12, (await (await _client.GetAsync($"/api/v1/orders/{survivor.Id}")).Read<PhotoOrder>()).Photos.Length);
    }

    [Fact]
    public async Task Only_a_community_or_supervisor_merges_and_only_orders_in_its_scope()
    {
        var survivor = await _client.File(grid: "ST02-C01-G01");
        var duplicate = await _client.File(grid: "ST02-C01-G01");

        var worker = app.ClientAs(Role.GridWorker, grids: ["ST02-C01-G01"]);
        Assert.Equal(HttpStatusCode.Forbidden, (await Merge(worker, duplicate.Id, survivor.Id)).StatusCode);

        var elsewhere = await _client.File(grid: "ST03-C01-G01");
        var community = app.ClientAs(Role.Community, community: "ST02-C01");
        Assert.Equal(HttpStatusCode.NotFound, (await Merge(community, duplicate.Id, elsewhere.Id)).StatusCode);

        var supervisor = app.ClientAs(Role.Supervisor, street: "ST02");
        Assert.Equal(HttpStatusCode.OK, (await Merge(supervisor, duplicate.Id, survivor.Id)).StatusCode);
    }

    [Fact]
    public async Task Merging_into_itself_a_cancelled_or_a_merged_order_is_400_and_a_merged_order_cannot_be_merged_again()
    {
        var a = await _client.File();
        var b = await _client.File();
        var cancelled = await _client.Cancel((await _client.File()).Id, "invalid");

        Assert.Equal(HttpStatusCode.BadRequest, (await Merge(_client, a.Id, a.Id)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Merge(_client, a.Id, cancelled.Id)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Merge(_client, a.Id, "WS-9999999")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _client.Post($"/api/v1/orders/{a.Id}/merge", new { })).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await Merge(_client, a.Id, b.Id)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await Merge(_client, a.Id, b.Id)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Merge(_client, b.Id, a.Id)).StatusCode);
        Assert.Equal("discovered", (await _client.Get(b.Id)).State);
    }

    [Fact]
    public async Task A_merge_raises_order_merged_naming_the_survivor_and_the_figures_count_the_problem_once()
    {
        var subscription = await _client.Post("/api/v1/webhooks", new { url = "http://127.0.0.1:9/hook", events = new[] { "order.merged" } });
        Assert.Equal(HttpStatusCode.Created, subscription.StatusCode);
        var webhook = (await subscription.Read<Dictionary<string, object>>())["id"].ToString();
        var before = (await _client.Summary()).Figures;

        var survivor = await _client.File(grid: "ST04-C01-G01");
        var duplicate = await _client.File(grid: "ST04-C01-G01");
        await _client.Whistle(survivor.Id);
        await _client.Whistle(duplicate.Id);
        await Merge(_client, duplicate.Id, survivor.Id);

        var after = (await _client.Summary()).Figures;
        Assert.Equal(before.DispatchedOrders + 2, after.DispatchedOrders);
        Assert.Equal(before.ValidOrders + 1, after.ValidOrders);
        Assert.Equal(before.CancelledOrders + 1, after.CancelledOrders);
        Assert.Equal(before.OpenBacklog + 1, after.OpenBacklog);

        var deliveries = await (await _client.GetAsync($"/api/v1/webhooks/{webhook}/deliveries")).Content.ReadAsStringAsync();
        Assert.Contains("\"eventType\":\"order.merged\"", deliveries);
        Assert.Contains($"\"orderId\":\"{duplicate.Id}\"", deliveries);
    }
}
