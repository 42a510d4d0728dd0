using System.Net;
using Whistle.Api.Features.Access;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Credentials;

/// <summary>Refusals say why, as RFC 9457 problems: 401 with WWW-Authenticate, 403 naming the role and the operation.</summary>
public class AccessProblemTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    [Fact]
    public async Task No_credential_is_a_401_problem_with_a_challenge()
    {
        var response = await app.AnonymousClient().GetAsync("/api/v1/orders");

        var problem = await AssertProblem(response, HttpStatusCode.Unauthorized);
        Assert.Contains("X-Api-Key", problem.Detail);
        Assert.Contains("ApiKey", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task An_unknown_key_and_a_revoked_key_are_401_problems()
    {
        var unknown = await app.ClientWithKey("wk_" + new string('x', 43)).GetAsync("/api/v1/orders");
        var problem = await AssertProblem(unknown, HttpStatusCode.Unauthorized);
        Assert.Equal("The API key is unknown or has been revoked.", problem.Detail);
        Assert.NotEmpty(unknown.Headers.WwwAuthenticate);

        var admin = app.CreateClient();
        var created = await (await admin.Post("/api/v1/credentials", new { role = "dashboard" })).Read<CredentialRecord>();
        var dashboard = app.ClientWithKey(created.Key!);
        Assert.Equal(HttpStatusCode.OK, (await dashboard.GetAsync("/api/v1/stats/summary")).StatusCode);
        await admin.Post($"/api/v1/credentials/{created.Id}/revoke");

        var revoked = await dashboard.GetAsync("/api/v1/stats/summary");
        Assert.Equal("The API key is unknown or has been revoked.", (await AssertProblem(revoked, HttpStatusCode.Unauthorized)).Detail);
    }

    [Fact]
    public async Task An_operation_the_role_may_not_take_is_a_403_problem_naming_both()
    {
        var dashboard = app.ClientAs(Role.Dashboard);

        var response = await dashboard.GetAsync("/api/v1/credentials");

        var problem = await AssertProblem(response, HttpStatusCode.Forbidden);
        Assert.Equal("A dashboard credential may not manage credentials.", problem.Detail);
        Assert.Empty(response.Headers.WwwAuthenticate);
    }

    [Fact]
    public async Task A_403_says_what_was_tried_in_the_apis_words_not_the_policy_tables()
    {
        var admin = app.CreateClient();
        var order = await admin.Whistle((await admin.File(grid: "ST01-C01-G01")).Id);
        var community = app.ClientAs(Role.Community, community: "ST01-C01");
        var department = app.ClientAs(Role.Department, department: "sanitation");
        var dashboard = app.ClientAs(Role.Dashboard);

        var resolve = await community.Post($"/api/v1/orders/{order.Id}/resolve", new { result = "Emptied" });
        var extension = await community.Post($"/api/v1/orders/{order.Id}/request-extension", new { resolveBy = WhistleApp.Start.AddDays(9), reason = "Later" });
        var statistics = await department.GetAsync("/api/v1/stats/summary");
        var file = await dashboard.Post("/api/v1/orders", Filing.Valid(grid: "ST01-C01-G01"));
        var webhooks = await dashboard.GetAsync("/api/v1/webhooks");

        Assert.Equal("A community credential may not take the order action 'resolve'.", (await AssertProblem(resolve, HttpStatusCode.Forbidden)).Detail);
        Assert.Equal("A community credential may not take the order action 'request-extension'.", (await AssertProblem(extension, HttpStatusCode.Forbidden)).Detail);
        Assert.Equal("A department credential may not read the statistics.", (await AssertProblem(statistics, HttpStatusCode.Forbidden)).Detail);
        Assert.Equal("A dashboard credential may not file orders.", (await AssertProblem(file, HttpStatusCode.Forbidden)).Detail);
        Assert.Equal("A dashboard credential may not manage webhook subscriptions.", (await AssertProblem(webhooks, HttpStatusCode.Forbidden)).Detail);
    }

    [Fact]
    public async Task The_district_figures_refused_to_a_street_supervisor_are_a_403_problem()
    {
        var supervisor = app.ClientAs(Role.Supervisor, street: "ST01");

        var response = await supervisor.GetAsync("/metrics");

        Assert.Contains("whole district", (await AssertProblem(response, HttpStatusCode.Forbidden)).Detail);
    }

    [Fact]
    public async Task The_openapi_document_declares_both_ways_in_and_requires_one()
    {
        var document = System.Text.Json.Nodes.JsonNode.Parse(await app.AnonymousClient().GetStringAsync("/openapi/v1.json"))!;

        var schemes = document["components"]!["securitySchemes"]!;
        Assert.Equal(("apiKey", "header", "X-Api-Key"), ((string?)schemes["ApiKey"]!["type"], (string?)schemes["ApiKey"]!["in"], (string?)schemes["ApiKey"]!["name"]));
        Assert.Equal(("http", "bearer", "JWT"), ((string?)schemes["Bearer"]!["type"], (string?)schemes["Bearer"]!["scheme"], (string?)schemes["Bearer"]!["bearerFormat"]));
        Assert.Equal(["ApiKey", "Bearer"], document["security"]!.AsArray().Select(r => r!.AsObject().Single().Key));
        var listOrders = document["paths"]!["/api/v1/orders"]!["get"]!["responses"]!.AsObject();
        Assert.True(listOrders.ContainsKey("401") && listOrders.ContainsKey("429"));
    }

    internal static async Task<Problem> AssertProblem(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Read<Problem>();
        Assert.Equal((int)status, problem.Status);
        Assert.False(string.IsNullOrWhiteSpace(problem.Title));
        Assert.False(string.IsNullOrWhiteSpace(problem.Detail));
        return problem;
    }
}
