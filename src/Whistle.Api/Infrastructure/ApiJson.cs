using System.Text.Json;
using System.Text.Json.Serialization;

namespace Whistle.Api.Infrastructure;

/// <summary>
/// The API's JSON: web defaults and kebab-case enums. Responses and webhook bodies both use it, so a
/// delivery's order reads exactly as GET shows it.
/// </summary>
public static class ApiJson
{
    public static readonly JsonSerializerOptions Options = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.Converters.Add(new JsonStringEnumConverter(new WireNamingPolicy(), allowIntegerValues: false));
        // Numbers are JSON numbers: the web defaults also read "5", which the document then had to type as integer-or-string.
        options.NumberHandling = JsonNumberHandling.Strict;
        return options;
    }
}
