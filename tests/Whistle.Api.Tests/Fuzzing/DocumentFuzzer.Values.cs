using System.Text;
using System.Text.Json.Nodes;

namespace Whistle.Api.Tests.Fuzzing;

/// <summary>The fuzzer's fixed vocabulary: the values each kind of field is broken with, and the JSON and multipart plumbing.</summary>
public sealed partial class DocumentFuzzer
{
    private static byte[] Multipart(IEnumerable<Part> parts)
    {
        using var body = new MemoryStream();
        void Write(string text) => body.Write(Encoding.UTF8.GetBytes(text));
        foreach (var part in parts)
        {
            Write($"--{Boundary}\r\n");
            var disposition = part.Disposition ?? $"form-data; name=\"{part.Name}\"" + (part.FileName is null ? "" : $"; filename=\"{part.FileName}\"");
            if (disposition.Length > 0)
            {
                Write($"Content-Disposition: {disposition}\r\n");
            }
            if (part.ContentType is not null)
            {
                Write($"Content-Type: {part.ContentType}\r\n");
            }
            Write("\r\n");
            body.Write(part.Content);
            Write("\r\n");
        }
        Write($"--{Boundary}--\r\n");
        return body.ToArray();
    }

    /// <summary>Values of the wrong kind for this schema, and the awkward values of the right kind.</summary>
    private static IEnumerable<(string What, JsonNode? Value)> Mutations(JsonObject schema)
    {
        var types = Types(schema);
        yield return ("null", null);
        if (!types.Contains("string"))
        {
            yield return ("as a string", "text");
        }
        if (!types.Contains("number") && !types.Contains("integer"))
        {
            yield return ("as a number", 12345);
        }
        if (!types.Contains("boolean"))
        {
            yield return ("as a boolean", true);
        }
        if (!types.Contains("object"))
        {
            yield return ("as an object", new JsonObject { ["a"] = 1 });
        }
        if (!types.Contains("array"))
        {
            yield return ("as an array", new JsonArray("a", 1));
        }
        if (schema["enum"] is JsonArray values)
        {
            var first = values.FirstOrDefault(v => v is not null)?.GetValue<string>() ?? "x";
            yield return ("an unknown enum value", "no-such-value");
            yield return ("an enum value in capitals", first.ToUpperInvariant());
            yield return ("an enum value as its position", 0);
            yield return ("an empty enum value", "");
        }
        else if (types.Contains("string"))
        {
            yield return ("huge", Huge);
            yield return ("with a NUL character", "before\u0000after");
            yield return ("empty", "");
            yield return ("blank", " \t\n ");
            yield return ("with emoji and right-to-left text", "👩‍👩‍👧 \u202Eevil\u202C");
            yield return ("with markup and SQL", "<script>alert(1)</script>'; DROP TABLE orders; --");
            yield return ("with a lone surrogate", LoneSurrogate);
            if (schema["format"]?.GetValue<string>() is "date-time" or "date")
            {
                yield return ("not a date", "yesterday");
                yield return ("February 30th", "2026-02-30T00:00:00Z");
                yield return ("the first day of the calendar", "0001-01-01T00:00:00Z");
                yield return ("the last moment of the calendar", "9999-12-31T23:59:59.9999999Z");
            }
        }
        if (types.Contains("number") || types.Contains("integer"))
        {
            yield return ("beyond int32", 2147483648L);
            yield return ("negative", -1);
            yield return ("the largest double", double.MaxValue);
            yield return ("fractional", 0.5);
            yield return ("NaN as a string", "NaN");
            yield return ("a number in a string", "91");
        }
        if (types.Contains("array"))
        {
            yield return ("with a null item", new JsonArray((JsonNode?)null));
            yield return ("with a number item", new JsonArray(12345));
            yield return ("with 10,000 items", new JsonArray(Enumerable.Range(0, 10_000).Select(i => (JsonNode?)$"item-{i}").ToArray()));
            yield return ("empty", new JsonArray());
        }
    }

    // ---- parameters ---------------------------------------------------------------------------

    private static IEnumerable<(string What, string Raw)> BadPathValues() =>
    [
        ("not an id", "not-an-id"), ("the empty uuid", Guid.Empty.ToString()), ("a code out of range", "WS-99999999999999999999"),
        ("a code with letters", "WS-abc"), ("a negative number", "-1"), ("3,000 characters", new string('9', 3_000)),
        ("a space", "%20"), ("an invalid UTF-8 escape", "%FF"), ("an encoded slash", "a%2Fb"), ("Chinese", Uri.EscapeDataString("工单")),
        ("a quote", "%27"),
        // %00 in a path cannot be sent here: the test host refuses to build such a request
        // (Kestrel answers it itself); Robustness/ProblemEverywhereTests tests it over a socket.
    ];

    private static IEnumerable<(string What, string Raw)> BadQueryValues(string name, HashSet<string> types)
    {
        yield return ("empty", "");
        yield return ("a word", "abc");
        yield return ("negative", "-1");
        yield return ("zero", "0");
        yield return ("beyond any integer", "99999999999999999999");
        yield return ("fractional", "1.5");
        yield return ("5,000 characters", new string('q', 5_000));
        yield return ("an invalid UTF-8 escape", "%FF");
        yield return ("a quote", "%27");
        yield return ("a NUL", "%00");
        yield return ("not a date", "2026-13-45");
        yield return ("the first day of the calendar", "0001-01-01");
        yield return ("the last day of the calendar", "9999-12-31");
        if (types.Contains("boolean"))
        {
            yield return ("neither true nor false", "maybe");
        }
        if (name.Contains("cursor", StringComparison.OrdinalIgnoreCase))
        {
            yield return ("not a cursor", "%2F%2F%2F%2F");
            yield return ("base64 of nonsense", Uri.EscapeDataString(Convert.ToBase64String(Encoding.UTF8.GetBytes("{\"at\":\"x\"}"))));
        }
    }

    /// <summary>A statistics period at the very edge of the calendar (the period parser's known failure).</summary>
    private static bool IsCalendarEdge(Operation operation, string name, string raw) =>
        operation.Path.Contains("/stats/", StringComparison.Ordinal) && name is "from" or "to" && raw is "0001-01-01" or "9999-12-31";

    // ---- headers ------------------------------------------------------------------------------

    private static byte[] Body(JsonNode body) =>
        Encoding.UTF8.GetBytes(body.ToJsonString().Replace("\\u0001lone surrogate\\u0001", "\\ud800", StringComparison.Ordinal));

    // ---- schemas ------------------------------------------------------------------------------

    private static HashSet<string> Types(JsonObject schema) => schema["type"] switch
    {
        JsonArray types => types.Select(t => t!.GetValue<string>()).Where(t => t != "null").ToHashSet(),
        JsonValue type => [type.GetValue<string>()],
        _ when schema["properties"] is not null => ["object"],
        _ when schema["enum"] is not null => ["string"],
        _ => [],
    };

    /// <summary>A pointer's steps: member names, and item positions (<c>days[0].date</c> is days, 0, date).</summary>
    private static List<object> Steps(string pointer)
    {
        var steps = new List<object>();
        foreach (var part in pointer.Split('.'))
        {
            var bracket = part.IndexOf('[', StringComparison.Ordinal);
            steps.Add(bracket < 0 ? part : part[..bracket]);
            if (bracket >= 0)
            {
                steps.Add(int.Parse(part[(bracket + 1)..^1], System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        return steps;
    }

    private static JsonNode? Get(JsonNode node, object step) => step switch
    {
        string name => node is JsonObject o ? o[name] : null,
        int index => node is JsonArray a && a.Count > index ? a[index] : null,
        _ => null,
    };

    private static void Put(JsonNode node, object step, JsonNode? value)
    {
        if (step is string name)
        {
            node.AsObject()[name] = value;
            return;
        }
        var array = node.AsArray();
        while (array.Count <= (int)step)
        {
            array.Add(null);
        }
        array[(int)step] = value;
    }

    private static void Set(JsonObject body, string pointer, JsonNode? value)
    {
        var steps = Steps(pointer);
        JsonNode parent = body;
        for (var i = 0; i < steps.Count - 1; i++)
        {
            var wantArray = steps[i + 1] is int;
            var child = Get(parent, steps[i]);
            if (!(wantArray ? child is JsonArray : child is JsonObject))
            {
                child = wantArray ? new JsonArray() : new JsonObject();
                Put(parent, steps[i], child);
            }
            parent = child!;
        }
        Put(parent, steps[^1], value?.DeepClone());
    }

    private static void Remove(JsonObject body, string pointer)
    {
        var steps = Steps(pointer);
        JsonNode? parent = body;
        for (var i = 0; i < steps.Count - 1 && parent is not null; i++)
        {
            parent = Get(parent, steps[i]);
        }
        switch (parent, steps[^1])
        {
            case (JsonObject o, string name):
                o.Remove(name);
                break;
            case (JsonArray a, int index) when a.Count > index:
                a.RemoveAt(index);
                break;
        }
    }

    private static bool ContainsNul(JsonNode? value) => value?.ToJsonString().Contains("\\u0000", StringComparison.Ordinal) == true;
}
