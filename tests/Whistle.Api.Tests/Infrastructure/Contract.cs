using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace Whistle.Api.Tests.Infrastructure;

/// <summary>
/// The committed OpenAPI document as a checker of real traffic: every exchange a test client makes
/// is held against its operation (path, parameters, headers, body; the response's status, headers,
/// content type and body) with a JSON Schema 2020-12 validator, the dialect of OpenAPI 3.1.
/// A request the document calls invalid may be refused (4xx); answered 2xx, the document is wrong.
/// </summary>
public sealed class Contract
{
    public static Contract Committed { get; } = new(File.ReadAllText(Path.Combine(Repository.Root, "openapi", "whistle.v1.json")));

    // Where the document's component schemas are registered, so that an operation's schema can refer to them.
    private const string Base = "https://whistle.test/openapi";

    // Response headers with a meaning for clients: sending one the document does not declare is a violation.
    private static readonly string[] MeaningfulResponseHeaders =
        ["ETag", "Location", "Retry-After", "WWW-Authenticate", "Idempotent-Replayed", "Cache-Control", "Content-Disposition"];

    // Request headers the API reads: sending one the operation does not declare is a violation.
    private static readonly string[] MeaningfulRequestHeaders = ["If-Match", "If-None-Match", "Idempotency-Key"];

    private readonly JsonObject _document;
    private readonly List<(string[] Segments, JsonObject Item)> _paths;
    private readonly BuildOptions _build = new() { SchemaRegistry = new SchemaRegistry() };
    // The registry is a plain dictionary: a build (which adds to it) excludes every other use, evaluations (which
    // look $refs up in it) share it. Test classes run in parallel; a build beside another corrupted it.
    private readonly ReaderWriterLockSlim _registry = new();
    private readonly ConcurrentDictionary<string, JsonSchema> _schemas = new();
    private static readonly EvaluationOptions Quick = new() { OutputFormat = OutputFormat.Flag, RequireFormatValidation = true };
    private static readonly EvaluationOptions Explained = new() { OutputFormat = OutputFormat.Hierarchical, RequireFormatValidation = true };

    // What the service serves besides the API, and the document leaves out on purpose (the README says why).
    private static readonly string[] OutsideTheApi = ["/swagger/", "/openapi/", "/dashboard/", "/results/"];

    public Contract(string document)
    {
        _document = JsonNode.Parse(document)!.AsObject();
        _paths = _document["paths"]!.AsObject()
            .Select(p => (p.Key.Trim('/').Split('/'), p.Value!.AsObject()))
            .ToList();
        var definitions = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = Base,
            ["$defs"] = Rebase(_document["components"]?["schemas"] ?? new JsonObject()),
        };
        JsonSchema.Build(JsonSerializer.SerializeToElement(definitions), _build);
    }

    /// <summary>Each failure in one exchange, in words; none when it conforms.</summary>
    public IReadOnlyList<string> Check(Exchange exchange)
    {
        var violations = new List<string>();
        if (OutsideTheApi.Any(prefix => exchange.Path.StartsWith(prefix, StringComparison.Ordinal)))
        {
            return violations;
        }
        var (path, item, pathValues) = Find(exchange.Path);
        var method = exchange.Method.ToLowerInvariant();
        if (item?[method] is not JsonObject operation)
        {
            // Asking for what the document does not offer is fine, when the answer is a problem that says so.
            if (exchange.Status is not (404 or 405) || exchange.ResponseContentType != "application/problem+json")
            {
                violations.Add($"{exchange.Method} {exchange.Path} is not an operation of the document, and was answered {exchange.Status} {exchange.ResponseContentType}.");
            }
            return violations;
        }
        var parameters = (item["parameters"]?.AsArray() ?? []).Concat(operation["parameters"]?.AsArray() ?? [])
            .Select(p => Resolve(p!).AsObject()).ToList();
        var refusable = CheckRequest(exchange, operation, parameters, pathValues);
        var where = $"{exchange.Method} {path} → {exchange.Status}";

        var responses = operation["responses"]!.AsObject();
        var response = responses[exchange.Status.ToString()] ?? responses[$"{exchange.Status / 100}XX"] ?? responses["default"];
        if (response is null)
        {
            violations.Add($"{where}: the status is not documented (documented: {string.Join(", ", responses.Select(r => r.Key))}).");
            return violations;
        }
        if (exchange.Status is >= 200 and < 300 && refusable.Count > 0)
        {
            violations.AddRange(refusable.Select(r => $"{where}: the service accepted a request the document calls invalid: {r}"));
        }
        response = Resolve(response);
        CheckResponseHeaders(exchange, response.AsObject(), where, violations);
        CheckResponseBody(exchange, response.AsObject(), where, violations);
        return violations;
    }

    /// <summary>Each failure of a request the service sent to a subscriber, against the document's <c>webhooks</c>.</summary>
    public IReadOnlyList<string> CheckWebhook(string name, IReadOnlyDictionary<string, string> headers, string body)
    {
        if (_document["webhooks"]?[name]?["post"] is not JsonObject operation)
        {
            return [$"The document describes no webhook '{name}'."];
        }
        var parameters = (operation["parameters"]?.AsArray() ?? []).Select(p => Resolve(p!).AsObject()).ToList();
        var exchange = new Exchange("POST", "/", [], headers, "application/json", body, 200, headers, null, null);
        return CheckRequest(exchange, operation, parameters, []).Select(p => $"webhook {name}: {p}").ToList();
    }

    /// <summary>What makes the request invalid by the document (the service may refuse it, not accept it).</summary>
    private List<string> CheckRequest(Exchange exchange, JsonObject operation, List<JsonObject> parameters, Dictionary<string, string> pathValues)
    {
        var problems = new List<string>();
        foreach (var parameter in parameters)
        {
            var name = parameter["name"]!.GetValue<string>();
            var location = parameter["in"]!.GetValue<string>();
            var required = parameter["required"]?.GetValue<bool>() ?? false;
            string[] values = location switch
            {
                "path" => pathValues.TryGetValue(name, out var v) ? [v] : [],
                "query" => exchange.Query.Where(q => q.Key == name).Select(q => q.Value).ToArray(),
                "header" => exchange.RequestHeaders.TryGetValue(name, out var h) ? [h] : [],
                _ => [],
            };
            if (values.Length == 0 && required)
            {
                problems.Add($"the {location} parameter '{name}' is required.");
            }
            if (parameter["schema"] is { } schema)
            {
                foreach (var value in values)
                {
                    var errors = Validate(schema, Scalar(value, schema));
                    problems.AddRange(errors.Select(e => $"the {location} parameter '{name}' = '{value}': {e}"));
                }
            }
        }
        foreach (var (name, _) in exchange.Query.Where(q => !parameters.Any(p => Is(p, "query", q.Key))))
        {
            problems.Add($"the query parameter '{name}' is not documented.");
        }
        foreach (var name in MeaningfulRequestHeaders.Where(h => exchange.RequestHeaders.ContainsKey(h) && !parameters.Any(p => Is(p, "header", h))))
        {
            problems.Add($"the header '{name}' is not documented for this operation.");
        }

        var body = operation["requestBody"] is { } b ? Resolve(b).AsObject() : null;
        if (exchange.RequestBody is null or "")
        {
            if (body?["required"]?.GetValue<bool>() == true)
            {
                problems.Add("the body is required.");
            }
            return problems;
        }
        if (body is null)
        {
            problems.Add("the operation takes no body.");
            return problems;
        }
        var mediaType = exchange.RequestContentType ?? "";
        if (body["content"]?[mediaType] is not JsonObject media)
        {
            problems.Add($"the content type '{mediaType}' is not documented for the body.");
            return problems;
        }
        if (IsJson(mediaType) && media["schema"] is { } bodySchema)
        {
            if (!TryParse(exchange.RequestBody, out var json))
            {
                problems.Add("the body is not JSON.");
            }
            else
            {
                problems.AddRange(Validate(bodySchema, json).Select(e => $"body: {e}"));
            }
        }
        return problems;
    }

    private void CheckResponseHeaders(Exchange exchange, JsonObject response, string where, List<string> violations)
    {
        var declared = response["headers"]?.AsObject() ?? [];
        foreach (var name in MeaningfulResponseHeaders)
        {
            var documented = declared.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
            var sent = exchange.ResponseHeaders.TryGetValue(name, out var value);
            if (sent && documented is null)
            {
                violations.Add($"{where}: the header '{name}' is sent but not documented.");
            }
        }
        foreach (var (name, header) in declared)
        {
            var resolved = Resolve(header!).AsObject();
            if (!exchange.ResponseHeaders.TryGetValue(name, out var value))
            {
                if (resolved["required"]?.GetValue<bool>() == true)
                {
                    violations.Add($"{where}: the required header '{name}' is missing.");
                }
                continue;
            }
            if (resolved["schema"] is { } schema)
            {
                violations.AddRange(Validate(schema, Scalar(value, schema)).Select(e => $"{where}: header '{name}' = '{value}': {e}"));
            }
        }
    }

    private void CheckResponseBody(Exchange exchange, JsonObject response, string where, List<string> violations)
    {
        var content = response["content"]?.AsObject();
        if (string.IsNullOrEmpty(exchange.ResponseBody))
        {
            if (content is { Count: > 0 } && exchange.Status != 304)
            {
                violations.Add($"{where}: the body is empty, the document promises {string.Join(" or ", content.Select(c => c.Key))}.");
            }
            return;
        }
        var mediaType = exchange.ResponseContentType ?? "";
        if (content?[mediaType] is not JsonObject media)
        {
            violations.Add($"{where}: the content type '{mediaType}' is not documented (documented: {string.Join(", ", content?.Select(c => c.Key) ?? [])}).");
            return;
        }
        if (IsJson(mediaType) && media["schema"] is { } schema)
        {
            if (!TryParse(exchange.ResponseBody, out var json))
            {
                violations.Add($"{where}: the body is not JSON.");
                return;
            }
            violations.AddRange(Validate(schema, json).Select(e => $"{where}: body: {e}"));
        }
    }

    private IEnumerable<string> Validate(JsonNode schemaNode, JsonNode? instance)
    {
        var text = schemaNode.ToJsonString();
        var schema = _schemas.GetOrAdd(text, _ =>
        {
            _registry.EnterWriteLock();
            try
            {
                return JsonSchema.Build(JsonSerializer.SerializeToElement(Rebase(JsonNode.Parse(text)!)), _build);
            }
            finally
            {
                _registry.ExitWriteLock();
            }
        });
        var element = JsonSerializer.SerializeToElement(instance);
        _registry.EnterReadLock();
        try
        {
            if (schema.Evaluate(element, Quick).IsValid)
            {
                return [];
            }
            var failures = Failures(schema.Evaluate(element, Explained)).Distinct().Take(10).ToList();
            return failures.Count > 0 ? failures : ["does not match its schema."];
        }
        finally
        {
            _registry.ExitReadLock();
        }
    }

    // The errors of failing evaluations only: a oneOf branch that failed while the oneOf held is no failure.
    private static IEnumerable<string> Failures(EvaluationResults result)
    {
        if (result.IsValid)
        {
            yield break;
        }
        foreach (var (_, message) in result.Errors ?? new Dictionary<string, string>())
        {
            var at = result.InstanceLocation.ToString();
            yield return $"{(at.Length == 0 ? "/" : at)} {message} (at {result.EvaluationPath})";
        }
        foreach (var failure in (result.Details ?? []).SelectMany(Failures))
        {
            yield return failure;
        }
    }

    /// <summary>The document's path template a request's path falls under (/api/v1/orders/{id}), or null when none.</summary>
    public string? TemplateOf(string path) => Find(path) is (var template, not null, _) ? template : null;

    private (string Path, JsonObject? Item, Dictionary<string, string> Values) Find(string path)
    {
        var segments = path.Trim('/').Split('/').Select(Uri.UnescapeDataString).ToArray();
        // A literal segment wins over a template one (/orders/nearby before /orders/{id}).
        foreach (var (template, item) in _paths.Where(p => p.Segments.Length == segments.Length)
                     .OrderBy(p => p.Segments.Count(s => s.StartsWith('{'))))
        {
            var values = new Dictionary<string, string>();
            var matches = true;
            for (var i = 0; i < segments.Length && matches; i++)
            {
                if (template[i].StartsWith('{') && template[i].EndsWith('}'))
                {
                    values[template[i][1..^1]] = segments[i];
                }
                // A parameter with a literal suffix, as Open311's {id}.xml.
                else if (template[i].StartsWith('{') && template[i].IndexOf('}') is var close and > 0
                    && template[i][(close + 1)..] is { Length: > 0 } suffix && segments[i].EndsWith(suffix, StringComparison.Ordinal)
                    && segments[i].Length > suffix.Length)
                {
                    values[template[i][1..close]] = segments[i][..^suffix.Length];
                }
                else
                {
                    matches = template[i] == segments[i];
                }
            }
            if (matches)
            {
                return ("/" + string.Join('/', template), item, values);
            }
        }
        return (path, null, []);
    }

    private JsonNode Resolve(JsonNode node)
    {
        while (node is JsonObject o && o["$ref"]?.GetValue<string>() is { } reference && reference.StartsWith("#/", StringComparison.Ordinal))
        {
            node = reference[2..].Split('/').Aggregate((JsonNode)_document, (n, segment) => n[segment.Replace("~1", "/").Replace("~0", "~")]!);
        }
        return node;
    }

    /// <summary>A parameter's text as the JSON value its schema types it as (an integer parameter's "5" is 5).</summary>
    private JsonNode? Scalar(string value, JsonNode schema)
    {
        var types = Resolve(schema)["type"] switch
        {
            JsonArray array => array.Select(t => t!.GetValue<string>()).ToArray(),
            JsonValue single => [single.GetValue<string>()],
            _ => [],
        };
        if ((types.Contains("integer") || types.Contains("number")) && double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out _)
            && TryParse(value, out var number))
        {
            return number;
        }
        if (types.Contains("boolean") && value is "true" or "false")
        {
            return JsonValue.Create(value == "true");
        }
        return JsonValue.Create(value);
    }

    private static bool Is(JsonObject parameter, string location, string name) =>
        parameter["in"]?.GetValue<string>() == location &&
        string.Equals(parameter["name"]?.GetValue<string>(), name, location == "header" ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    private static bool IsJson(string mediaType) => mediaType == "application/json" || mediaType.EndsWith("+json", StringComparison.Ordinal);

    private static bool TryParse(string text, out JsonNode? json)
    {
        try
        {
            json = JsonNode.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            json = null;
            return false;
        }
    }

    private static JsonNode Rebase(JsonNode schema) =>
        JsonNode.Parse(schema.ToJsonString().Replace("\"#/components/schemas/", $"\"{Base}#/$defs/"))!;
}

/// <summary>One request and its response, as the checker reads them.</summary>
public sealed record Exchange(
    string Method, string Path, IReadOnlyList<KeyValuePair<string, string>> Query, IReadOnlyDictionary<string, string> RequestHeaders,
    string? RequestContentType, string? RequestBody, int Status, IReadOnlyDictionary<string, string> ResponseHeaders,
    string? ResponseContentType, string? ResponseBody)
{
    public static async Task<Exchange> ReadAsync(HttpRequestMessage request, string? requestBody, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri!;
        var query = uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .Select(p => KeyValuePair.Create(Uri.UnescapeDataString(p[0].Replace('+', ' ')), p.Length > 1 ? Uri.UnescapeDataString(p[1].Replace('+', ' ')) : ""))
            .ToList();
        var responseBody = await response.Content.ReadAsStringAsync(cancellationToken);
        return new Exchange(
            request.Method.Method, uri.AbsolutePath, query, Headers(request.Headers, null), request.Content?.Headers.ContentType?.MediaType,
            requestBody, (int)response.StatusCode, Headers(response.Headers, response.Content.Headers), response.Content.Headers.ContentType?.MediaType,
            responseBody);
    }

    private static Dictionary<string, string> Headers(HttpHeaders headers, HttpHeaders? more) =>
        headers.Concat(more ?? (IEnumerable<KeyValuePair<string, IEnumerable<string>>>)[])
            .GroupBy(h => h.Key, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => string.Join(", ", g.SelectMany(h => h.Value)), StringComparer.OrdinalIgnoreCase);
}

/// <summary>
/// Sits in every test client: an exchange that breaks the committed document fails the test that made
/// it, at the call, with every violation in words.
/// </summary>
public sealed class ContractCheckingHandler(Contract contract) : DelegatingHandler
{
    private static readonly Lock ReportLock = new();

    /// <summary>Told of every exchange (the client tests type-check the answers against a generator's types).</summary>
    public Action<Exchange>? Seen { get; init; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var requestBody = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        var response = await base.SendAsync(request, cancellationToken);
        await response.Content.LoadIntoBufferAsync(cancellationToken);
        var exchange = await Exchange.ReadAsync(request, requestBody, response, cancellationToken);
        Seen?.Invoke(exchange);
        // WHISTLE_CONTRACT_RECORD=file keeps every exchange of a run, one JSON line each, for the client tests to type-check.
        if (Environment.GetEnvironmentVariable("WHISTLE_CONTRACT_RECORD") is { Length: > 0 } record)
        {
            lock (ReportLock)
            {
                File.AppendAllText(record, JsonSerializer.Serialize(exchange) + "\n");
            }
        }
        var violations = contract.Check(exchange);
        if (violations.Count > 0)
        {
            // While mending the document, WHISTLE_CONTRACT_REPORT=file lists every violation of a whole run instead.
            if (Environment.GetEnvironmentVariable("WHISTLE_CONTRACT_REPORT") is { Length: > 0 } report)
            {
                lock (ReportLock)
                {
                    File.AppendAllLines(report, violations);
                }
                return response;
            }
            throw new ContractViolationException(violations);
        }
        return response;
    }
}

public sealed class ContractViolationException(IReadOnlyList<string> violations)
    : Exception("The exchange breaks openapi/whistle.v1.json:\n- " + string.Join("\n- ", violations))
{
    public IReadOnlyList<string> Violations { get; } = violations;
}

public static class Repository
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Whistle.sln")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException("Whistle.sln not found above " + AppContext.BaseDirectory);
    }
}
