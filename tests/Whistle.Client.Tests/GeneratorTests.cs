using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using ImageMagick;
using Whistle.Api.Features.Access;
using Whistle.Api.Tests.Infrastructure;
using Whistle.NSwag;
using Xunit.Abstractions;
using Role = Whistle.Api.Features.Access.Role;

namespace Whistle.Client.Tests;

/// <summary>The service, recording every answer its clients receive (for <see cref="GeneratorTests.Every_answer_type_checks_against_openapi_typescripts_types"/>).</summary>
public sealed class RecordingApp : WhistleApp
{
    public ConcurrentQueue<Exchange> Exchanges { get; } = new();

    public HttpClient NSwagHttp(string key)
    {
        var http = new HttpClient(new ContractCheckingHandler(Contract.Committed) { Seen = Exchanges.Enqueue, InnerHandler = Server.CreateHandler() })
        {
            BaseAddress = new Uri("http://localhost/"),
        };
        http.DefaultRequestHeaders.Add(ApiKeys.Header, key);
        return http;
    }

    public (string GridWorker, string Community, string Department, string Supervisor) Keys() => (
        CreateKey(new NewCredential(Role.GridWorker, "grid worker Wang", GridCodes: ["ST01-C01-G01"])),
        CreateKey(new NewCredential(Role.Community, "community desk", CommunityCode: "ST01-C01")),
        CreateKey(new NewCredential(Role.Department, "sanitation desk", DepartmentCode: "sanitation")),
        CreateKey(new NewCredential(Role.Supervisor, "district supervisor")));
}

/// <summary>
/// Clients an integrator generates from the committed document with mainstream tools, with no hand edits,
/// each taking an order through its life against the real service: openapi-typescript + openapi-fetch and
/// @hey-api/openapi-ts (TypeScript, compiled with tsc --strict, run with node) and NSwag (C#, System.Text.Json);
/// Kiota's is <see cref="GeneratedClientTests"/>.
/// </summary>
public class GeneratorTests(RecordingApp app, ITestOutputHelper output) : IClassFixture<RecordingApp>
{
    [TypeScriptFact]
    public Task Openapi_typescript_with_openapi_fetch_takes_an_order_through_its_life() => RunLifeAsync("life.openapi-fetch.js", 12);

    [TypeScriptFact]
    public Task Hey_api_openapi_ts_takes_an_order_through_its_life() => RunLifeAsync("life.hey-api.js", 12);

    [Fact]
    public async Task NSwag_with_system_text_json_takes_an_order_through_its_life()
    {
        var steps = await NSwagLifeAsync();
        output.WriteLine($"NSwag: {steps} steps passed");
    }

    /// <summary>
    /// Every answer the clients above receive (and, with WHISTLE_CONTRACT_RECORD naming a file an earlier run of
    /// the HTTP suite wrote, every answer of that run) as a literal of openapi-typescript's type for its operation,
    /// status and media type, compiled with tsc --strict: a member, status or value the types do not allow fails.
    /// </summary>
    [TypeScriptFact]
    public async Task Every_answer_type_checks_against_openapi_typescripts_types()
    {
        await RunLifeAsync("life.openapi-fetch.js", 12);
        await NSwagLifeAsync();
        var exchanges = app.Exchanges.ToList();
        if (Environment.GetEnvironmentVariable("WHISTLE_CONTRACT_RECORD") is { Length: > 0 } record && File.Exists(record))
        {
            exchanges.AddRange(File.ReadLines(record).Select(line => JsonSerializer.Deserialize<Exchange>(line)!));
        }

        var (program, combinations) = AnswersProgram(exchanges);
        await File.WriteAllTextAsync(Path.Combine(TypeScriptClients.Directory, "answers.ts"), program);
        await TypeScriptClients.RunAsync("node_modules/.bin/tsc", "-p", "tsconfig.answers.json");

        output.WriteLine($"{exchanges.Count} answers, {combinations} (operation, status, media type) combinations, all of openapi-typescript's types.");
        Assert.True(combinations >= 13, $"Only {combinations} combinations were checked.");
    }

    private async Task RunLifeAsync(string program, int steps)
    {
        await TypeScriptClients.GenerateAndCompileAsync();
        var (gridWorker, community, department, supervisor) = app.Keys();
        var photo = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(photo, Png());
            using var proxy = new ServiceProxy(app, app.Exchanges.Enqueue);
            string text;
            try
            {
                text = await TypeScriptClients.RunAsync("node", "dist/" + program, proxy.BaseAddress, gridWorker, community, department, supervisor, photo);
            }
            catch (InvalidOperationException failed)
            {
                throw new Xunit.Sdk.XunitException(failed.Message + "\n" + string.Join("\n", proxy.Violations));
            }
            output.WriteLine(text);
            Assert.Empty(proxy.Violations);
            Assert.Contains($"{steps} steps passed", text, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(photo);
        }
    }

    private async Task<int> NSwagLifeAsync()
    {
        var (gridWorkerKey, communityKey, departmentKey, supervisorKey) = app.Keys();
        using var gridWorkerHttp = app.NSwagHttp(gridWorkerKey);
        using var communityHttp = app.NSwagHttp(communityKey);
        using var departmentHttp = app.NSwagHttp(departmentKey);
        using var supervisorHttp = app.NSwagHttp(supervisorKey);
        var supervisor = new WhistleNSwagClient(supervisorHttp);
        var gridWorker = new WhistleNSwagClient(gridWorkerHttp);
        var community = new WhistleNSwagClient(communityHttp);
        var department = new WhistleNSwagClient(departmentHttp);
        var steps = 0;

        var filed = await gridWorker.FileOrderAsync(null, new FileOrderRequest
        {
            Title = "Overflowing bins at gate 3",
            Description = "The bins by gate 3 have not been emptied for three days.",
            CategoryCode = "garbage",
            GridCode = "ST01-C01-G01",
            Location = new FileOrderLocationRequest { Latitude = 40.8424, Longitude = 111.7492, Address = "Gate 3, Building 12" },
            Priority = Priority.Normal,
        }, [], null);
        Assert.Equal(OrderState.Discovered, filed.State);
        steps++;
        var id = filed.Id.ToString();

        var whistled = await community.WhistleOrderAsync(id, null, null, new WhistleOrderBody());
        Assert.Equal(OrderState.Whistled, whistled.State);
        steps++;

        var read = await department.GetOrderAsync(id, null, null);
        Assert.Equal(whistled.Version, read.Version);
        var etag = $"\"{read.Version}\"";
        steps++;

        var acknowledged = await department.AcknowledgeOrderAsync(id, etag, null, new AcknowledgeOrderBody { Note = "Crew 2." });
        Assert.Equal(OrderState.Acknowledged, acknowledged.State);
        steps++;

        var resolved = await department.ResolveOrderAsync(id, null, null, new ResolveOrderBody { Result = "Bins emptied." });
        Assert.Equal(OrderState.Resolved, resolved.State);
        steps++;

        var evaluated = await community.EvaluateOrderAsync(id, null, null, new EvaluateOrderBody { Rating = Rating.Satisfied, Comment = "Checked on site." });
        Assert.Equal(OrderState.Closed, evaluated.State);
        Assert.Equal(Rating.Satisfied, evaluated.Rating);
        steps++;

        var history = await gridWorker.GetOrderHistoryAsync(id);
        Assert.Equal(["file", "whistle", "acknowledge", "resolve", "evaluate"], history.Select(entry => entry.Action));
        Assert.Equal("sanitation", history.ElementAt(1).Details["departmentCode"]?.ToString());
        steps++;

        var conflict = await Assert.ThrowsAsync<ApiException<ActionNotPermittedProblem>>(() =>
            department.ResolveOrderAsync(id, null, null, new ResolveOrderBody { Result = "Again" }));
        Assert.Equal(409, conflict.StatusCode);
        Assert.Equal(OrderState.Closed, conflict.Result.State);
        Assert.NotNull(conflict.Result.TraceId);
        steps++;

        var stale = await Assert.ThrowsAsync<ApiException<StaleOrderProblem>>(() =>
            community.EvaluateOrderAsync(id, etag, null, new EvaluateOrderBody { Rating = Rating.Unsatisfied, Comment = "Overflowing again." }));
        Assert.Equal(evaluated.Version, stale.Result.CurrentVersion);
        steps++;

        // A 304 is no problem: NSwag reports it as its plain ApiException, with nothing to read.
        var summary = await supervisor.GetSummaryAsync(null, null, null, null, null, null, null);
        Assert.True(summary.Figures.DispatchedOrders >= 1);
        var tag = app.Exchanges.Last(e => e.Path == "/api/v1/stats/summary" && e.Status == 200).ResponseHeaders["ETag"];
        var notModified = await Assert.ThrowsAsync<ApiException>(() => supervisor.GetSummaryAsync(null, null, null, null, null, null, tag));
        Assert.Equal(304, notModified.StatusCode);
        steps++;

        using (var csv = await supervisor.GetSummaryCsvAsync(null, null, null, null, null, null))
        using (var reader = new StreamReader(csv.Stream))
        {
            Assert.Contains("dispatchedOrders", await reader.ReadToEndAsync(), StringComparison.Ordinal);
        }
        steps++;

        using var photo = new MemoryStream(Png());
        var withPhoto = await gridWorker.FileOrderWithPhotosAsync(null, [new FileParameter(photo, "bins.png", "image/png")], new FileOrderRequest
        {
            Title = "Overflowing bins at gate 3",
            Description = "The bins by gate 3 have not been emptied for three days.",
            CategoryCode = "garbage",
            GridCode = "ST01-C01-G01",
            Location = new FileOrderLocationRequest { Latitude = 40.8424, Longitude = 111.7492 },
        });
        Assert.Single(withPhoto.Photos);
        steps++;
        return steps;
    }

    /// <summary>A TypeScript module asserting each answer against its type; and how many combinations it covers.</summary>
    private static (string Program, int Combinations) AnswersProgram(IEnumerable<Exchange> exchanges)
    {
        var program = new StringBuilder("""
            // Written by GeneratorTests: every answer the tests' calls received, typed as openapi-typescript's types say.
            import type { paths } from "./generated/openapi-typescript/schema.js";

            type Responses<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { responses: infer R } ? R : never;
            type Body<P extends keyof paths, M extends keyof paths[P], S extends keyof Responses<P, M>, C extends string> =
              Responses<P, M>[S] extends { content: infer Content } ? (C extends keyof Content ? Content[C] : never) : never;

            """);
        var combinations = new HashSet<string>();
        var n = 0;
        foreach (var exchange in exchanges)
        {
            if (Contract.Committed.TemplateOf(exchange.Path) is not { } template)
            {
                continue;
            }
            var method = exchange.Method.ToLowerInvariant();
            var media = exchange.ResponseContentType;
            combinations.Add($"{method} {template} {exchange.Status} {media}");
            var p = JsonSerializer.Serialize(template);
            if (string.IsNullOrEmpty(exchange.ResponseBody) || media is null)
            {
                program.AppendLine($"export const a{n++}: keyof Responses<{p}, \"{method}\"> = {exchange.Status};");
            }
            else if (media is "application/json" or "application/problem+json" or "application/geo+json")
            {
                program.AppendLine($"export const a{n++}: Body<{p}, \"{method}\", {exchange.Status}, \"{media}\"> = {exchange.ResponseBody};");
            }
            else if (media.StartsWith("text/", StringComparison.Ordinal))
            {
                program.AppendLine($"export const a{n++}: Body<{p}, \"{method}\", {exchange.Status}, \"{media}\"> = {JsonSerializer.Serialize(exchange.ResponseBody)};");
            }
            else
            {
                program.AppendLine($"export const a{n++}: keyof Body<{p}, \"{method}\", {exchange.Status}, \"{media}\"> | string = \"binary\";");
            }
        }
        return (program.ToString(), combinations.Count);
    }

    private static byte[] Png()
    {
        using var image = new MagickImage(MagickColors.Teal, 64, 48) { Format = MagickFormat.Png };
        return image.ToByteArray();
    }
}
