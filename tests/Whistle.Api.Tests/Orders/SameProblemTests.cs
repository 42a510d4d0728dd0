using System.Net;
using System.Text.Json.Nodes;
using Whistle.Api.Features.Access;
using Whistle.Api.Tests.Infrastructure;
using Whistle.Api.Tests.Photos;

namespace Whistle.Api.Tests.Orders;

/// <summary>
/// "This is the same problem": a filing names the order it repeats (sameProblemAs), chosen among the
/// possible duplicates shown before sending. The filing goes in regardless, naming it; the community
/// merges the two with the merge action as it stands.
/// </summary>
public class SameProblemTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    private readonly HttpClient _admin = app.CreateClient();

    private static Dictionary<string, object?> Naming(string? sameProblemAs, string grid = "ST01-C01-G01")
    {
        var filing = Filing.Valid(grid: grid);
        filing["sameProblemAs"] = sameProblemAs;
        return filing;
    }

    [Fact]
    public async Task A_filing_names_the_order_it_repeats_and_the_community_merges_them()
    {
        var worker = app.ClientAs(Role.GridWorker, grids: ["ST01-C01-G01"], name: "grid worker G01");
        var first = await worker.File();

        var response = await worker.Post("/api/v1/orders", Naming(first.Code));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var repeat = await response.Read<Order>();
        Assert.Equal(new OrderReference(first.Id, first.Code), repeat.SameProblemAs);
        Assert.Equal(new OrderReference(first.Id, first.Code), (await _admin.Get(repeat.Id)).SameProblemAs);
        var filed = (await _admin.History(repeat.Id)).Single(e => e.Action == "file");
        Assert.Equal((first.Id.ToString(), first.Code), (filed.Details["sameProblemAsId"], filed.Details["sameProblemAsCode"]));

        // The community merges the repeat into the order it named, by the merge's own rules.
        var community = app.ClientAs(Role.Community, community: "ST01-C01", name: "community C01");
        var merged = await community.Act(repeat.Id, "merge", new { intoOrderId = repeat.SameProblemAs!.Id });
        Assert.Equal("merged", merged.State);
        Assert.Equal(new OrderReference(first.Id, first.Code), merged.SameProblemAs);
    }

    [Fact]
    public async Task The_order_is_named_by_its_id_too_and_a_filing_naming_none_answers_null()
    {
        var first = await _admin.File();

        var byId = await (await _admin.Post("/api/v1/orders", Naming(first.Id.ToString()))).Read<Order>();
        var none = await _admin.Post("/api/v1/orders", Filing.Valid());

        Assert.Equal(first.Code, byId.SameProblemAs?.Code);
        var json = JsonNode.Parse(await none.Content.ReadAsStringAsync())!.AsObject();
        Assert.True(json.ContainsKey("sameProblemAs"), "sameProblemAs is always present");
        Assert.Null(json["sameProblemAs"]);
    }

    [Fact]
    public async Task An_unknown_order_and_one_out_of_scope_are_the_same_400_on_sameProblemAs()
    {
        var elsewhere = await _admin.File(grid: "ST01-C02-G01"); // another community's
        var worker = app.ClientAs(Role.GridWorker, grids: ["ST01-C01-G01"], name: "grid worker G01");
        var before = await Count();

        var outOfScope = await worker.Post("/api/v1/orders", Naming(elsewhere.Code));
        var unknownCode = await worker.Post("/api/v1/orders", Naming("WS-9999999"));
        var unknownId = await worker.Post("/api/v1/orders", Naming(Guid.NewGuid().ToString()));
        var notAKey = await worker.Post("/api/v1/orders", Naming("the bins by gate 3"));
        var tooLong = await worker.Post("/api/v1/orders", Naming(new string('x', 101)));
        var empty = await worker.Post("/api/v1/orders", Naming(""));

        var problems = new List<Problem>();
        foreach (var response in new[] { outOfScope, unknownCode, unknownId, notAKey, tooLong, empty })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await response.Read<Problem>();
            Assert.Equal(["sameProblemAs"], problem.Errors!.Keys);
            problems.Add(problem);
        }
        var scopeMessage = problems[0].Errors!["sameProblemAs"].Single();
        var unknownMessage = problems[1].Errors!["sameProblemAs"].Single();
        // No existence oracle: the same words but for the key the caller sent.
        Assert.Equal(unknownMessage.Replace("WS-9999999", "KEY"), scopeMessage.Replace(elsewhere.Code, "KEY"));
        Assert.Equal(before, await Count());
        // The admin sees every order: for it the same order is fine.
        Assert.Equal(HttpStatusCode.Created, (await _admin.Post("/api/v1/orders", Naming(elsewhere.Code, grid: "ST01-C01-G01"))).StatusCode);
    }

    [Fact]
    public async Task The_multipart_filing_names_it_in_its_order_part()
    {
        var first = await _admin.File();
        var worker = app.ClientAs(Role.GridWorker, grids: ["ST01-C01-G01"], name: "grid worker G01");

        var filed = await worker.Upload("/api/v1/orders", PhotoForms.Form(Naming(first.Code), files: Images.Png()));
        var refused = await worker.Upload("/api/v1/orders", PhotoForms.Form(Naming("WS-9999999"), files: Images.Png()));

        Assert.Equal(HttpStatusCode.Created, filed.StatusCode);
        var order = await filed.Read<Order>();
        Assert.Equal(new OrderReference(first.Id, first.Code), order.SameProblemAs);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(["sameProblemAs"], (await refused.Read<Problem>()).Errors!.Keys);
    }

    private async Task<int> Count()
    {
        await using var db = app.Db();
        return await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.CountAsync(db.Orders);
    }
}
