using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests;

/// <summary>Bad input is a 400 problem naming each field, and leaves nothing behind.</summary>
public class ValidationTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    private readonly HttpClient _client = app.CreateClient();

    public static TheoryData<string, object?, string> BadFilings() => new()
    {
        { "title", "", "title" },
        { "title", new string('t', 201), "title" },
        { "description", null, "description" },
        { "categoryCode", "", "categoryCode" },
        { "location", null, "location" },
        { "location", new { latitude = 91.0, longitude = 111.7 }, "location.latitude" },
        { "location", new { latitude = 40.8, longitude = -181.0 }, "location.longitude" },
        { "location", new { longitude = 111.7 }, "location.latitude" },
        { "location", new { latitude = 40.8, longitude = 111.7, address = new string('a', 501) }, "location.address" },
        { "categoryCode", "no-such-category", "categoryCode" },
        { "gridCode", "ST99-C99-G99", "gridCode" },
        { "priority", "whenever", "priority" },
        { "priority", 3, "priority" },
        { "title", 42, "title" },
    };

    [Theory]
    [MemberData(nameof(BadFilings))]
    public async Task A_bad_filing_field_is_a_400_naming_that_field_and_files_nothing(string field, object? value, string reported)
    {
        var body = Filing.Valid();
        body[field] = value;
        var before = await CountOrders();

        var response = await _client.Post("/api/v1/orders", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Read<Problem>();
        Assert.Equal(400, problem.Status);
        Assert.Equal([reported], problem.Errors!.Keys);
        Assert.All(problem.Errors[reported], message => Assert.False(string.IsNullOrWhiteSpace(message)));
        Assert.Equal(before, await CountOrders());
    }

    [Fact]
    public async Task Every_missing_field_is_reported_at_once()
    {
        var response = await _client.Post("/api/v1/orders", new { });

        var problem = await response.Read<Problem>();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(["categoryCode", "description", "location", "title"], problem.Errors!.Keys.Order()); // gridCode: found from the location when left out
    }

    [Theory]
    [InlineData("{\"title\": ")]
    [InlineData("not json at all")]
    [InlineData("[1, 2, 3]")]
    public async Task Malformed_json_is_a_400_problem(string raw)
    {
        var before = await CountOrders();
        var response = await _client.PostAsync("/api/v1/orders", new StringContent(raw, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Read<Problem>();
        Assert.Equal("The request body is malformed", problem.Title);
        Assert.NotNull(problem.Errors);
        Assert.Equal(before, await CountOrders());
    }

    [Theory]
    [InlineData("handle-locally", "{}", "result")]
    [InlineData("return", "{\"reason\": \"  \"}", "reason")]
    [InlineData("cancel", "{}", "reason")]
    [InlineData("cancel", "{\"reason\": \"bored\"}", "reason")]
    public async Task An_action_without_its_required_field_is_a_400_and_the_order_is_untouched(string action, string raw, string field)
    {
        var order = await _client.File();
        if (action == "return")
        {
            await _client.Whistle(order.Id);
        }
        var version = (await _client.Get(order.Id)).Version;

        var response = await _client.PostAsync($"/api/v1/orders/{order.Id}/{action}", new StringContent(raw, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(field, (await response.Read<Problem>()).Errors!.Keys);
        Assert.Equal(version, (await _client.Get(order.Id)).Version);
        Assert.Equal(version, (await _client.History(order.Id)).Length);
    }

    [Fact]
    public async Task Resolving_needs_a_result_and_an_unsatisfied_evaluation_needs_a_comment()
    {
        var order = await _client.File();
        await _client.Whistle(order.Id);
        await _client.Acknowledge(order.Id);

        var noResult = await _client.Post($"/api/v1/orders/{order.Id}/resolve", new { });
        Assert.Equal(["result"], (await noResult.Read<Problem>()).Errors!.Keys);
        await _client.Resolve(order.Id);

        var noRating = await _client.Post($"/api/v1/orders/{order.Id}/evaluate", new { });
        Assert.Equal(["rating"], (await noRating.Read<Problem>()).Errors!.Keys);
        var silent = await _client.Post($"/api/v1/orders/{order.Id}/evaluate", new { rating = "unsatisfied" });
        Assert.Equal(["comment"], (await silent.Read<Problem>()).Errors!.Keys);
        Assert.Equal("resolved", (await _client.Get(order.Id)).State);
    }

    [Fact]
    public async Task Validation_comes_before_state_an_invalid_body_on_a_closed_order_is_still_a_400()
    {
        var order = await _client.File();
        await _client.Cancel(order.Id);

        var response = await _client.Post($"/api/v1/orders/{order.Id}/return", new { reason = "" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    private async Task<int> CountOrders()
    {
        await using var db = app.Db();
        return await db.Orders.CountAsync();
    }
}
