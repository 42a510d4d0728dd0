using System.Text;
using System.Text.Json.Nodes;

namespace Whistle.Api.Tests.Fuzzing;

/// <summary>One malformed request: what it breaks, and whether it waits for a fix being made elsewhere.</summary>
public sealed record FuzzRequest(
    string Operation, HttpMethod Method, string Url, byte[]? Body, string? ContentType,
    IReadOnlyList<KeyValuePair<string, string>> Headers, string What, bool ReplacesCredential = false)
{
    /// <summary>
    /// Inputs PostgreSQL or the period parser refuse today (a NUL character, a year at the edge of the
    /// calendar): once 500s (PostgreSQL refuses NUL; the period parser overflowed), kept in a test of their own.
    /// </summary>
    public bool ReachesStoreOrCalendar { get; init; }

    /// <summary>A valid request, sent again once it succeeded: acting a second time must not break what the first did.</summary>
    public bool Repeat { get; init; }

    /// <summary>The class of input it belongs to (body, multipart, parameter, header, repeat), for the report.</summary>
    public string Class { get; init; } = "";

    public override string ToString() => $"{Method} {Shorten(Url)} [{What}]";

    private static string Shorten(string text) => text.Length <= 160 ? text : text[..160] + $"…({text.Length} chars)";
}

/// <summary>The real ids a request may name, so that what is malformed is only what the case breaks.</summary>
/// <param name="Ids">Real ids and codes by the path's resource (photos, streets, categories, catalogue, calendar, parts…).</param>
/// <param name="Image">A small image that processing accepts, for multipart file parts.</param>
/// <param name="Workbook">A workbook that imports, for the reference import's file part.</param>
public sealed record FuzzTargets(
    IReadOnlyList<string> OrderIds, string WebhookId, string DeliveryId, string CredentialId,
    IReadOnlyDictionary<string, string> ValidBodies, IReadOnlyDictionary<string, string[]> Ids, byte[] Image, byte[] Workbook);

/// <summary>
/// Reads the committed OpenAPI document and, for every operation in it, makes requests that break
/// one thing each: the body (not JSON, each property of the wrong type, null, missing, huge, with a
/// NUL, an unknown enum value), the content type, each path and query parameter, and the headers
/// a client sends (If-Match, If-None-Match, Idempotency-Key, Accept, the credential).
/// </summary>
public sealed partial class DocumentFuzzer(JsonNode document, FuzzTargets targets, Random random)
{
    private const string Json = "application/json";
    private static readonly string Huge = new('x', 100_000);
    private static readonly string Deep = new string('[', 5_000) + new string(']', 5_000);

    public IEnumerable<FuzzRequest> Requests()
    {
        var repeats = new List<FuzzRequest>();
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operationNode) in item!.AsObject())
            {
                if (method is "parameters" or "summary" or "description" or "servers")
                {
                    continue;
                }
                var operation = new Operation(
                    operationNode!["operationId"]?.GetValue<string>() ?? $"{method} {path}", HttpMethod.Parse(method), path, operationNode,
                    Parameters(item, operationNode).ToList(), BodySchema(operationNode), MultipartSchema(operationNode));
                foreach (var request in BodyCases(operation).Select(r => r with { Class = "body" })
                    .Concat(MultipartCases(operation).Select(r => r with { Class = "multipart part" }))
                    .Concat(ParameterCases(operation).Select(r => r with { Class = "parameter" }))
                    .Concat(HeaderCases(operation).Select(r => r with { Class = "header" })))
                {
                    yield return request;
                }
                if (RepeatCase(operation) is { } repeat)
                {
                    repeats.Add(repeat);
                }
            }
        }
        // Last, as they change what the malformed requests aim at (a webhook deleted, a credential revoked).
        foreach (var repeat in repeats)
        {
            yield return repeat;
        }
    }

    /// <summary>The operation's valid request, to be sent twice: a change that succeeded, asked for again.</summary>
    private FuzzRequest? RepeatCase(Operation operation)
    {
        if (operation.Method == HttpMethod.Get || operation.Path.StartsWith("/health", StringComparison.Ordinal))
        {
            return null;
        }
        var (body, contentType) = operation.Body is not null ? (Body(ValidBody(operation)), Json)
            : operation.Multipart is not null ? (Multipart(ValidParts(operation)), MultipartType)
            : ((byte[]?)null, (string?)null);
        return Send(operation, "the valid request, twice", body, contentType) with { Repeat = true, Class = "repeat after success" };
    }

    private sealed record Operation(
        string Id, HttpMethod Method, string Path, JsonNode Node, List<JsonObject> Parameters, JsonObject? Body, JsonObject? Multipart);

    // ---- bodies -------------------------------------------------------------------------------

    private IEnumerable<FuzzRequest> BodyCases(Operation operation)
    {
        if (operation.Body is null)
        {
            // An operation that takes no body (or only a multipart one) is sent a JSON one anyway.
            yield return Send(operation, "an unexpected body", body: Encoding.UTF8.GetBytes("{\"x\":"), contentType: Json);
            yield break;
        }

        foreach (var (what, raw) in new[]
        {
            ("an empty body", ""), ("truncated JSON", "{\"title\":"), ("an unclosed array", "["), ("JSON null", "null"),
            ("a number", "123"), ("a string", "\"text\""), ("an array", "[]"), ("an empty object", "{}"),
            ("two documents", "{}{}"), ("a comment", "{/* c */}"), ("a trailing comma", "{\"a\":1,}"),
            ("single quotes", "{'a':1}"), ("nesting beyond any limit", Deep), ("a number beyond double", "{\"a\":1e400}"),
        })
        {
            yield return Send(operation, what, body: Encoding.UTF8.GetBytes(raw), contentType: Json);
        }
        yield return Send(operation, "bytes that are not UTF-8", body: [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xFF, 0xFE, 0x22, 0x7D], contentType: Json);
        yield return Send(operation, "no body at all", body: null, contentType: null);

        var valid = ValidBody(operation);
        var validBytes = Encoding.UTF8.GetBytes(valid.ToJsonString());
        foreach (var contentType in new[]
        {
            "text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
            "application/json; charset=utf-16", "application/json; charset=no-such-charset", "garbage", "*/*",
        })
        {
            yield return Send(operation, $"Content-Type: {contentType}", body: validBytes, contentType: contentType);
        }
        yield return Send(operation, "no Content-Type", body: validBytes, contentType: null);

        var withUnknown = valid.DeepClone().AsObject();
        withUnknown["noSuchProperty"] = "?";
        yield return Send(operation, "an unknown property", Body(withUnknown), Json);

        foreach (var (pointer, schema, required) in Properties(operation.Body, ""))
        {
            foreach (var (what, value) in Mutations(schema))
            {
                var mutated = valid.DeepClone().AsObject();
                Set(mutated, pointer, value);
                yield return Send(operation, $"{pointer} {what}", Body(mutated), Json) with { ReachesStoreOrCalendar = ContainsNul(value) };
            }
            var without = valid.DeepClone().AsObject();
            Remove(without, pointer);
            yield return Send(operation, $"{pointer} missing{(required ? " (required)" : "")}", Body(without), Json);
        }
    }

    // ---- multipart bodies ---------------------------------------------------------------------

    private const string Boundary = "fuzz-boundary-7d3";
    private const string MultipartType = "multipart/form-data; boundary=" + Boundary;

    private sealed record Part(string Name, byte[] Content, string? ContentType = null, string? FileName = null, string? Disposition = null);

    /// <summary>The parts that would pass: each the schema names, a file that processing accepts, the JSON part valid.</summary>
    private List<Part> ValidParts(Operation operation)
    {
        var parts = new List<Part>();
        foreach (var (name, property) in operation.Multipart!["properties"]?.AsObject() ?? [])
        {
            var schema = Resolve(property!);
            var types = Types(schema);
            if (types.Contains("array") || schema["format"]?.GetValue<string>() == "binary")
            {
                parts.Add(operation.Id == "ImportReference"
                    ? new Part(name, targets.Workbook, "application/octet-stream", "reference.xlsx")
                    : new Part(name, targets.Image, "image/png", "photo.png"));
            }
            else if (types.Contains("object"))
            {
                var json = operation.Body is not null ? ValidBody(operation) : (JsonObject)Sample(schema);
                parts.Add(new Part(name, Body(json), "application/json"));
            }
            else
            {
                parts.Add(new Part(name, Encoding.UTF8.GetBytes(Sample(schema).GetValue<string>())));
            }
        }
        return parts;
    }

    /// <summary>
    /// A multipart body broken one part at a time (missing, twice, empty, with NUL, huge, of another type, its file
    /// name hostile), its JSON part broken as a JSON body is, and its framing broken (no boundary, too many parts…).
    /// </summary>
    private IEnumerable<FuzzRequest> MultipartCases(Operation operation)
    {
        if (operation.Multipart is null)
        {
            yield break;
        }
        var valid = ValidParts(operation);
        FuzzRequest With(string what, IEnumerable<Part> parts, string contentType = MultipartType) =>
            Send(operation, what, Multipart(parts), contentType) with { ReachesStoreOrCalendar = false };
        List<Part> Replace(Part part, params Part[] with) => [.. valid.TakeWhile(p => p != part), .. with, .. valid.SkipWhile(p => p != part).Skip(1)];

        yield return With("the valid parts", valid);
        foreach (var part in valid)
        {
            yield return With($"part {part.Name} missing", Replace(part));
            yield return With($"part {part.Name} twice", Replace(part, part, part));
            yield return With($"part {part.Name} empty", Replace(part, part with { Content = [] }));
            yield return With($"part {part.Name} with a NUL", Replace(part, part with { Content = [.. part.Content.Take(1), 0, .. part.Content.Skip(1)] }));
            yield return With($"part {part.Name} of 300 kB", Replace(part, part with { Content = Encoding.UTF8.GetBytes(new string('x', 300_000)) }));
            yield return With($"part {part.Name} as text/html", Replace(part, part with { ContentType = "text/html" }));
            yield return With($"part {part.Name} as JSON in UTF-16", Replace(part, part with { ContentType = "application/json; charset=utf-16" }));
            yield return With($"part {part.Name} with a file name with a NUL", Replace(part, part with { FileName = "photo\0.png" }));
            yield return With($"part {part.Name} with a path as its file name", Replace(part, part with { FileName = "../../etc/passwd" }));
            yield return With($"part {part.Name} with a 2,000-character file name", Replace(part, part with { FileName = new string('f', 2_000) + ".png" }));
            yield return With($"part {part.Name} not an image nor a workbook", Replace(part, part with { Content = "<html><script>alert(1)</script></html>"u8.ToArray() }));
            if (part.ContentType == "application/json" && operation.Body is not null)
            {
                // The JSON part broken as the JSON body is: every member, every wrong type, null everywhere.
                var json = ValidBody(operation);
                foreach (var (pointer, schema, _) in Properties(operation.Body, ""))
                {
                    foreach (var (what, value) in Mutations(schema))
                    {
                        var mutated = json.DeepClone().AsObject();
                        Set(mutated, pointer, value);
                        yield return With($"part {part.Name} {pointer} {what}", Replace(part, part with { Content = Body(mutated) }));
                    }
                }
                foreach (var (what, raw) in new[] { ("JSON null", "null"), ("not JSON", "{\"title\":"), ("an array", "[]"), ("a string", "\"x\"") })
                {
                    yield return With($"part {part.Name} {what}", Replace(part, part with { Content = Encoding.UTF8.GetBytes(raw) }));
                }
            }
        }
        yield return With("40 parts", [.. valid, .. Enumerable.Range(0, 40).Select(i => new Part($"extra{i}", "x"u8.ToArray()))]);
        yield return With("11 file parts", [.. valid, .. Enumerable.Repeat(valid.First(), 11)]);
        yield return With("a part name with a NUL", [.. valid, new Part("na\0me", "x"u8.ToArray())]);
        yield return With("a part without Content-Disposition", [.. valid, new Part("x", "x"u8.ToArray(), Disposition: "")]);
        yield return With("a part with a disposition other than form-data", [.. valid, new Part("x", "x"u8.ToArray(), Disposition: "attachment; name=\"x\"")]);
        yield return With("a nested multipart part", [.. valid, new Part("nested", Multipart(valid), MultipartType)]);
        yield return With("no boundary in the Content-Type", valid, "multipart/form-data");
        yield return With("a boundary the body does not use", valid, "multipart/form-data; boundary=other");
        yield return With("a boundary of 300 characters", valid, "multipart/form-data; boundary=" + new string('b', 300));
        yield return With("multipart/mixed", valid, "multipart/mixed; boundary=" + Boundary);
        var body = Multipart(valid);
        yield return Send(operation, "a body cut before its closing boundary", body[..^(Boundary.Length + 6)], MultipartType);
        yield return Send(operation, "a body cut in its first part", body[..Math.Min(body.Length, 120)], MultipartType);
        yield return Send(operation, "a closing boundary only", Encoding.ASCII.GetBytes($"--{Boundary}--\r\n"), MultipartType);
        yield return Send(operation, "CRLFs only", Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("\r\n", 5_000))), MultipartType);
        yield return Send(operation, "a part header of 20,000 bytes",
            Encoding.ASCII.GetBytes($"--{Boundary}\r\nContent-Disposition: form-data; name=\"x\"\r\nX-Big: {new string('h', 20_000)}\r\n\r\nx\r\n--{Boundary}--\r\n"), MultipartType);
    }

    /// <summary>A body that would pass: the test's own for this operation, or the document's example, or one made from the schema.</summary>
    private JsonObject ValidBody(Operation operation) =>
        targets.ValidBodies.TryGetValue(operation.Id, out var known) ? JsonNode.Parse(known)!.AsObject()
        : operation.Body!["examples"] is JsonArray { Count: > 0 } examples ? examples[0]!.DeepClone().AsObject()
        : (JsonObject)Sample(operation.Body);

    private IEnumerable<(string Pointer, JsonObject Schema, bool Required)> Properties(JsonObject schema, string prefix)
    {
        var required = (schema["required"] as JsonArray)?.Select(r => r!.GetValue<string>()).ToHashSet() ?? [];
        foreach (var (name, property) in schema["properties"]?.AsObject() ?? [])
        {
            var resolved = Resolve(property!);
            var pointer = prefix.Length == 0 ? name : $"{prefix}.{name}";
            yield return (pointer, resolved, required.Contains(name));
            if (Types(resolved).Contains("object"))
            {
                foreach (var nested in Properties(resolved, pointer))
                {
                    yield return nested;
                }
            }
            else if (Types(resolved).Contains("array") && resolved["items"] is { } items && Resolve(items) is var item && Types(item).Contains("object"))
            {
                // Into the array's first item: the item itself (null, of the wrong type), then each of its members.
                yield return ($"{pointer}[0]", item, false);
                foreach (var nested in Properties(item, $"{pointer}[0]"))
                {
                    yield return nested;
                }
            }
        }
    }

    private IEnumerable<FuzzRequest> ParameterCases(Operation operation)
    {
        // Only the parameter is wrong: the body is one that would pass.
        var body = operation.Body is null ? null : Body(ValidBody(operation));
        var contentType = body is null ? null : Json;
        foreach (var parameter in operation.Parameters)
        {
            var name = parameter["name"]!.GetValue<string>();
            var location = parameter["in"]!.GetValue<string>();
            var types = Types(Resolve(parameter["schema"] ?? new JsonObject()));
            if (location == "path")
            {
                foreach (var (what, raw) in BadPathValues())
                {
                    yield return Send(operation, $"path {name} {what}", body, contentType, paths: new() { [name] = raw });
                }
            }
            else if (location == "query")
            {
                foreach (var (what, raw) in BadQueryValues(name, types))
                {
                    var awaits = raw.Contains("%00", StringComparison.Ordinal) || IsCalendarEdge(operation, name, raw);
                    yield return Send(operation, $"query {name} {what}", body, contentType, query: $"{name}={raw}") with { ReachesStoreOrCalendar = awaits };
                }
                yield return Send(operation, $"query {name} twice", body, contentType, query: $"{name}=1&{name}=2");
            }
        }
        yield return Send(operation, "an unknown query parameter", body, contentType, query: "noSuchParameter=1");
    }

    private IEnumerable<FuzzRequest> HeaderCases(Operation operation)
    {
        var body = operation.Body is null ? null : Body(ValidBody(operation));
        FuzzRequest With(string what, string header, string value, bool replacesCredential = false) =>
            Send(operation, what, body, body is null ? null : Json, headers: [new(header, value)]) with { ReplacesCredential = replacesCredential };

        foreach (var value in new[] { "garbage", "\"", "W/\"1\"", "\"1\"garbage", ",", "\"-1\"", "\"99999999999999999999\"", "*, \"1\"", "\"" + new string('9', 8_000) + "\"" })
        {
            yield return With($"If-Match: {value}", "If-Match", value);
        }
        if (operation.Method == HttpMethod.Get)
        {
            foreach (var value in new[] { "garbage", "\"", "W/", "*", "\"stale\", W/\"x\"", "\"" + new string('9', 8_000) + "\"" })
            {
                yield return With($"If-None-Match: {value}", "If-None-Match", value);
            }
        }
        foreach (var value in new[] { "", " ", new string('k', 256), "a b", "\"quoted\"", "tab\there", "del\u007f" })
        {
            yield return With($"Idempotency-Key: {value}", "Idempotency-Key", value);
        }
        foreach (var value in new[] { "application/xml", "text/html", "image/png", "garbage/", "application/json;q=0" })
        {
            yield return With($"Accept: {value}", "Accept", value);
        }
        foreach (var (header, value) in new[]
        {
            ("X-Api-Key", "wk_" + new string('A', 43)), ("X-Api-Key", "not-a-key"), ("X-Api-Key", ""), ("X-Api-Key", "wk_" + new string('A', 5_000)),
            ("Authorization", "Bearer garbage"), ("Authorization", "Bearer wk_" + new string('A', 43)), ("Authorization", "Bearer a.b.c"),
            ("Authorization", "Basic Zm9vOmJhcg=="), ("Authorization", "Bearer"),
        })
        {
            yield return With($"{header}: {(value.Length > 50 ? value[..50] + "…" : value)} instead of the credential", header, value, replacesCredential: true);
        }
    }

    // ---- requests -----------------------------------------------------------------------------

    private FuzzRequest Send(
        Operation operation, string what, byte[]? body = null, string? contentType = null,
        Dictionary<string, string>? paths = null, string? query = null, List<KeyValuePair<string, string>>? headers = null)
    {
        var url = operation.Path;
        foreach (var parameter in operation.Parameters.Where(p => p["in"]!.GetValue<string>() == "path"))
        {
            var name = parameter["name"]!.GetValue<string>();
            var value = paths is not null && paths.TryGetValue(name, out var raw) ? raw : Uri.EscapeDataString(RealId(operation.Path, name));
            url = url.Replace("{" + name + "}", value, StringComparison.Ordinal);
        }
        if (query is not null)
        {
            url += "?" + query;
        }
        return new FuzzRequest(operation.Id, operation.Method, url, body, contentType, headers ?? [], what);
    }

    /// <summary>A real id for the path's resource, so that what is malformed is only what the case breaks (a year for the calendar, a code for a street).</summary>
    private string RealId(string path, string name)
    {
        var resource = name == "departmentCode" ? "parts" : path.Split('/') is { Length: > 3 } segments ? segments[3] : "";
        return (path, name) switch
        {
            (_, "deliveryId") => targets.DeliveryId,
            _ when resource == "webhooks" => targets.WebhookId,
            _ when resource == "credentials" => targets.CredentialId,
            _ when targets.Ids.TryGetValue(resource, out var ids) => ids[random.Next(ids.Length)],
            _ => targets.OrderIds[random.Next(targets.OrderIds.Count)],
        };
    }

    // JSON may escape half a surrogate pair (\ud800) though no .NET writer will: a marker, swapped after writing.
    private const string LoneSurrogate = "\u0001lone surrogate\u0001";

    private JsonObject? BodySchema(JsonNode operation) =>
        operation["requestBody"]?["content"]?[Json]?["schema"] is { } schema ? Resolve(schema) : null;

    private JsonObject? MultipartSchema(JsonNode operation) =>
        operation["requestBody"]?["content"]?["multipart/form-data"]?["schema"] is { } schema ? Resolve(schema) : null;

    private IEnumerable<JsonObject> Parameters(JsonNode pathItem, JsonNode operation) =>
        (pathItem["parameters"] as JsonArray ?? []).Concat(operation["parameters"] as JsonArray ?? [])
            .Select(p => Resolve(p!));

    /// <summary>Follows <c>$ref</c>, and takes the non-null branch of a nullable <c>oneOf</c>/<c>anyOf</c>.</summary>
    private JsonObject Resolve(JsonNode schema)
    {
        var current = schema.AsObject();
        for (var depth = 0; depth < 16; depth++)
        {
            if (current["$ref"]?.GetValue<string>() is { } reference)
            {
                var target = reference["#/".Length..].Split('/').Aggregate((JsonNode)document, (node, part) => node[part.Replace("~1", "/").Replace("~0", "~")]!);
                current = target.AsObject();
            }
            else if ((current["oneOf"] ?? current["anyOf"]) is JsonArray branches
                && branches.FirstOrDefault(b => b!["type"]?.ToString() != "null") is { } branch)
            {
                current = branch.AsObject();
            }
            else if (current["allOf"] is JsonArray { Count: 1 } only)
            {
                current = only[0]!.AsObject();
            }
            else
            {
                return current;
            }
        }
        return current;
    }

    /// <summary>A value of the schema's shape, for bodies the document gives no example of.</summary>
    private JsonNode Sample(JsonObject schema)
    {
        if (schema["enum"] is JsonArray values)
        {
            return JsonValue.Create(values.First(v => v is not null)!.GetValue<string>());
        }
        var types = Types(schema);
        if (types.Contains("object"))
        {
            var sample = new JsonObject();
            foreach (var (name, property) in schema["properties"]?.AsObject() ?? [])
            {
                sample[name] = Sample(Resolve(property!));
            }
            return sample;
        }
        if (types.Contains("array"))
        {
            return new JsonArray(Sample(Resolve(schema["items"] ?? new JsonObject { ["type"] = "string" })));
        }
        if (types.Contains("boolean"))
        {
            return JsonValue.Create(true);
        }
        if (types.Contains("integer") || types.Contains("number"))
        {
            return JsonValue.Create(1);
        }
        return schema["format"]?.GetValue<string>() == "date-time" ? JsonValue.Create("2026-04-01T01:00:00Z") : JsonValue.Create("fuzz");
    }

}
