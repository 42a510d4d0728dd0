using System.Net;
using System.Net.Http.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Whistle.Api.Features.Access;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Credentials;

public sealed record Me(
    string Id, string Name, string Role, bool ByToken, string? DepartmentCode, string? DepartmentName, string? CommunityCode, string? CommunityName,
    string? StreetCode, string? StreetName, string[] GridCodes, string[] Operations);

/// <summary>GET /api/v1/me: who the caller is, named, and what its role may do (an app offers only that).</summary>
public class MeTests(JwtTests.JwtApp app) : IClassFixture<JwtTests.JwtApp>
{
    private sealed record Named(string Code, string Name);

    private sealed record Credential(Guid Id, string Name);

    private async Task<string> NameOf(string list, string code) =>
        (await app.CreateClient().GetFromJsonAsync<Named[]>($"/api/v1/{list}", WhistleApp.Json))!.Single(e => e.Code == code).Name;

    private static async Task<Me> Read(HttpClient client)
    {
        var response = await client.GetAsync("/api/v1/me");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoStore, "Cache-Control: no-store");
        return await response.Read<Me>();
    }

    [Fact]
    public async Task Each_role_sees_its_binding_named_and_its_operations_from_the_policy_table()
    {
        var grid = await Read(app.ClientAs(Role.GridWorker, grids: ["ST01-C01-G01", "ST01-C01-G02"], name: "Wang Fang"));
        var community = await Read(app.ClientAs(Role.Community, community: "ST01-C01", name: "C01 office"));
        var department = await Read(app.ClientAs(Role.Department, department: "sanitation", name: "sanitation desk"));
        var supervisor = await Read(app.ClientAs(Role.Supervisor, street: "ST01", name: "ST01 supervisor"));
        var district = await Read(app.ClientAs(Role.Supervisor, name: "district supervisor"));
        var admin = await Read(app.ClientAs(Role.Admin, name: "operations desk"));
        var dashboard = await Read(app.ClientAs(Role.Dashboard, name: "wall screen"));

        Assert.Equal(("Wang Fang", "grid-worker", false), (grid.Name, grid.Role, grid.ByToken));
        Assert.Equal(["ST01-C01-G01", "ST01-C01-G02"], grid.GridCodes);
        Assert.Equal((null, null, null, null), (grid.CommunityCode, grid.CommunityName, grid.DepartmentCode, grid.StreetCode));
        Assert.Equal(("ST01-C01", await NameOf("communities", "ST01-C01")), (community.CommunityCode, community.CommunityName));
        Assert.Equal(("sanitation", "环境卫生服务中心"), (department.DepartmentCode, department.DepartmentName));
        Assert.Equal(("ST01", await NameOf("streets", "ST01")), (supervisor.StreetCode, supervisor.StreetName));
        Assert.Equal((null, null), (district.StreetCode, district.StreetName));
        Assert.Empty(admin.GridCodes);

        // The operations are the table's, written out here independently (see PolicyTableTests).
        Assert.Equal(
            ["file-order", "read-orders", "list-overdue-orders", "whistle", "handle-locally", "evaluate", "cancel", "read-reference",
                "manage-webhooks", "summon", "merge", "add-photos", "read-reporter"],
            community.Operations);
        Assert.Equal(community.Operations.Where(o => o is not ("merge" or "manage-webhooks" or "read-reporter")), grid.Operations);
        Assert.Equal(
            ["read-orders", "list-overdue-orders", "acknowledge", "return", "resolve", "request-extension", "read-reference", "manage-webhooks",
                "report-part", "complete-part", "decline-part", "add-photos"],
            department.Operations);
        Assert.Equal(
            ["read-orders", "list-overdue-orders", "escalate", "reassign", "approve-extension", "refuse-extension", "read-statistics",
                "read-reference", "summon", "waive-part", "approve-return", "refuse-return", "merge"],
            supervisor.Operations);
        Assert.Equal(supervisor.Operations, district.Operations);
        Assert.Equal(["list-overdue-orders", "read-statistics", "read-reference"], dashboard.Operations);
        // Every operation but filing over Open311, which is an outside app's alone.
        Assert.Equal(Enum.GetValues<Operation>().Length - 1, admin.Operations.Length);
        Assert.DoesNotContain("report-over-open311", admin.Operations);
        Assert.Contains("manage-credentials", admin.Operations);
        Assert.DoesNotContain("manage-credentials", supervisor.Operations);
    }

    [Fact]
    public async Task A_token_caller_is_known_by_its_subject_and_claims()
    {
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = JwtTests.JwtApp.Issuer,
            Audience = JwtTests.JwtApp.Audience,
            Claims = new Dictionary<string, object>
            {
                ["sub"] = "u-2002",
                ["name"] = "Li Na",
                ["role"] = "grid-worker",
                ["community"] = "ST01-C02",
                ["grid"] = new[] { "ST01-C02-G01" },
            },
            Expires = DateTime.UtcNow.AddHours(1),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(app.Secret), SecurityAlgorithms.HmacSha256),
        });

        var me = await Read(app.ClientWithToken(token));

        Assert.Equal(("u-2002", "Li Na", "grid-worker", true), (me.Id, me.Name, me.Role, me.ByToken));
        Assert.Equal(("ST01-C02", await NameOf("communities", "ST01-C02")), (me.CommunityCode, me.CommunityName));
        Assert.Equal(["ST01-C02-G01"], me.GridCodes);
        Assert.Contains("file-order", me.Operations);
    }

    [Fact]
    public async Task A_key_is_known_by_its_credential_id()
    {
        var key = app.CreateKey(new NewCredential(Role.Department, "water desk", "water"));
        var credentials = await app.CreateClient().GetFromJsonAsync<Credential[]>("/api/v1/credentials", WhistleApp.Json);

        var me = await Read(app.ClientWithKey(key));

        Assert.Equal(credentials!.Single(c => c.Name == "water desk").Id.ToString(), me.Id);
        Assert.Equal(("water desk", "water", "水务局", false), (me.Name, me.DepartmentCode, me.DepartmentName, me.ByToken));
    }

    [Fact]
    public async Task Without_a_credential_it_is_401()
    {
        var anonymous = await app.AnonymousClient().GetAsync("/api/v1/me");
        var unknown = await app.ClientWithKey(ApiKeys.NewKey()).GetAsync("/api/v1/me");

        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized), (anonymous.StatusCode, unknown.StatusCode));
        Assert.Equal("application/problem+json", anonymous.Content.Headers.ContentType?.MediaType);
    }
}
