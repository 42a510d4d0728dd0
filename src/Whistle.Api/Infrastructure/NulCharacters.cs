using System.Text.Json;
using FluentValidation.Results;

namespace Whistle.Api.Infrastructure;

/// <summary>
/// No text the API takes may contain the NUL character (U+0000): PostgreSQL cannot store it in text
/// (nor in JSON), so it is refused as a 400 naming the field, before any handler or query sees it.
/// One check, in front of every endpoint, covers the three ways text arrives: query parameters,
/// path segments and every string of a JSON body (named by its path, as validation names fields:
/// <c>location.address</c>, <c>gridCodes[0]</c>).
/// </summary>
public static class NulCharacters
{
    public const string Message = "Text may not contain the NUL character (U+0000).";

    public static bool In(string? text) => text is not null && text.Contains('\0');

    public static async Task RefuseAsync(HttpContext http, RequestDelegate next)
    {
        List<ValidationFailure>? failures = null;
        void Refuse(string field) => (failures ??= []).Add(new ValidationFailure(field, Message));

        foreach (var (name, values) in http.Request.Query)
        {
            if (values.Any(In))
            {
                Refuse(name);
            }
        }
        foreach (var (name, value) in http.Request.RouteValues)
        {
            if (value is string text && In(text))
            {
                Refuse(name);
            }
        }
        if (http.Request.HasJsonContentType())
        {
            // Read once here and rewound for the endpoint (bodies are small: a few kilobytes).
            http.Request.EnableBuffering();
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body, http.RequestAborted);
            http.Request.Body.Position = 0;
            // In JSON a NUL can only arrive escaped (a raw control character is not JSON), so a body without
            // the six bytes \u0000 holds none and needs no second parse: the hot path of every write.
            var json = body.GetBuffer().AsSpan(0, (int)body.Length);
            if (json.IndexOf("\\u0000"u8) >= 0)
            {
                foreach (var field in FieldsWithNul(json))
                {
                    Refuse(field);
                }
            }
        }
        if (failures is not null)
        {
            throw new ValidationException(failures);
        }
        await next(http);
    }

    /// <summary>
    /// The text of a multipart form, as a JSON body's: a field (or file name) with NUL, or a JSON part
    /// (the filing's 'order') with NUL in one of its strings, named <c>order.title</c>.
    /// </summary>
    public static void RefuseIn(IFormCollection form)
    {
        var failures = new List<ValidationFailure>();
        foreach (var (name, values) in form)
        {
            foreach (var value in values)
            {
                failures.AddRange(InPart(name, value ?? "").Select(field => new ValidationFailure(field, Message)));
            }
        }
        foreach (var file in form.Files.Where(f => In(f.Name) || In(f.FileName)))
        {
            failures.Add(new ValidationFailure(file.Name, Message));
        }
        if (failures.Count > 0)
        {
            throw new ValidationException(failures);
        }
    }

    /// <summary>A JSON part read from a file part: refused as <see cref="RefuseIn"/> would.</summary>
    public static void RefuseInPart(string name, string text)
    {
        if (InPart(name, text).Select(field => new ValidationFailure(field, Message)).ToList() is { Count: > 0 } failures)
        {
            throw new ValidationException(failures);
        }
    }

    private static IEnumerable<string> InPart(string name, string text) =>
        In(text) ? [name]
        : text.Contains("\\u0000", StringComparison.Ordinal)
            ? FieldsWithNul(System.Text.Encoding.UTF8.GetBytes(text)).Select(field => field.Length == 0 ? name : field[0] == '[' ? name + field : $"{name}.{field}")
            : [];

    private sealed class Container(string path, bool isArray)
    {
        public string Path { get; } = path;
        public bool IsArray { get; } = isArray;
        public int Index { get; set; }
    }

    /// <summary>The paths of the string values that hold NUL; a body that is not JSON is left to the endpoint to refuse.</summary>
    private static List<string> FieldsWithNul(ReadOnlySpan<byte> json)
    {
        var found = new List<string>();
        var containers = new Stack<Container>();
        string? property = null;
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        string Here() => containers.TryPeek(out var c)
            ? c.IsArray ? $"{c.Path}[{c.Index}]" : c.Path.Length == 0 ? property ?? "" : $"{c.Path}.{property}"
            : "";
        void Next()
        {
            if (containers.TryPeek(out var c) && c.IsArray)
            {
                c.Index++;
            }
        }
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        property = reader.GetString();
                        break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        containers.Push(new Container(Here(), reader.TokenType == JsonTokenType.StartArray));
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        containers.Pop();
                        Next();
                        break;
                    case JsonTokenType.String:
                        if (In(reader.GetString()))
                        {
                            found.Add(Here());
                        }
                        Next();
                        break;
                    default:
                        Next();
                        break;
                }
            }
        }
        catch (JsonException)
        {
        }
        catch (InvalidOperationException)
        {
            // Not valid UTF-16 once unescaped: the endpoint's binding refuses it.
        }
        return found;
    }
}
