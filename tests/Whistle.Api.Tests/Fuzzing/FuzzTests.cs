using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Whistle.Api.Features.Access;
using Whistle.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Whistle.Api.Tests.Fuzzing;

/// <summary>
/// Every operation of the committed document, sent malformed bodies, parameters and headers with
/// each role's credential: no 5xx, every refusal an RFC 9457 problem, and a refused request leaves
/// every table as it was.
/// </summary>
public class FuzzTests(WhistleApp app, ITestOutputHelper output) : IClassFixture<WhistleApp>
{
    [Fact]
    public async Task Malformed_requests_to_every_operation_are_answered_with_problems_and_change_nothing()
    {
        var fuzz = await Fuzz.PrepareAsync(app);

        var requests = fuzz.Requests().Where(r => !r.ReachesStoreOrCalendar).ToList();
        var failures = await fuzz.SendAsync(requests, output);

        Assert.True(failures.Count == 0, Fuzz.Describe(failures));
    }
}

/// <summary>
/// The malformed inputs that once reached PostgreSQL or overflowed the period parser (a NUL character
/// in any text field or query parameter, a statistics period at the edge of the calendar): each must
/// be a problem, and valid requests after them must still succeed.
/// </summary>
public class FuzzNulAndCalendarEdgeTests(WhistleApp app, ITestOutputHelper output) : IClassFixture<WhistleApp>
{
    [Fact]
    public async Task Nul_characters_and_calendar_edges_are_answered_with_problems_and_do_not_harm_later_requests()
    {
        var fuzz = await Fuzz.PrepareAsync(app);

        var requests = fuzz.Requests().Where(r => r.ReachesStoreOrCalendar).ToList();
        var failures = await fuzz.SendAsync(requests, output, canaryEvery: 5);

        Assert.NotEmpty(requests);
        Assert.True(failures.Count == 0, Fuzz.Describe(failures));
    }
}

/// <summary>A service with orders in several states, a webhook with a delivery, a credential, and a key per role.</summary>
internal sealed class Fuzz
{
    private const int Seed = 20261202;
    private readonly WhistleApp _app;
    private readonly HttpClient _client;
    private readonly FuzzTargets _targets;
    private readonly Dictionary<Role, string> _keys;

    private Fuzz(WhistleApp app, HttpClient client, FuzzTargets targets, Dictionary<Role, string> keys) =>
        (_app, _client, _targets, _keys) = (app, client, targets, keys);

    public static async Task<Fuzz> PrepareAsync(WhistleApp app)
    {
        var admin = app.CreateClient();
        var webhook = await (await admin.PostAsJsonAsync("/api/v1/webhooks", new { url = "https://example.org/hooks/whistle", events = new[] { "*" } }))
            .Read<JsonElement>();
        var webhookId = webhook.GetProperty("id").ToString();

        var discovered = await admin.File();
        var whistled = await admin.File();
        await admin.Whistle(whistled.Id);
        var acknowledged = await admin.File();
        await admin.Whistle(acknowledged.Id);
        await admin.Acknowledge(acknowledged.Id);
        var resolved = await admin.File();
        await admin.Whistle(resolved.Id);
        await admin.Acknowledge(resolved.Id);
        await admin.Resolve(resolved.Id);

        var deliveries = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/webhooks/{webhookId}/deliveries");
        var deliveryId = deliveries.GetProperty("items")[0].GetProperty("id").ToString();
        var credential = await (await admin.PostAsJsonAsync("/api/v1/credentials", new { role = "supervisor", name = "fuzz target" })).Read<JsonElement>();

        var keys = Enum.GetValues<Role>().ToDictionary(role => role, role => app.CreateKey(role switch
        {
            Role.GridWorker => new NewCredential(role, "fuzz grid worker", GridCodes: ["ST01-C01-G01"]),
            Role.Community => new NewCredential(role, "fuzz community", CommunityCode: "ST01-C01"),
            Role.Department => new NewCredential(role, "fuzz sanitation", DepartmentCode: "sanitation"),
            _ => new NewCredential(role, $"fuzz {role}"),
        }));

        var targets = new FuzzTargets(
            [discovered.Id.ToString(), whistled.Code, acknowledged.Id.ToString(), resolved.Code],
            webhookId, deliveryId, credential.GetProperty("id").ToString(),
            // Bodies that would pass, for operations the document gives no example of.
            new Dictionary<string, string>
            {
                ["CreateWebhook"] = """{"url":"https://example.org/hooks/other","events":["order.whistled"]}""",
                ["UpdateWebhook"] = """{"enabled":true}""",
                ["CreateCredential"] = """{"role":"supervisor","name":"fuzzed"}""",
                ["ReassignOrder"] = """{"departmentCode":"water","reason":"The pipe is the water company's."}""",
                ["EscalateOrder"] = """{"reason":"Two days past its deadline."}""",
                ["RequestExtensionOrder"] = """{"resolveBy":"2026-04-01T01:00:00Z","reason":"Parts on order."}""",
                ["ApproveExtensionOrder"] = """{"note":"Agreed."}""",
                ["RefuseExtensionOrder"] = """{"reason":"Not needed."}""",
            });
        // The test host's own client, not one checked against the document: these requests break it on purpose,
        // and what the service answers them is judged here.
        return new Fuzz(app, app.Server.CreateClient(), targets, keys);
    }

    /// <summary>The document's requests, in its order; the order ids are picked by a seeded random, so every run sends the same.</summary>
    public IEnumerable<FuzzRequest> Requests()
    {
        var document = JsonNode.Parse(File.ReadAllText(Path.Combine(Repository.Root, "openapi", "whistle.v1.json")))!;
        return new DocumentFuzzer(document, _targets, new Random(Seed)).Requests();
    }

    /// <summary>
    /// Sends each request as an admin (who passes every permission check, so the input itself is
    /// what is judged) and one in three also as another role chosen by a seeded random (all roles
    /// meet every operation); checks every answer.
    /// </summary>
    public async Task<List<string>> SendAsync(IReadOnlyList<FuzzRequest> requests, ITestOutputHelper output, int canaryEvery = 100)
    {
        var random = new Random(Seed);
        var others = _keys.Keys.Where(r => r != Role.Admin).ToArray();
        var failures = new List<string>();
        var clock = Stopwatch.StartNew();
        await using var store = new NpgsqlConnection(_app.ConnectionString);
        await store.OpenAsync();
        var snapshot = await StoreSnapshot.ForAsync(store);
        var before = await snapshot.TakeAsync();
        var sent = 0;
        foreach (var request in requests)
        {
            // Without the role's key (the case replaces the credential), the role makes no difference.
            Role[] roles = random.Next(3) == 0 && !request.ReplacesCredential ? [Role.Admin, others[random.Next(others.Length)]] : [Role.Admin];
            foreach (var role in roles)
            {
                var (status, problem) = await CheckAsync(request, role);
                sent++;
                var after = await snapshot.TakeAsync();
                if (problem is null && status is not (>= 200 and < 300) && after.ChangedSince(before) is { Count: > 0 } changed)
                {
                    problem = $"{status}, yet changed {string.Join(", ", changed)}";
                }
                if (problem is not null)
                {
                    failures.Add($"{WireName(role)} {request}: {problem}");
                }
                before = after;
                if (sent % canaryEvery == 0)
                {
                    failures.AddRange(await CanaryAsync(request));
                    before = await snapshot.TakeAsync();
                }
            }
        }
        failures.AddRange(await CanaryAsync(null));
        output.WriteLine($"{requests.Count} malformed requests, {sent} sent, in {clock.Elapsed.TotalSeconds:F1} s; {failures.Count} failures");
        return failures;
    }

    /// <summary>The answer's status, and what is wrong with the answer, or null.</summary>
    private async Task<(int Status, string? Problem)> CheckAsync(FuzzRequest request, Role role)
    {
        using var message = new HttpRequestMessage(request.Method, request.Url);
        if (request.Body is not null)
        {
            message.Content = new ByteArrayContent(request.Body);
            if (request.ContentType is not null)
            {
                message.Content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);
            }
        }
        if (!request.ReplacesCredential)
        {
            message.Headers.Add(ApiKeys.Header, _keys[role]);
        }
        foreach (var (name, value) in request.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await _client.SendAsync(message);
        var status = (int)response.StatusCode;
        return status switch
        {
            >= 500 => (status, $"{status} {Excerpt(await response.Content.ReadAsStringAsync())}"),
            < 300 => (status, null),
            304 => (status, request.Headers.Any(h => h.Key == "If-None-Match") ? null : "304 without If-None-Match"),
            _ => (status, await ProblemDefectAsync(response, status)),
        };
    }

    /// <summary>RFC 9457: application/problem+json, a status equal to the response's, a title.</summary>
    private static async Task<string?> ProblemDefectAsync(HttpResponseMessage response, int status)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return $"{status} as {response.Content.Headers.ContentType?.ToString() ?? "no content type"}: {Excerpt(text)}";
        }
        JsonNode? problem;
        try
        {
            problem = JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return $"{status} problem that is not JSON: {Excerpt(text)}";
        }
        if (problem is not JsonObject body
            || body["status"] is not JsonValue statusValue || !statusValue.TryGetValue<int>(out var stated) || stated != status)
        {
            return $"{status} problem whose status is not {status}: {Excerpt(text)}";
        }
        return body["title"] is JsonValue title && title.TryGetValue<string>(out var words) && words.Length > 0
            ? null
            : $"{status} problem without a title: {Excerpt(text)}";
    }

    /// <summary>Whatever was refused before, a valid read and a valid filing must still succeed.</summary>
    private async Task<IEnumerable<string>> CanaryAsync(FuzzRequest? after)
    {
        var admin = _app.CreateClient();
        var read = await admin.GetAsync($"/api/v1/orders/{_targets.OrderIds[0]}");
        var filing = await admin.Post("/api/v1/orders", Filing.Valid());
        var failures = new List<string>();
        if (read.StatusCode != HttpStatusCode.OK)
        {
            failures.Add($"a valid read after {after?.ToString() ?? "the run"}: {(int)read.StatusCode} {Excerpt(await read.Content.ReadAsStringAsync())}");
        }
        if (filing.StatusCode != HttpStatusCode.Created)
        {
            failures.Add($"a valid filing after {after?.ToString() ?? "the run"}: {(int)filing.StatusCode} {Excerpt(await filing.Content.ReadAsStringAsync())}");
        }
        return failures;
    }

    public static string Describe(List<string> failures) =>
        $"{failures.Count} answers broke the contract:\n" + string.Join("\n", failures.Take(60)) + (failures.Count > 60 ? "\n…" : "");

    private static string WireName(Role role) => JsonNamingPolicy.KebabCaseLower.ConvertName(role.ToString());

    private static string Excerpt(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
