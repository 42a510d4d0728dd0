using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Whistle.Api.Features.Access;
using Whistle.Api.Tests.Infrastructure;
using Whistle.Api.Tests.Robustness;
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

        // A photo, a co-handled order, and reference entries of the fuzz's own (one retired), so that every path names something real.
        var withPhoto = await (await admin.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders")
        {
            Content = new ByteArrayContent(FuzzImage.Form(Filing.Raw(Filing.Valid()))) { Headers = { { "Content-Type", FuzzImage.FormType } } },
        })).Read<JsonElement>();
        var photoId = withPhoto.GetProperty("photos")[0].GetProperty("id").GetString()!;
        var jointOrder = await admin.File();
        await admin.Act(jointOrder.Id, "whistle", new { departmentCode = "municipal", coDepartmentCodes = new[] { "sanitation" } });
        await Created(admin, "/api/v1/streets", new { code = "FZ1", name = "模糊街道" });
        await Created(admin, "/api/v1/communities", new { code = "FZ1-C1", name = "模糊社区", streetCode = "FZ1" });
        await Created(admin, "/api/v1/grids", new { code = "FZ1-C1-G1", name = "模糊网格", communityCode = "FZ1-C1" });
        await Created(admin, "/api/v1/departments", new { code = "fuzz-dept", name = "模糊部门" });
        foreach (var code in new[] { "fuzz-cat", "fuzz-retired" })
        {
            await Created(admin, "/api/v1/categories", new
            {
                code,
                name = "模糊类别",
                departmentCode = "fuzz-dept",
                acknowledgeWithinHours = 24,
                resolveWithinHours = 72,
                urgentAcknowledgeWithinHours = 12,
                urgentResolveWithinHours = 36,
            });
        }
        await admin.Post("/api/v1/categories/fuzz-retired/retire");
        var entry = await (await Created(admin, "/api/v1/catalogue",
            new { categoryCode = "fuzz-cat", streetCode = "FZ1", departmentCode = "fuzz-dept", coDepartmentCodes = new[] { "water" } })).Read<JsonElement>();

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
            [discovered.Id.ToString(), whistled.Code, acknowledged.Id.ToString(), resolved.Code, jointOrder.Id.ToString()],
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
                ["UpdateStreet"] = """{"name":"模糊街道二"}""",
                ["UpdateCommunity"] = """{"name":"模糊社区二","streetCode":"FZ1"}""",
                ["UpdateGrid"] = """{"name":"模糊网格二","communityCode":"FZ1-C1"}""",
                ["UpdateDepartment"] = """{"name":"模糊部门二"}""",
                ["UpdateCategory"] = """{"name":"模糊类别二","departmentCode":"fuzz-dept","acknowledgeWithinHours":24,"resolveWithinHours":72,"urgentAcknowledgeWithinHours":12,"urgentResolveWithinHours":36,"resolveInWorkingDays":true,"requiresResolutionPhoto":false}""",
                ["CreateCatalogueEntry"] = """{"categoryCode":"fuzz-cat","communityCode":"FZ1-C1","departmentCode":"fuzz-dept","coDepartmentCodes":["water"]}""",
                ["UpdateCatalogueEntry"] = """{"categoryCode":"fuzz-cat","streetCode":"FZ1","departmentCode":"fuzz-dept","coDepartmentCodes":["water","housing"]}""",
                ["ReplaceCalendarYear"] = """{"days":[{"date":"2031-01-01","kind":"holiday","name":"元旦"},{"date":"2031-01-04","kind":"workday"}]}""",
                ["WithdrawPhoto"] = """{"reason":"Shows a face."}""",
                ["SummonOrder"] = """{"departmentCode":"housing"}""",
            },
            new Dictionary<string, string[]>
            {
                ["photos"] = [photoId],
                ["streets"] = ["FZ1"],
                ["communities"] = ["FZ1-C1"],
                ["grids"] = ["FZ1-C1-G1"],
                ["departments"] = ["fuzz-dept"],
                ["categories"] = ["fuzz-cat", "fuzz-retired"],
                ["catalogue"] = [entry.GetProperty("id").ToString()],
                ["calendar"] = ["2031"],
                ["parts"] = ["sanitation"],
            },
            FuzzImage.Png, WorkbookFuzzer.Valid());
        // The test host's own client, not one checked against the document: these requests break it on purpose,
        // and what the service answers them is judged here.
        return new Fuzz(app, app.Server.CreateClient(), targets, keys);
    }

    private static async Task<HttpResponseMessage> Created(HttpClient admin, string path, object body)
    {
        var response = await admin.Post(path, body);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return response;
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
        var serverErrors = 0;
        foreach (var request in requests)
        {
            // Without the role's key (the case replaces the credential), the role makes no difference.
            Role[] roles = random.Next(3) == 0 && !request.ReplacesCredential && !request.Repeat ? [Role.Admin, others[random.Next(others.Length)]] : [Role.Admin];
            if (request.Repeat)
            {
                // The valid request once (it may change things: that is its job), then again: the second is judged.
                var (first, firstProblem) = await CheckAsync(request, Role.Admin);
                sent++;
                serverErrors += first >= 500 ? 1 : 0;
                if (firstProblem is not null)
                {
                    failures.Add($"admin {request} (first time): {firstProblem}");
                }
                before = await snapshot.TakeAsync();
                if (first is not (>= 200 and < 300))
                {
                    continue;
                }
            }
            foreach (var role in roles)
            {
                var (status, problem) = await CheckAsync(request, role);
                sent++;
                serverErrors += status >= 500 ? 1 : 0;
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
        output.WriteLine(Report(requests, sent, serverErrors, failures.Count, clock.Elapsed));
        return failures;
    }

    /// <summary>What the fuzz did, for the suite's output: requests, operations, classes of input, and what broke.</summary>
    public static string Report(IReadOnlyList<FuzzRequest> requests, int sent, int serverErrors, int failures, TimeSpan took) =>
        $"fuzz report: {requests.Count} cases, {sent} requests sent, {requests.Select(r => r.Operation).Distinct().Count()} operations, " +
        $"{requests.Select(r => r.What).Distinct().Count()} kinds of input in {requests.Select(r => r.Class).Distinct().Count()} classes " +
        $"({string.Join(", ", requests.GroupBy(r => r.Class).Select(g => $"{g.Key}: {g.Count()}"))}); " +
        $"{serverErrors} answers 5xx, {failures} failures, in {took.TotalSeconds:F0} s";

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
        // Open311's paths answer with Open311's error list, never a problem (docs/open311.md).
        if (response.RequestMessage?.RequestUri?.AbsolutePath.StartsWith("/open311/", StringComparison.Ordinal) == true)
        {
            var open311 = response.Content.Headers.ContentType?.MediaType is "text/xml" or "application/json"
                && (text.Contains($"<code>{status}</code>", StringComparison.Ordinal) || text.Contains($"\"code\":{status}", StringComparison.Ordinal));
            return open311 ? null : $"{status} not in Open311's error form: {Excerpt(text)}";
        }
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

/// <summary>
/// What the document cannot describe: HTTP framing broken over a socket to the real server, and
/// workbooks whose structure (rows, cells, shared strings, sheet names, parts) is broken, imported
/// both as a dry run and for real. Never a 5xx (but HTTP's own 505 for a version it does not speak);
/// what the service answers is a problem with a traceId; valid requests still succeed after.
/// </summary>
public class FuzzFramingAndWorkbookTests(KestrelWhistleApp app, ITestOutputHelper output) : IClassFixture<KestrelWhistleApp>
{
    [Fact]
    public async Task Broken_framing_and_broken_workbook_structure_are_never_a_5xx()
    {
        var clock = Stopwatch.StartNew();
        var failures = new List<string>();
        var (sent, serverErrors) = (0, 0);
        var framing = RawHttp.Cases(app.AdminKey).ToList();
        foreach (var (what, request, reachesService) in framing)
        {
            var answer = await RawHttp.SendAsync(app.Address, request);
            sent++;
            serverErrors += answer.Status >= 500 ? 1 : 0;
            output.WriteLine($"  framing [{what}]: {answer.Status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "closed without an answer"}{(answer.IsProblem ? " problem" : "")}");
            if (answer.Status >= 500 && !(answer.Status == 505 && what.Contains("version", StringComparison.Ordinal)))
            {
                failures.Add($"framing [{what}]: {answer}");
            }
            else if (reachesService && answer.Status >= 400 && !(answer.IsProblem && answer.Body.Contains("\"traceId\"", StringComparison.Ordinal)))
            {
                failures.Add($"framing [{what}]: not a problem with a traceId: {answer.Head}");
            }
        }

        // Judged here, not by the document's client: these files break the import on purpose.
        using var admin = new HttpClient { BaseAddress = app.Address };
        admin.DefaultRequestHeaders.Add(ApiKeys.Header, app.AdminKey);
        var workbooks = WorkbookFuzzer.Cases().ToList();
        foreach (var (what, workbook) in workbooks)
        {
            foreach (var dryRun in new[] { "true", "false" })
            {
                using var form = new MultipartFormDataContent { { new ByteArrayContent(workbook), "file", "reference.xlsx" } };
                using var response = await admin.PostAsync($"/api/v1/reference/import?dryRun={dryRun}", form);
                sent++;
                var status = (int)response.StatusCode;
                serverErrors += status >= 500 ? 1 : 0;
                var text = await response.Content.ReadAsStringAsync();
                if (status >= 500 || (status >= 400 && (response.Content.Headers.ContentType?.MediaType != "application/problem+json" || !text.Contains("\"traceId\"", StringComparison.Ordinal))))
                {
                    failures.Add($"workbook [{what}] dryRun={dryRun}: {status} {(text.Length > 300 ? text[..300] : text)}");
                }
            }
        }

        using var next = app.NetworkClient();
        var order = await next.File();
        Assert.Equal(order.Id, (await next.Get(order.Id)).Id);
        output.WriteLine($"fuzz report (framing and workbooks): {framing.Count + workbooks.Count} cases ({framing.Count} framing over a socket, " +
            $"{workbooks.Count} workbook structures, each imported as a dry run and for real), {sent} requests sent, " +
            $"{serverErrors} answers 5xx (HTTP 505 for an unknown version allowed), {failures.Count} failures, in {clock.Elapsed.TotalSeconds:F0} s");
        Assert.True(failures.Count == 0, Fuzz.Describe(failures));
    }
}

/// <summary>A small image processing accepts, and a multipart filing that carries it.</summary>
internal static class FuzzImage
{
    public const string Boundary = "fuzz-image-boundary";
    public const string FormType = "multipart/form-data; boundary=" + Boundary;

    public static readonly byte[] Png = Photos.Images.Png(24, 16, ImageMagick.MagickColors.Olive);

    public static byte[] Form(string orderJson) =>
    [
        .. Encoding.UTF8.GetBytes($"--{Boundary}\r\nContent-Disposition: form-data; name=\"order\"\r\nContent-Type: application/json\r\n\r\n{orderJson}\r\n" +
            $"--{Boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.png\"\r\nContent-Type: image/png\r\n\r\n"),
        .. Png,
        .. Encoding.UTF8.GetBytes($"\r\n--{Boundary}--\r\n"),
    ];
}
