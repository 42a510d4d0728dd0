using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;

namespace Whistle.Api.Tests.Open311;

/// <summary>
/// A strict Open311 client's reading of an answer, written from the GeoReport v2 spec and mySociety's extension (not
/// borrowed from the service): the XML declaration, no namespace, only the spec's element names, the required ones
/// present, no empty element, datetimes ISO 8601 with an offset, ids as text; and the JSON twin held to the same shapes,
/// with the spec's types (ids strings, lat/long numbers, metadata a boolean).
/// </summary>
public static partial class StrictOpen311
{
    public enum Mode { Read, Created }

    private sealed record Shape(string[] Allowed, string[] Required, string? ListOf = null);

    private static readonly string[] Statuses = ["open", "closed"];

    /// <summary>mySociety's extended statuses (FixMyStreet maps these).</summary>
    public static readonly string[] ExtendedStatuses =
        ["open", "closed", "fixed", "in_progress", "action_scheduled", "investigating", "duplicate", "not_councils_responsibility",
            "unable_to_fix", "internal_referral", "no_further_action"];

    private static Dictionary<string, Shape> Shapes(Mode mode) => new()
    {
        ["discovery"] = new(["changeset", "contact", "key_service", "endpoints"], ["changeset", "contact", "endpoints"]),
        ["endpoints"] = new([], [], "endpoint"),
        ["endpoint"] = new(["specification", "url", "changeset", "type", "formats"], ["specification", "url", "changeset", "type", "formats"]),
        ["formats"] = new([], [], "format"),
        ["services"] = new([], [], "service"),
        ["service"] = new(["service_code", "service_name", "description", "metadata", "type", "keywords", "group", "groups"],
            ["service_code", "service_name", "metadata", "type"]),
        ["groups"] = new([], [], "group"),
        ["service_definition"] = new(["service_code", "attributes"], ["service_code", "attributes"]),
        ["attributes"] = new([], [], "attribute"),
        ["attribute"] = new(["variable", "code", "datatype", "required", "datatype_description", "order", "description", "values"],
            ["variable", "code", "datatype", "required", "order", "description"]),
        ["values"] = new([], [], "value"),
        ["value"] = new(["key", "name"], ["key", "name"]),
        ["service_requests"] = new([], [], "request"),
        ["request"] = mode == Mode.Created
            ? new(["service_request_id", "token", "service_notice", "account_id"], ["service_request_id"])
            : new(["service_request_id", "status", "status_notes", "service_name", "service_code", "description", "agency_responsible",
                "service_notice", "requested_datetime", "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat", "long",
                "media_url"], ["service_request_id", "status", "service_code", "requested_datetime", "lat", "long"]),
        ["service_request_updates"] = new([], [], "request_update"),
        ["request_update"] = mode == Mode.Created
            ? new(["update_id"], ["update_id"])
            : new(["update_id", "service_request_id", "status", "updated_datetime", "description", "media_url"],
                ["update_id", "service_request_id", "status", "updated_datetime"]),
        ["errors"] = new([], [], "error"),
        ["error"] = new(["code", "description"], ["code", "description"]),
    };

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$")]
    private static partial Regex IsoWithOffset();

    /// <summary>Parses an XML answer as a strict client does, and returns its root.</summary>
    public static XElement Xml(string body, string root, Mode mode = Mode.Read)
    {
        Assert.StartsWith("<?xml version=\"1.0\" encoding=\"utf-8\"?>", body, StringComparison.Ordinal);
        using var reader = XmlReader.Create(new StringReader(body), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit });
        var document = XDocument.Load(reader);
        var element = document.Root!;
        Assert.Equal(root, element.Name.LocalName);
        Assert.All(document.Descendants(), e => Assert.Equal(XNamespace.None, e.Name.Namespace));
        Assert.All(document.Descendants(), e => Assert.Empty(e.Attributes()));
        CheckXml(element, Shapes(mode));
        return element;
    }

    private static void CheckXml(XElement element, Dictionary<string, Shape> shapes)
    {
        var name = element.Name.LocalName;
        if (!shapes.TryGetValue(name, out var shape) || (shape.ListOf is null && shape.Allowed.Length == 0))
        {
            // A leaf: never empty (the spec's "leave out what you do not have"), its value of its kind.
            Assert.False(element.HasElements, $"<{name}> holds elements where the spec has text.");
            CheckValue(name, element.Value);
            return;
        }
        if (shape.ListOf is { } item)
        {
            Assert.All(element.Elements(), e => Assert.Equal(item, e.Name.LocalName));
            Assert.True(element.Nodes().All(n => n is XElement), $"<{name}> holds text.");
            foreach (var child in element.Elements())
            {
                CheckXml(child, shapes);
            }
            return;
        }
        var names = element.Elements().Select(e => e.Name.LocalName).ToList();
        Assert.All(names, n => Assert.Contains(n, shape.Allowed));
        Assert.All(shape.Required, r => Assert.Contains(r, names));
        Assert.Equal(names.Distinct().Count(), names.Count);
        foreach (var child in element.Elements())
        {
            CheckXml(child, shapes);
        }
    }

    private static void CheckValue(string name, string value)
    {
        Assert.False(string.IsNullOrWhiteSpace(value), $"<{name}> is empty: an optional element without a value is left out.");
        if (name.EndsWith("_datetime", StringComparison.Ordinal) || name == "changeset")
        {
            Assert.Matches(IsoWithOffset(), value);
        }
        if (name is "metadata" or "variable" or "required")
        {
            Assert.Contains(value, new[] { "true", "false" });
        }
        if (name is "lat" or "long")
        {
            Assert.True(double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _), $"{name} '{value}' is not a number.");
        }
        if (name == "order")
        {
            Assert.True(value.All(char.IsAsciiDigit), $"order '{value}' is not a whole number.");
        }
    }

    /// <summary>The JSON twin, held to the same shapes: the root a list (an object for the discovery and a definition).</summary>
    public static JsonElement Json(string body, string root, Mode mode = Mode.Read)
    {
        var document = JsonDocument.Parse(body);
        CheckJson(root, document.RootElement, Shapes(mode));
        return document.RootElement.Clone();
    }

    private static void CheckJson(string name, JsonElement value, Dictionary<string, Shape> shapes)
    {
        if (!shapes.TryGetValue(name, out var shape) || (shape.ListOf is null && shape.Allowed.Length == 0))
        {
            JsonValueKind[] expected = name switch
            {
                "metadata" or "variable" or "required" => [JsonValueKind.True, JsonValueKind.False],
                "lat" or "long" or "order" => [JsonValueKind.Number],
                _ => [JsonValueKind.String],
            };
            Assert.Contains(value.ValueKind, expected);
            if (value.ValueKind == JsonValueKind.String)
            {
                CheckValue(name, value.GetString()!);
            }
            return;
        }
        if (shape.ListOf is { } item)
        {
            Assert.Equal(JsonValueKind.Array, value.ValueKind);
            foreach (var element in value.EnumerateArray())
            {
                CheckJson(item, element, shapes);
            }
            return;
        }
        Assert.Equal(JsonValueKind.Object, value.ValueKind);
        var names = value.EnumerateObject().Select(p => p.Name).ToList();
        Assert.All(names, n => Assert.Contains(n, shape.Allowed));
        Assert.All(shape.Required, r => Assert.Contains(r, names));
        foreach (var property in value.EnumerateObject())
        {
            if (name == "error" && property.Name == "code")
            {
                Assert.Equal(JsonValueKind.Number, property.Value.ValueKind);
                continue;
            }
            if (property.Name == "code")
            {
                Assert.Equal(JsonValueKind.String, property.Value.ValueKind);
                continue;
            }
            CheckJson(property.Name, property.Value, shapes);
        }
    }

    /// <summary>An Open311 error answer: the status, the XML or JSON list, never a problem document.</summary>
    public static async Task<string[]> Errors(HttpResponseMessage response, int status, bool json = false)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"{(int)response.StatusCode}: {body}");
        Assert.Equal(json ? "application/json" : "text/xml", response.Content.Headers.ContentType?.MediaType);
        if (json)
        {
            var list = Json(body, "errors");
            Assert.All(list.EnumerateArray(), e => Assert.Equal(status, e.GetProperty("code").GetInt32()));
            return list.EnumerateArray().Select(e => e.GetProperty("description").GetString()!).ToArray();
        }
        var root = Xml(body, "errors");
        Assert.NotEmpty(root.Elements());
        Assert.All(root.Elements(), e => Assert.Equal(status.ToString(CultureInfo.InvariantCulture), e.Element("code")!.Value));
        return root.Elements().Select(e => e.Element("description")!.Value).ToArray();
    }
}
