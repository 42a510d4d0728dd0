using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Robustness;

/// <summary>
/// Text with a NUL character (U+0000), which PostgreSQL cannot store, is a 400 naming the field,
/// wherever the API takes text: every string in every request body and every query
/// parameter, as the committed document lists them (a new field is covered without a new test).
/// </summary>
public class NulCharacterTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    private readonly HttpClient _client = app.CreateClient();

    /// <summary>Each place the document says the API takes text: method, path, where, and the field the problem must name.</summary>
    public static TheoryData<string, string, string, string> PlacesTextGoes()
    {
        var document = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryRoot(), "openapi", "whistle.v1.json")))!;
        var places = new TheoryData<string, string, string, string>();
        foreach (var (path, operations) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in operations!.AsObject())
            {
                if (operation?["responses"] is null)
                {
                    continue;
                }
                foreach (var parameter in operation["parameters"]?.AsArray() ?? [])
                {
                    // (A NUL in the path never reaches the service: the server refuses the request line; see ProblemEverywhereTests.)
                    if (parameter!["in"]!.GetValue<string>() is "query" && parameter["$ref"] is null)
                    {
                        places.Add(method.ToUpperInvariant(), path, parameter["in"]!.GetValue<string>(), parameter["name"]!.GetValue<string>());
                    }
                }
                if (operation["requestBody"]?["content"]?["application/json"]?["schema"] is { } schema)
                {
                    foreach (var field in TextFields(document, schema, "", depth: 0))
                    {
                        places.Add(method.ToUpperInvariant(), path, "body", field);
                    }
                }
            }
        }
        return places;
    }

    [Theory]
    [MemberData(nameof(PlacesTextGoes))]
    public async Task Text_with_a_nul_character_is_a_400_naming_the_field(string method, string path, string where, string field)
    {
        var uri = Fill(path);
        if (where == "query")
        {
            uri += $"?{field}=before%00after";
        }
        var request = new HttpRequestMessage(new HttpMethod(method), uri);
        if (where == "body")
        {
            request.Content = new StringContent(BodyWithNulAt(field).ToJsonString(), Encoding.UTF8, "application/json");
        }

        var response = await _client.SendAsync(request);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{method} {uri} ({where} {field}): {(int)response.StatusCode} {text}");
        if (path.StartsWith("/open311/", StringComparison.Ordinal))
        {
            // Open311's paths name the field in Open311's own error list.
            Assert.Contains(response.Content.Headers.ContentType?.MediaType, new[] { "text/xml", "application/json" });
            Assert.Contains($"{field}: Text may not contain the NUL character", text);
            return;
        }
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Read<Problem>();
        Assert.Equal(400, problem.Status);
        var reported = where == "body" && field.EndsWith("[]", StringComparison.Ordinal) ? field[..^2] + "[0]" : field;
        Assert.Contains(reported, problem.Errors!.Keys);
    }

    [Fact]
    public async Task The_rule_is_said_in_the_answer_and_valid_requests_succeed_after_many_refusals()
    {
        var body = Filing.Valid();
        body["title"] = "Blocked\0drain";
        for (var i = 0; i < 10; i++)
        {
            var refused = await _client.Post("/api/v1/orders", body);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal(["Text may not contain the NUL character (U+0000)."], (await refused.Read<Problem>()).Errors!["title"]);
            Assert.Equal(HttpStatusCode.BadRequest, (await _client.GetAsync("/api/v1/grids?streetCode=%00")).StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, (await _client.GetAsync("/api/v1/orders?gridCode=ST01%00")).StatusCode);
        }

        for (var i = 0; i < 30; i++)
        {
            await _client.File();
        }
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/api/v1/grids?streetCode=ST01")).StatusCode);
        var page = await (await _client.GetAsync("/api/v1/orders?gridCode=ST01-C01-G01&limit=50")).Read<OrderPage>();
        Assert.Equal(30, page.Items.Length);
    }

    /// <summary>The request path with its parameters filled in; what they name need not exist.</summary>
    private static string Fill(string path)
    {
        foreach (var name in System.Text.RegularExpressions.Regex.Matches(path, "{([^}]+)}").Select(m => m.Groups[1].Value))
        {
            path = path.Replace($"{{{name}}}", name == "deliveryId" ? "1" : Guid.Empty.ToString(), StringComparison.Ordinal);
        }
        return path;
    }

    private static JsonObject BodyWithNulAt(string field)
    {
        var body = new JsonObject();
        var current = body;
        var parts = field.Split('.');
        for (var i = 0; i < parts.Length - 1; i++)
        {
            var next = new JsonObject();
            current[parts[i]] = next;
            current = next;
        }
        var last = parts[^1];
        current[last.TrimEnd('[', ']')] = last.EndsWith("[]", StringComparison.Ordinal) ? new JsonArray("before\0after") : "before\0after";
        return body;
    }

    /// <summary>The string fields of a body schema, nested ones as <c>location.address</c>, arrays of strings as <c>gridCodes[]</c>.</summary>
    private static IEnumerable<string> TextFields(JsonNode document, JsonNode schema, string prefix, int depth)
    {
        if (depth > 5)
        {
            yield break;
        }
        if (schema["$ref"]?.GetValue<string>() is { } reference)
        {
            var target = reference["#/".Length..].Split('/').Aggregate(document, (node, part) => node[part]!);
            foreach (var field in TextFields(document, target, prefix, depth + 1))
            {
                yield return field;
            }
            yield break;
        }
        foreach (var combinator in new[] { "oneOf", "anyOf", "allOf" })
        {
            foreach (var option in schema[combinator]?.AsArray() ?? [])
            {
                foreach (var field in TextFields(document, option!, prefix, depth + 1))
                {
                    yield return field;
                }
            }
        }
        if (schema["properties"] is JsonObject properties)
        {
            foreach (var (name, property) in properties)
            {
                foreach (var field in TextFields(document, property!, prefix.Length == 0 ? name : $"{prefix}.{name}", depth + 1))
                {
                    yield return field;
                }
            }
        }
        else if (prefix.Length > 0 && Types(schema).Contains("string"))
        {
            yield return prefix;
        }
        else if (prefix.Length > 0 && Types(schema).Contains("array") && schema["items"] is { } items && ItemsAreText(document, items))
        {
            yield return prefix + "[]";
        }
    }

    private static bool ItemsAreText(JsonNode document, JsonNode items) =>
        items["$ref"]?.GetValue<string>() is { } reference
            ? ItemsAreText(document, reference["#/".Length..].Split('/').Aggregate(document, (node, part) => node[part]!))
            : Types(items).Contains("string");

    private static string[] Types(JsonNode schema) => schema["type"] switch
    {
        JsonValue single => [single.GetValue<string>()],
        JsonArray several => [.. several.Select(t => t!.GetValue<string>())],
        _ => [],
    };

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Whistle.sln")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException("Whistle.sln not found above " + AppContext.BaseDirectory);
    }
}
