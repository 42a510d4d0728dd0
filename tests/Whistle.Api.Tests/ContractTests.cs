using System.Net;
using System.Text.Json.Nodes;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests;

/// <summary>
/// The checker that every test client's exchanges pass through (<see cref="ContractCheckingHandler"/>):
/// it must pass what the service really answers and catch each way an answer can break the document.
/// </summary>
public class ContractTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    private static readonly Dictionary<string, string> NoHeaders = new(StringComparer.OrdinalIgnoreCase);

    private readonly HttpClient _client = app.CreateClient();

    [Fact]
    public async Task A_real_order_and_its_history_conform()
    {
        var filed = await _client.PostAsync("/api/v1/orders", Json(Filing.Raw(Filing.Valid())));
        Assert.Equal(HttpStatusCode.Created, filed.StatusCode);

        var violations = Contract.Committed.Check(await Exchange("GET", filed.Headers.Location!.ToString(), 200, await filed.Content.ReadAsStringAsync(),
            headers: new() { ["ETag"] = "\"1\"" }));

        Assert.Empty(violations);
    }

    [Fact]
    public async Task An_order_without_its_state_is_caught()
    {
        var order = JsonNode.Parse(await (await _client.PostAsync("/api/v1/orders", Json(Filing.Raw(Filing.Valid())))).Content.ReadAsStringAsync())!;
        order.AsObject().Remove("state");

        var violations = Contract.Committed.Check(await Exchange("GET", $"/api/v1/orders/{order["id"]}", 200, order.ToJsonString(),
            headers: new() { ["ETag"] = "\"1\"" }));

        Assert.Contains(violations, v => v.Contains("state", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_null_rating_that_is_also_an_enum_value_passes_and_an_unknown_one_is_caught()
    {
        var order = JsonNode.Parse(await (await _client.PostAsync("/api/v1/orders", Json(Filing.Raw(Filing.Valid())))).Content.ReadAsStringAsync())!;
        Assert.Null(order["rating"]);
        Assert.Empty(Contract.Committed.Check(await Exchange("GET", $"/api/v1/orders/{order["id"]}", 200, order.ToJsonString(), headers: new() { ["ETag"] = "\"1\"" })));

        order["rating"] = "delighted";
        var violations = Contract.Committed.Check(await Exchange("GET", $"/api/v1/orders/{order["id"]}", 200, order.ToJsonString(), headers: new() { ["ETag"] = "\"1\"" }));

        Assert.Contains(violations, v => v.Contains("/rating", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_undocumented_status_header_or_content_type_is_caught()
    {
        var status = Contract.Committed.Check(await Exchange("GET", "/api/v1/workflow", 418, "{}", contentType: "application/json"));
        var header = Contract.Committed.Check(await Exchange("GET", "/api/v1/streets", 200, "[]", headers: new() { ["ETag"] = "\"x\"" }));
        var type = Contract.Committed.Check(await Exchange("GET", "/api/v1/streets", 200, "<streets/>", contentType: "application/xml"));

        Assert.Contains(status, v => v.Contains("418", StringComparison.Ordinal));
        Assert.Contains(header, v => v.Contains("'ETag' is sent but not documented", StringComparison.Ordinal));
        Assert.Contains(type, v => v.Contains("application/xml", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_request_the_document_calls_invalid_may_be_refused_but_not_accepted()
    {
        var body = """{"title":"No category","description":"d","gridCode":"ST01-C01-G01","location":{"latitude":40.8,"longitude":111.7}}""";

        var refused = Contract.Committed.Check(await Exchange("POST", "/api/v1/orders", 400,
            """{"title":"The request has invalid fields","status":400,"errors":{"categoryCode":["must not be empty"]}}""",
            contentType: "application/problem+json", requestBody: body));
        var accepted = Contract.Committed.Check(await Exchange("POST", "/api/v1/orders", 201, "{}", requestBody: body,
            headers: new() { ["Location"] = "/api/v1/orders/x", ["ETag"] = "\"1\"" }));

        Assert.Empty(refused);
        Assert.Contains(accepted, v => v.Contains("accepted a request the document calls invalid", StringComparison.Ordinal) && v.Contains("categoryCode", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_query_parameter_of_the_wrong_type_or_unknown_is_refusable()
    {
        var wrongType = Contract.Committed.Check(await Exchange("GET", "/api/v1/orders?limit=many", 200, """{"items":[],"nextCursor":null}"""));
        var unknown = Contract.Committed.Check(await Exchange("GET", "/api/v1/orders?colour=red", 200, """{"items":[],"nextCursor":null}"""));

        Assert.Contains(wrongType, v => v.Contains("'limit'", StringComparison.Ordinal));
        Assert.Contains(unknown, v => v.Contains("'colour' is not documented", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Every_exchange_of_a_test_client_is_checked()
    {
        // A request the document calls invalid, answered 2xx by nobody: the checker sees it and lets the 400 through.
        var response = await _client.GetAsync("/api/v1/orders?limit=0");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);

        // The checker sits in the client: an exchange that breaks the document throws at the call.
        var handler = new ContractCheckingHandler(Contract.Committed) { InnerHandler = new Answer(HttpStatusCode.OK, "{\"nonsense\":true}") };
        using var broken = new HttpClient(handler) { BaseAddress = new Uri("http://localhost") };
        if (Environment.GetEnvironmentVariable("WHISTLE_CONTRACT_REPORT") is not { Length: > 0 })
        {
            await Assert.ThrowsAsync<ContractViolationException>(() => broken.GetAsync("/api/v1/workflow"));
        }
    }

    [Fact]
    public async Task A_webhook_body_is_checked_against_the_documents_webhooks()
    {
        var order = await (await _client.PostAsync("/api/v1/orders", Json(Filing.Raw(Filing.Valid())))).Content.ReadAsStringAsync();
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["webhook-id"] = "msg_1",
            ["webhook-timestamp"] = "1767225600",
            ["webhook-signature"] = "v1,abc",
        };
        var whole = "{\"type\":\"order.whistled\",\"timestamp\":\"2026-03-02T01:00:00+00:00\",\"data\":" + order + "}";

        var good = Contract.Committed.CheckWebhook("orderEvent", headers, whole);
        var noData = Contract.Committed.CheckWebhook("orderEvent", headers, "{\"type\":\"order.whistled\",\"timestamp\":\"2026-03-02T01:00:00+00:00\"}");
        var unsigned = Contract.Committed.CheckWebhook("orderEvent", NoHeaders, whole);

        Assert.Empty(good);
        Assert.Contains(noData, v => v.Contains("data", StringComparison.Ordinal));
        Assert.Contains(unsigned, v => v.Contains("webhook-signature", StringComparison.Ordinal));
    }

    private static StringContent Json(string body) => new(body, System.Text.Encoding.UTF8, "application/json");

    private static async Task<Exchange> Exchange(
        string method, string pathAndQuery, int status, string responseBody, string contentType = "application/json",
        Dictionary<string, string>? headers = null, string? requestBody = null)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), new Uri(new Uri("http://localhost"), pathAndQuery))
        {
            Content = requestBody is null ? null : Json(requestBody),
        };
        var response = new HttpResponseMessage((HttpStatusCode)status)
        {
            Content = new StringContent(responseBody, System.Text.Encoding.UTF8, contentType),
        };
        foreach (var (name, value) in headers ?? NoHeaders)
        {
            response.Headers.TryAddWithoutValidation(name, value);
        }
        return await Infrastructure.Exchange.ReadAsync(request, requestBody, response, CancellationToken.None);
    }

    private sealed class Answer(HttpStatusCode status, string body) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"), RequestMessage = request });
    }
}
