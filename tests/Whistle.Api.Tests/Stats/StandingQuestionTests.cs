using System.Net;
using System.Text.Json.Nodes;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Stats;

/// <summary>
/// Questions asked again are answered from tallies kept up to date change by change. After every
/// few random changes (and hours passing, so deadlines pass), each kept answer must equal the same
/// question asked for the first time, which the service answers by a fresh scan.
/// </summary>
public class StandingQuestionTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    private readonly HttpClient _client = app.CreateClient();
    private int _unique;

    private static readonly string[] Questions =
    [
        "summary?{0}",
        "summary?streetCode=ST01&{0}",
        "summary?departmentCode=sanitation&{0}",
        "breakdown?groupBy=department&sort=completionRate&order=desc&{0}",
        "breakdown?groupBy=community&{0}",
        "timeseries?interval=day&to=2026-03-20&{0}",
    ];

    [Fact]
    public async Task Kept_answers_equal_fresh_scans_through_random_changes()
    {
        var random = new Random(20261127);
        var orders = new List<(Guid Id, string State)>();
        string[] categories = ["garbage", "pipe-blockage", "noise"];
        string[] grids = ["ST01-C01-G01", "ST01-C02-G03", "ST02-C03-G04"];

        for (var step = 0; step < 120; step++)
        {
            app.Clock.Advance(TimeSpan.FromMinutes(random.Next(0, 360)));
            var pick = orders.Count == 0 || random.Next(4) == 0 ? -1 : random.Next(orders.Count);
            if (pick < 0)
            {
                var filed = await _client.File(categories[random.Next(3)], grids[random.Next(3)]);
                orders.Add((filed.Id, filed.State));
            }
            else
            {
                var (id, state) = orders[pick];
                var next = await Act(random, id, state);
                orders[pick] = (id, next ?? state);
            }
            if (step % 6 == 5)
            {
                foreach (var question in Questions)
                {
                    var kept = await Ask(question, "from=2026-01-01");
                    var fresh = await Ask(question, $"from=2026-01-01T00:00:00.{++_unique:000000}%2B08:00");
                    Assert.True(JsonNode.DeepEquals(Figures(kept), Figures(fresh)),
                        $"step {step}, {question}:\nkept  {Figures(kept).ToJsonString()}\nfresh {Figures(fresh).ToJsonString()}");
                }
            }
        }
    }

    private async Task<string?> Act(Random random, Guid id, string state)
    {
        (string Action, object? Body)[] choices = state switch
        {
            "discovered" => [("whistle", null), ("handle-locally", new { result = "Fixed" }), ("cancel", new { reason = random.Next(2) == 0 ? "withdrawn" : "invalid" })],
            "whistled" => [("acknowledge", null), ("return", new { reason = "Not ours" }), ("escalate", new { reason = "Late" }), ("cancel", new { reason = "duplicate" })],
            "acknowledged" => [("resolve", new { result = "Done" }), ("escalate", new { reason = "Late" }), ("return", new { reason = "Not ours" })],
            "returned" => [("whistle", null), ("cancel", new { reason = "withdrawn" })],
            "resolved" => [("evaluate", new { rating = new[] { "satisfied", "basically-satisfied", "unsatisfied" }[random.Next(3)], comment = "Checked" })],
            _ => [],
        };
        if (choices.Length == 0)
        {
            return null;
        }
        var (action, body) = choices[random.Next(choices.Length)];
        var response = await _client.Post($"/api/v1/orders/{id}/{action}", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Read<Order>()).State;
    }

    private async Task<JsonNode> Ask(string question, string from)
    {
        var response = await _client.GetAsync("/api/v1/stats/" + string.Format(System.Globalization.CultureInfo.InvariantCulture, question, from));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    /// <summary>The figures without the bounds and times, which differ by the microsecond that makes the question new.</summary>
    private static JsonNode Figures(JsonNode answer) =>
        answer["figures"]?.DeepClone()
        ?? answer["rows"]?.DeepClone()
        ?? new JsonArray(answer["points"]!.AsArray().Select(p => (JsonNode?)p!["figures"]!.DeepClone()).ToArray());
}
