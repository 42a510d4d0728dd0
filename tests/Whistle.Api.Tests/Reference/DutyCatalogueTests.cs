using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Reference;

/// <summary>The duty catalogue routes a whistle without a department: the community's entry, else the street's, else the category's own.</summary>
public class DutyCatalogueTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    private readonly HttpClient _admin = app.CreateClient();

    private async Task<long> Entry(object body)
    {
        var created = await _admin.Created("/api/v1/catalogue", body);
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }

    [Fact]
    public async Task The_most_specific_entry_routes_and_history_names_it()
    {
        var street = await Entry(new { categoryCode = "noise", streetCode = "ST06", departmentCode = "police", coDepartmentCodes = new[] { "ecology" } });
        var community = await Entry(new { categoryCode = "noise", communityCode = "ST06-C02", departmentCode = "people-mediation", coDepartmentCodes = Array.Empty<string>() });

        async Task<(string? Department, string? RoutedBy)> Whistle(string grid)
        {
            var order = await _admin.File(category: "noise", grid: grid);
            var whistled = await _admin.Whistle(order.Id);
            return (whistled.DepartmentCode, (await _admin.History(order.Id))[^1].Details["routedBy"]);
        }

        Assert.Equal(("people-mediation", $"catalogue:{community}"), await Whistle("ST06-C02-G01"));
        Assert.Equal(("police", $"catalogue:{street}"), await Whistle("ST06-C01-G01"));
        Assert.Equal(("ecology", "category:noise"), await Whistle("ST07-C01-G01"));

        // A department named by the caller wins over the catalogue, and no entry is recorded.
        var named = await _admin.File(category: "noise", grid: "ST06-C02-G01");
        await _admin.Whistle(named.Id, "sanitation");
        Assert.False((await _admin.History(named.Id))[^1].Details.ContainsKey("routedBy"));

        // Without the community's entry, its street's routes.
        Assert.Equal(HttpStatusCode.NoContent, (await _admin.DeleteAsync($"/api/v1/catalogue/{community}")).StatusCode);
        Assert.Equal(("police", $"catalogue:{street}"), await Whistle("ST06-C02-G01"));

        var listed = await (await _admin.GetAsync("/api/v1/catalogue?categoryCode=noise")).Content.ReadFromJsonAsync<JsonElement>();
        var entry = Assert.Single(listed.EnumerateArray());
        Assert.Equal(["ecology"], entry.GetProperty("coDepartmentCodes").EnumerateArray().Select(c => c.GetString()));
    }

    [Fact]
    public async Task Each_rule_of_an_entry_is_a_400_on_its_field()
    {
        async Task<Dictionary<string, string[]>> Refused(object body) => await (await _admin.Post("/api/v1/catalogue", body)).Errors();

        Assert.Contains("categoryCode", await Refused(new { categoryCode = "nothing", streetCode = "ST01", departmentCode = "police" }));
        Assert.Contains("streetCode", await Refused(new { categoryCode = "garbage", departmentCode = "police" }));
        Assert.Contains("communityCode", await Refused(new { categoryCode = "garbage", streetCode = "ST01", communityCode = "ST01-C01", departmentCode = "police" }));
        Assert.Contains("streetCode", await Refused(new { categoryCode = "garbage", streetCode = "NOWHERE", departmentCode = "police" }));
        Assert.Contains("departmentCode", await Refused(new { categoryCode = "garbage", streetCode = "ST01", departmentCode = "nobody" }));
        var co = await Refused(new { categoryCode = "garbage", streetCode = "ST01", departmentCode = "police", coDepartmentCodes = new[] { "police", "water", "water", "nobody" } });
        Assert.Equal(["coDepartmentCodes[0]", "coDepartmentCodes[2]", "coDepartmentCodes[3]"], co.Keys.Order());

        await Entry(new { categoryCode = "garbage", streetCode = "ST08", departmentCode = "urban-management" });
        Assert.Contains("streetCode", await Refused(new { categoryCode = "garbage", streetCode = "ST08", departmentCode = "police" }));
    }

    [Fact]
    public async Task An_entry_is_edited_with_if_match_and_a_department_it_names_is_retired_only_with_a_reassignment()
    {
        await _admin.Department("CAT-LEAD", "牵头");
        await _admin.Department("CAT-HEIR", "承接");
        var id = await Entry(new { categoryCode = "greenery", communityCode = "ST09-C01", departmentCode = "CAT-LEAD", coDepartmentCodes = new[] { "parks" } });
        var read = await _admin.GetAsync($"/api/v1/catalogue/{id}");
        Assert.Equal("\"1\"", read.ETag());

        var body = new { categoryCode = "greenery", communityCode = "ST09-C01", departmentCode = "CAT-LEAD", coDepartmentCodes = new[] { "parks", "municipal" } };
        Assert.Equal(HttpStatusCode.OK, (await _admin.Put($"/api/v1/catalogue/{id}", body, "\"1\"")).StatusCode);
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await _admin.Put($"/api/v1/catalogue/{id}", body, "\"1\"")).StatusCode);

        var refused = await _admin.Post("/api/v1/departments/CAT-LEAD/retire");
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal([id], (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("catalogueEntries").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(HttpStatusCode.OK, (await _admin.Post("/api/v1/departments/CAT-LEAD/retire", new { reassignTo = "CAT-HEIR" })).StatusCode);
        var entry = await (await _admin.GetAsync($"/api/v1/catalogue/{id}")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("CAT-HEIR", entry.GetProperty("departmentCode").GetString());
    }
}
