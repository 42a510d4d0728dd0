using System.Text.Json;
using System.Text.Json.Serialization;

namespace Whistle.NSwag;

/// <summary>
/// NSwag's own extension point, not an edit of its code: it puts a string converter on enum properties but not
/// on lists of enums (allowedActions), which System.Text.Json would otherwise read as numbers. This converter
/// honours the enum member names NSwag writes (JsonStringEnumMemberName, with /jsonLibraryVersion:9.0).
/// </summary>
public partial class WhistleNSwagClient
{
    static partial void UpdateJsonSerializerSettings(JsonSerializerOptions settings) => settings.Converters.Add(new JsonStringEnumConverter());
}
