using System.Text.Json;
using System.Text.Json.Serialization;
using FluentValidation;
using FluentValidation.Results;

namespace Whistle.Api.Infrastructure;

/// <summary>
/// No text the API takes may contain the NUL character (U+0000): PostgreSQL cannot store it in text
/// (nor in JSON), so it is refused as a 400 naming the field, before any handler or query sees it.
/// Text reaches the service in two ways, and both pass here: JSON bodies (every string value, via
/// <see cref="ApiJson"/>) and the query string and path (<see cref="RefuseInQueryAndPath"/>).
/// </summary>
public static class NulCharacters
{
    public const string Message = "Text may not contain the NUL character (U+0000).";

    public static bool In(string? text) => text is not null && text.Contains('\0');

    /// <summary>Every string value of a JSON body; the failure carries the value's JSON path, which names the field.</summary>
    public sealed class RefusingStringConverter : JsonConverter<string>
    {
        public override bool HandleNull => false;

        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var text = reader.GetString();
            return In(text) ? throw new RefusedException() : text;
        }

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }

    /// <summary>A body value that contains NUL (the problem mapping reports it under the value's field).</summary>
    public sealed class RefusedException() : JsonException(NulCharacters.Message);

    /// <summary>Query parameters and path segments, by the name the request gives them.</summary>
    public static async Task RefuseInQueryAndPath(HttpContext http, RequestDelegate next)
    {
        List<ValidationFailure>? failures = null;
        foreach (var (name, values) in http.Request.Query)
        {
            if (values.Any(In))
            {
                (failures ??= []).Add(new ValidationFailure(name, Message));
            }
        }
        foreach (var (name, value) in http.Request.RouteValues)
        {
            if (value is string text && In(text))
            {
                (failures ??= []).Add(new ValidationFailure(name, Message));
            }
        }
        if (failures is not null)
        {
            throw new ValidationException(failures);
        }
        await next(http);
    }
}
