using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;

namespace Whistle.Api.Infrastructure;

/// <summary>A header a response of this endpoint carries, for the OpenAPI document.</summary>
public sealed record ResponseHeader(int Status, string Name, string Description, bool Required);

/// <summary>This endpoint's 200 is a CSV file or an XLSX workbook to download (see <see cref="Table"/>): the one named, or either by its format parameter.</summary>
public sealed record TableDownload(string Description, TableFormat? Format);

/// <summary>This endpoint's JSON answer is also downloaded as a table from its path with .csv or .xlsx added.</summary>
public sealed record TableDownloads;

/// <summary>A header this endpoint reads from requests besides its bound parameters, for the OpenAPI document.</summary>
public sealed record RequestHeader(string Name, string Description);

public static class ResponseHeaderExtensions
{
    /// <summary>Declares a request header the endpoint reads itself (not through a bound parameter).</summary>
    public static TBuilder WithRequestHeader<TBuilder>(this TBuilder builder, string name, string description)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequestHeader(name, description));

    /// <summary>Declares a header that the endpoint sets on responses of this status.</summary>
    public static TBuilder WithResponseHeader<TBuilder>(this TBuilder builder, int status, string name, string description, bool required = true)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ResponseHeader(status, name, description, required));

    /// <summary>Declares that the 200 answer is a download: in this format, or as CSV or XLSX by format=csv|xlsx.</summary>
    public static TBuilder WithTableDownload<TBuilder>(this TBuilder builder, string description, TableFormat? format = null)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new TableDownload(description, format));

    /// <summary>The order's version as a strong ETag, for If-Match.</summary>
    public static TBuilder WithOrderETag<TBuilder>(this TBuilder builder, int status)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithResponseHeader(status, "ETag", "The order's version, quoted (\"7\"): send it back in If-Match to act only on this version.");
}

/// <summary>
/// Documents a parameter that is bound as text (so that a bad value gets a 400 naming the parameter,
/// not a bare binding failure) as the value it stands for.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property)]
public sealed class DocumentedAsAttribute(JsonSchemaType type) : Attribute
{
    public string? Format { get; init; }

    /// <summary>The smallest value; NaN for none (attributes cannot hold a nullable).</summary>
    public double Minimum { get; init; } = double.NaN;

    public double Maximum { get; init; } = double.NaN;

    public string? Default { get; init; }

    /// <summary>An enum whose wire names are the only values.</summary>
    public Type? OneOf { get; init; }

    /// <summary>The only values, when they are not an enum's.</summary>
    public string[]? Values { get; init; }

    /// <summary>A pattern the text must match.</summary>
    public string? Pattern { get; init; }

    internal OpenApiSchema Schema() => new()
    {
        Type = type,
        Format = Format,
        Minimum = double.IsNaN(Minimum) ? null : Minimum.ToString(CultureInfo.InvariantCulture),
        Maximum = double.IsNaN(Maximum) ? null : Maximum.ToString(CultureInfo.InvariantCulture),
        Default = Default is null ? null : JsonNode.Parse(Default),
        Pattern = Pattern,
        Enum = (OneOf is null ? Values : Enum.GetNames(OneOf).Select(WireName.Kebab).ToArray())?.Select(name => (JsonNode)JsonValue.Create(name)!).ToList(),
    };
}
