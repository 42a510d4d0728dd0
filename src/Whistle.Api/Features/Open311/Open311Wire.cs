using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Xml;

namespace Whistle.Api.Features.Open311;

/// <summary>
/// Open311's two forms of one answer. XML is what strict clients (FixMyStreet) read: the declaration with
/// utf-8, no namespace, the spec's element names, an empty optional element left out. JSON is its twin: the
/// root list an array (the discovery an object), every id and text a string.
/// </summary>
public abstract record Open311Node(string Name);

/// <summary>A value; left out when null or empty. JSON writes it as a string unless it is a number or a boolean.</summary>
public sealed record Open311Leaf(string Name, string? Value, Open311Kind Kind = Open311Kind.Text) : Open311Node(Name);

/// <summary>An element of elements: an object in JSON.</summary>
public sealed record Open311Branch(string Name, IReadOnlyList<Open311Node> Children) : Open311Node(Name);

/// <summary>A list: <c>&lt;name&gt;&lt;item/&gt;…&lt;/name&gt;</c> in XML, an array in JSON; an optional one is left out when empty.</summary>
public sealed record Open311List(string Name, IReadOnlyList<Open311Node> Items, bool Optional = false) : Open311Node(Name);

public enum Open311Kind { Text, Number, Boolean }

public enum Open311Format { Xml, Json }

public static class Open311Wire
{
    public const string XmlType = "text/xml; charset=utf-8";
    public const string JsonType = "application/json; charset=utf-8";

    /// <summary>The format a path asks for by its extension (<c>.json</c>, else XML, the spec's required form).</summary>
    public static Open311Format FormatOf(PathString path) =>
        path.Value?.EndsWith(".json", StringComparison.OrdinalIgnoreCase) == true ? Open311Format.Json : Open311Format.Xml;

    /// <summary>An instant as the spec writes it: ISO 8601 with the district's offset (2026-03-02T09:00:00+08:00).</summary>
    public static string Time(DateTimeOffset at, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(at, zone).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static IResult Answer(Open311Format format, Open311Node root, int status = StatusCodes.Status200OK) =>
        format == Open311Format.Json
            ? Results.Text(Json(root), JsonType, Encoding.UTF8, status)
            : Results.Text(Xml(root), XmlType, Encoding.UTF8, status);

    /// <summary>Open311's error list: <c>&lt;errors&gt;&lt;error&gt;&lt;code/&gt;&lt;description/&gt;&lt;/error&gt;&lt;/errors&gt;</c>, or its JSON array.</summary>
    public static Open311List Errors(int code, IEnumerable<string> descriptions) => new("errors",
        descriptions.Select(d => (Open311Node)new Open311Branch("error",
            [new Open311Leaf("code", code.ToString(CultureInfo.InvariantCulture), Open311Kind.Number), new Open311Leaf("description", d)])).ToList());

    public static string Xml(Open311Node root)
    {
        var settings = new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = false };
        using var buffer = new MemoryStream();
        using (var writer = XmlWriter.Create(buffer, settings))
        {
            // The declaration exactly as the spec's examples (XmlWriter would write encoding="utf-8" too, but no standalone).
            writer.WriteProcessingInstruction("xml", "version=\"1.0\" encoding=\"utf-8\"");
            WriteXml(writer, root);
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteXml(XmlWriter writer, Open311Node node)
    {
        switch (node)
        {
            case Open311Leaf { Value: null or "" }:
            case Open311List { Optional: true, Items.Count: 0 }:
                return;
            case Open311Leaf leaf:
                writer.WriteElementString(leaf.Name, Clean(leaf.Value));
                return;
            case Open311Branch branch:
                writer.WriteStartElement(branch.Name);
                branch.Children.ToList().ForEach(child => WriteXml(writer, child));
                writer.WriteEndElement();
                return;
            case Open311List list:
                writer.WriteStartElement(list.Name);
                list.Items.ToList().ForEach(item => WriteXml(writer, item));
                writer.WriteEndElement();
                return;
        }
    }

    // XML 1.0 cannot carry most control characters, even escaped: a text with one must not break the document.
    private static string Clean(string text) =>
        text.Any(c => !XmlConvert.IsXmlChar(c)) ? new string(text.Where(XmlConvert.IsXmlChar).ToArray()) : text;

    public static string Json(Open311Node root)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            WriteJsonValue(writer, root);
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteJsonValue(Utf8JsonWriter writer, Open311Node node)
    {
        switch (node)
        {
            case Open311Leaf leaf:
                WriteLeaf(writer, leaf);
                break;
            case Open311Branch branch:
                writer.WriteStartObject();
                foreach (var child in branch.Children.Where(c => c is not (Open311Leaf { Value: null or "" } or Open311List { Optional: true, Items.Count: 0 })))
                {
                    writer.WritePropertyName(child.Name);
                    WriteJsonValue(writer, child);
                }
                writer.WriteEndObject();
                break;
            case Open311List list:
                writer.WriteStartArray();
                foreach (var item in list.Items.Where(c => c is not Open311Leaf { Value: null or "" }))
                {
                    WriteJsonValue(writer, item);
                }
                writer.WriteEndArray();
                break;
        }
    }

    private static void WriteLeaf(Utf8JsonWriter writer, Open311Leaf leaf)
    {
        switch (leaf.Kind)
        {
            case Open311Kind.Number:
                writer.WriteRawValue(leaf.Value!);
                break;
            case Open311Kind.Boolean:
                writer.WriteBooleanValue(leaf.Value == "true");
                break;
            default:
                writer.WriteStringValue(leaf.Value);
                break;
        }
    }
}

/// <summary>A request Open311 refuses with its own error list: 400, 403 or 404 (see <see cref="Open311Errors"/>).</summary>
public sealed class Open311Exception(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>
/// Every failure under <c>/open311/</c> — a bad field, a missing key, an unknown request, and also the service's
/// own refusals (rate limit, an unreachable database) — leaves in Open311's error form, never as an RFC 9457
/// problem: <see cref="ProblemResponses"/> hands these paths here. Statuses Open311 does not name become the
/// nearest it does: a missing or unknown credential 403, any other refusal of the input 400.
/// </summary>
public static class Open311Errors
{
    public const string PathPrefix = "/open311/";

    public static bool Applies(HttpContext http) => http.Request.Path.StartsWithSegments(PathPrefix.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);

    public static int StatusOf(int status) => status switch
    {
        StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden => StatusCodes.Status403Forbidden,
        StatusCodes.Status404NotFound or StatusCodes.Status405MethodNotAllowed => StatusCodes.Status404NotFound,
        // Not the client's input: kept, so a client backs off (429, 503) or reports a fault (500).
        StatusCodes.Status429TooManyRequests or >= 500 => status,
        _ => StatusCodes.Status400BadRequest,
    };

    public static async ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var http = context.HttpContext;
        var problem = context.ProblemDetails;
        var status = StatusOf(problem.Status ?? http.Response.StatusCode);
        var descriptions = problem is Microsoft.AspNetCore.Http.HttpValidationProblemDetails { Errors.Count: > 0 } validation
            ? validation.Errors.SelectMany(e => e.Value.Select(message => $"{Open311Fields.WireName(e.Key)}: {message}"))
            : [problem.Detail ?? problem.Title ?? ReasonPhrase(status)];
        var body = Open311Wire.FormatOf(http.Request.Path) == Open311Format.Json
            ? Open311Wire.Json(Open311Wire.Errors(status, descriptions))
            : Open311Wire.Xml(Open311Wire.Errors(status, descriptions));
        http.Response.StatusCode = status;
        http.Response.ContentType = Open311Wire.FormatOf(http.Request.Path) == Open311Format.Json ? Open311Wire.JsonType : Open311Wire.XmlType;
        await http.Response.WriteAsync(body, http.RequestAborted);
    }

    private static string ReasonPhrase(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);
}
