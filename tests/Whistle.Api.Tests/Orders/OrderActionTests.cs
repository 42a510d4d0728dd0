using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Whistle.Api.Features.Access;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Orders;

/// <summary>Reading orders, ETags and If-Match, and what each refusal looks like to a client.</summary>
public class OrderActionTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    private readonly HttpClient _client = app.CreateClient();

    [Fact]
    public async Task Filing_answers_201_with_location_etag_and_the_order()
    {
        var response = await _client.Post("/api/v1/orders", Filing.Valid(priority: "urgent"), actor: "grid-worker-1");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var order = await response.Read<Order>();
        Assert.Equal($"/api/v1/orders/{order.Id}", response.Headers.Location?.OriginalString);
        Assert.Equal("\"1\"", response.Headers.ETag?.ToString());
        Assert.Equal(("urgent", "grid-worker-1", 1), (order.Priority, order.FiledBy, order.Version));
        Assert.Equal(new OrderLocation(40.8424, 111.7492, "Gate 3"), order.Location);
        Assert.Equal(app.Clock.GetUtcNow(), order.Milestones.FiledAt);
        Assert.Equal(new OrderCounters(0, 0, 0, 0), order.Counters);
    }

    [Fact]
    public async Task An_urgent_order_gets_the_categorys_urgent_deadlines()
    {
        var order = await _client.File(category: "garbage", priority: "urgent");
        var whistled = await _client.Whistle(order.Id);

        Assert.Equal(app.Clock.GetUtcNow().AddHours(2), whistled.Deadlines.AcknowledgeBy); // garbage: 4 h, urgent half
        Assert.Equal(app.Clock.GetUtcNow().AddHours(12), whistled.Deadlines.ResolveBy);
    }

    [Fact]
    public async Task An_order_is_found_by_id_and_by_code_with_its_etag()
    {
        var order = await _client.File();
        await _client.Whistle(order.Id);

        foreach (var key in new[] { order.Id.ToString(), order.Code, order.Code.ToLowerInvariant() })
        {
            var response = await _client.GetAsync($"/api/v1/orders/{key}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("\"2\"", response.Headers.ETag?.ToString());
            var found = await response.Read<Order>();
            Assert.Equal((order.Id, "whistled"), (found.Id, found.State));
        }
    }

    [Theory]
    [InlineData("GET", "/api/v1/orders/{0}")]
    [InlineData("GET", "/api/v1/orders/{0}/history")]
    [InlineData("POST", "/api/v1/orders/{0}/acknowledge")]
    [InlineData("POST", "/api/v1/orders/{0}/cancel")]
    public async Task An_unknown_order_is_a_404_problem(string method, string template)
    {
        foreach (var key in new[] { Guid.NewGuid().ToString(), "WS-9999999", "not-an-order" })
        {
            var request = new HttpRequestMessage(new HttpMethod(method), string.Format(template, key));
            if (method == "POST")
            {
                request.Content = new StringContent("""{"reason":"withdrawn"}""", System.Text.Encoding.UTF8, "application/json");
            }
            var response = await _client.SendAsync(request);

            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Read<Problem>();
            Assert.Equal(404, problem.Status);
            Assert.Contains(key, problem.Detail);
        }
    }

    [Fact]
    public async Task An_action_the_state_does_not_permit_is_a_409_naming_the_state_and_what_is_allowed()
    {
        var order = await _client.File();
        await _client.Whistle(order.Id);

        var response = await _client.Post($"/api/v1/orders/{order.Id}/resolve", new { result = "Done" });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var problem = await response.Read<Problem>();
        Assert.Equal(("whistled", 409), (problem.State, problem.Status));
        Assert.Equal(["acknowledge", "return", "cancel", "escalate", "reassign", "summon", "merge"], problem.AllowedActions!);
        var unchanged = await _client.Get(order.Id);
        Assert.Equal((2, "whistled"), (unchanged.Version, unchanged.State));
        Assert.Equal(2, (await _client.History(order.Id)).Length);
    }

    [Fact]
    public async Task A_stale_if_match_is_a_412_that_changes_nothing_and_the_current_one_succeeds()
    {
        var order = await _client.File();
        await _client.Whistle(order.Id);

        var stale = await _client.Post($"/api/v1/orders/{order.Id}/acknowledge", ifMatch: "\"1\"");
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        var problem = await stale.Read<Problem>();
        Assert.Equal((2, "\"2\""), (problem.CurrentVersion, problem.CurrentETag));
        Assert.Equal("whistled", (await _client.Get(order.Id)).State);

        var weak = await _client.Post($"/api/v1/orders/{order.Id}/acknowledge", ifMatch: "W/\"2\"");
        Assert.Equal(HttpStatusCode.PreconditionFailed, weak.StatusCode); // If-Match compares strongly

        var current = await _client.Post($"/api/v1/orders/{order.Id}/acknowledge", ifMatch: "\"7\", \"2\"");
        Assert.Equal(HttpStatusCode.OK, current.StatusCode);
        Assert.Equal("\"3\"", current.Headers.ETag?.ToString());

        var any = await _client.Post($"/api/v1/orders/{order.Id}/resolve", new { result = "Done" }, ifMatch: "*");
        Assert.Equal(HttpStatusCode.OK, any.StatusCode);
    }

    [Fact]
    public async Task A_malformed_if_match_is_a_400()
    {
        var order = await _client.File();

        var response = await _client.Post($"/api/v1/orders/{order.Id}/whistle", ifMatch: "version-1");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("If-Match", (await response.Read<Problem>()).Errors!.Keys);
    }

    [Fact]
    public async Task Whistling_to_a_named_department_overrides_the_catalogue_and_an_unknown_one_is_a_400()
    {
        var order = await _client.File(category: "garbage");

        var unknown = await _client.Post($"/api/v1/orders/{order.Id}/whistle", new { departmentCode = "ministry-of-magic" });
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal(["No department has the code 'ministry-of-magic'."], (await unknown.Read<Problem>()).Errors!["departmentCode"]);
        Assert.Equal(1, (await _client.Get(order.Id)).Version);

        var whistled = await _client.Whistle(order.Id, "urban-management");
        Assert.Equal("urban-management", whistled.DepartmentCode);
    }

    [Theory]
    [InlineData("duplicate")]
    [InlineData("invalid")]
    [InlineData("withdrawn")]
    public async Task Cancelling_records_the_reason(string reason)
    {
        var order = await _client.File();
        var cancelled = await _client.Act(order.Id, "cancel", new { reason, comment = "See WS-0000001" });

        Assert.Equal(("cancelled", reason), (cancelled.State, cancelled.CancelReason));
        Assert.Equal(app.Clock.GetUtcNow(), cancelled.Milestones.CancelledAt);
        var entry = (await _client.History(order.Id))[^1];
        Assert.Equal((reason, "See WS-0000001"), (entry.Details["reason"], entry.Details["comment"]));
    }

    [Fact]
    public async Task History_records_the_credential_that_acted_and_ignores_a_name_stated_in_a_header()
    {
        var worker = app.ClientAs(Role.GridWorker, grids: ["ST01-C01-G01"], name: "Wang Fang, grid ST01-C01-G01");
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders") { Content = JsonContent.Create(Filing.Valid(), options: WhistleApp.Json) };
        request.Headers.Add("X-Actor", "someone else");

        var order = await (await worker.SendAsync(request)).Read<Order>();
        var whistled = await worker.Act(order.Id, "whistle");

        Assert.Equal("Wang Fang, grid ST01-C01-G01", order.FiledBy);
        await using var db = app.Db();
        var credential = await db.Credentials.Where(c => c.Name == "Wang Fang, grid ST01-C01-G01").Select(c => c.Id).SingleAsync();
        Assert.Equal(
            [("Wang Fang, grid ST01-C01-G01", $"key:{credential}"), ("Wang Fang, grid ST01-C01-G01", $"key:{credential}")],
            (await worker.History(whistled.Id)).Select(e => (e.Actor, e.ActorId)));
    }

    [Fact]
    public async Task An_order_handled_locally_is_never_whistled_and_ends_there()
    {
        var filed = await _client.File();
        var handled = await _client.Act(filed.Id, "handle-locally", new { result = "Fixed by the building leaders" });

        Assert.Equal("handled-locally", handled.State);
        Assert.Empty(handled.AllowedActions);
        Assert.Null(handled.Milestones.FirstWhistledAt);
        Assert.Equal(app.Clock.GetUtcNow(), handled.Milestones.HandledLocallyAt);

        var again = await _client.Post($"/api/v1/orders/{filed.Id}/whistle");
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task A_rewhistle_does_not_bounce_back_to_the_department_that_returned_it()
    {
        var order = await _client.File(category: "garbage");
        await _client.Whistle(order.Id);
        await _client.Acknowledge(order.Id);
        var returned = await _client.Return(order.Id);
        Assert.Equal(("sanitation", (DateTimeOffset?)app.Clock.GetUtcNow()), (returned.ReturnedByDepartmentCode, returned.Milestones.AcknowledgedAt));

        var bounced = await _client.Post($"/api/v1/orders/{order.Id}/whistle");
        Assert.Equal(HttpStatusCode.BadRequest, bounced.StatusCode);
        Assert.Contains("sanitation", (await bounced.Read<Problem>()).Errors!["departmentCode"][0]);

        var rewhistled = await _client.Whistle(order.Id, "urban-management");
        Assert.Equal(("urban-management", (DateTimeOffset?)null), (rewhistled.DepartmentCode, rewhistled.Milestones.AcknowledgedAt));
        Assert.Equal(2, rewhistled.Counters.Whistles);
    }

    [Theory]
    [InlineData("text/html")]
    [InlineData("application/xml")]
    public async Task Errors_are_problem_json_whatever_the_client_accepts(string accept)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/orders/WS-9999999");
        request.Headers.Accept.ParseAdd(accept);

        var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(404, (await response.Read<Problem>()).Status);
    }
}
