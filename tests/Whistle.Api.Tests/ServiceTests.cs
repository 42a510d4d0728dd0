using System.Net;
using System.Text.Json.Nodes;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests;

/// <summary>Health, Swagger UI and the committed OpenAPI document.</summary>
public class ServiceTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    private readonly HttpClient _client = app.CreateClient();

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task Health_endpoints_answer_healthy(string path)
    {
        var response = await _client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Swagger_ui_serves_the_document()
    {
        var page = await _client.GetAsync("/swagger/index.html");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("swagger-ui", await page.Content.ReadAsStringAsync());

        var config = await _client.GetStringAsync("/swagger/index.js");
        Assert.Contains("/openapi/v1.json", config);
    }

    [Fact]
    public async Task The_committed_openapi_document_is_what_the_service_serves()
    {
        var served = await _client.GetStringAsync("/openapi/v1.json");
        var committedPath = Path.Combine(Repository.Root, "openapi", "whistle.v1.json");

        if (Environment.GetEnvironmentVariable("WHISTLE_UPDATE_OPENAPI") == "1")
        {
            await File.WriteAllTextAsync(committedPath, JsonNode.Parse(served)!.ToJsonString(new() { WriteIndented = true }) + "\n");
        }

        Assert.True(File.Exists(committedPath), $"{committedPath} is missing; run the tests with WHISTLE_UPDATE_OPENAPI=1 to write it.");
        var committed = JsonNode.Parse(await File.ReadAllTextAsync(committedPath));
        Assert.True(JsonNode.DeepEquals(committed, JsonNode.Parse(served)),
            "openapi/whistle.v1.json differs from what the service serves. If the change is intended, run " +
            "`WHISTLE_UPDATE_OPENAPI=1 dotnet test` and commit the document.");
    }

    [Fact]
    public async Task The_document_describes_every_operation_and_its_failures()
    {
        var document = JsonNode.Parse(await _client.GetStringAsync("/openapi/v1.json"))!;
        var paths = document["paths"]!.AsObject();

        foreach (var action in new[] { "whistle", "handle-locally", "acknowledge", "return", "resolve", "evaluate", "cancel", "escalate" })
        {
            var operation = paths[$"/api/v1/orders/{{id}}/{action}"]!["post"]!;
            Assert.False(string.IsNullOrWhiteSpace(operation["description"]?.GetValue<string>()));
            foreach (var status in new[] { "200", "400", "404", "409", "412" })
            {
                Assert.NotNull(operation["responses"]![status]);
            }
        }
        foreach (var path in new[] { "/api/v1/orders", "/api/v1/orders/{id}", "/api/v1/orders/{id}/history", "/api/v1/workflow",
                     "/api/v1/stats/summary", "/api/v1/stats/breakdown", "/api/v1/stats/timeseries", "/api/v1/streets", "/api/v1/communities", "/api/v1/grids", "/api/v1/departments", "/api/v1/categories" })
        {
            Assert.NotNull(paths[path]);
        }
        var filing = document["components"]!["schemas"]!["FileOrderRequest"]!;
        Assert.Equal("garbage", filing["examples"]![0]!["categoryCode"]!.GetValue<string>());
        Assert.NotNull(filing["properties"]!["gridCode"]!["description"]);
    }
}
