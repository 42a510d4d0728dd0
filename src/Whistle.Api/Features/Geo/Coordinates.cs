using Whistle.Domain.Geo;

namespace Whistle.Api.Features.Geo;

/// <summary>The <c>coordinateSystem</c> query parameter of reads that answer with positions.</summary>
public static class Coordinates
{
    public const string ParameterDescription =
        "wgs84 (the default, as stored), gcj02 (Amap, Tencent) or bd09 (Baidu): what the answer's latitudes and longitudes are in.";

    /// <summary>The system asked for, WGS 84 when none; anything else is a 400 naming the choices.</summary>
    public static CoordinateSystem Parse(string? text, string parameter = "coordinateSystem") =>
        text is null ? CoordinateSystem.Wgs84
        : WireName.TryParse<CoordinateSystem>(text, out var system) ? system
        : throw new ValidationException([new FluentValidation.Results.ValidationFailure(parameter,
            $"'{parameter}' is one of {string.Join(", ", WireName.All<CoordinateSystem>())}.")]);
}
