using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Whistle.Api.Features.Access;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests;

/// <summary>A body the service cannot decode is refused with a problem, whatever it claims to be.</summary>
public class ContentTypeTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    [Fact]
    public async Task A_body_in_a_charset_no_one_knows_is_a_415_problem_and_files_nothing()
    {
        await using var db = app.Db();
        var before = await db.Orders.CountAsync();
        var content = new StringContent(Filing.Raw(Filing.Valid()), Encoding.UTF8);
        content.Headers.Remove("Content-Type");
        content.Headers.TryAddWithoutValidation("Content-Type", "application/json; charset=no-such-charset");

        // The test host's own client: the contract checker cannot read a body in an unknown charset either.
        using var client = app.Server.CreateClient();
        client.DefaultRequestHeaders.Add(ApiKeys.Header, app.AdminKey);
        var response = await client.PostAsync("/api/v1/orders", content);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<Dictionary<string, object>>();
        Assert.Equal("415", problem!["status"].ToString());
        Assert.Contains("no-such-charset", problem["detail"].ToString());
        Assert.Equal(before, await db.Orders.CountAsync());
    }

    [Fact]
    public async Task A_json_body_without_a_content_type_is_a_415_problem_that_says_what_to_send()
    {
        await using var db = app.Db();
        var before = await db.Credentials.CountAsync();
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes("{\"role\":\"admin\",\"name\":\"no content type\"}"));

        using var client = app.Server.CreateClient();
        client.DefaultRequestHeaders.Add(ApiKeys.Header, app.AdminKey);
        var response = await client.PostAsync("/api/v1/credentials", content);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<Dictionary<string, object>>();
        Assert.Equal(("415", "Unsupported media type"), (problem!["status"].ToString(), problem["title"].ToString()));
        Assert.True(problem.ContainsKey("traceId"));
        Assert.Equal(before, await db.Credentials.CountAsync());
    }

    [Fact]
    public async Task The_services_address_points_to_the_api_documentation_the_dashboard_and_the_app_without_a_credential()
    {
        using var anonymous = app.Server.CreateClient();

        var response = await anonymous.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"/swagger\"", text);
        Assert.Contains("\"/dashboard\"", text);
        Assert.Contains("\"/app/\"", text);
    }
}
