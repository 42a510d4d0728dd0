namespace Whistle.Api.Features.Geo;

/// <summary>Settings for positions, under <c>Whistle:Geo</c> in configuration.</summary>
public sealed class GeoOptions
{
    public const string Section = "Whistle:Geo";

    /// <summary>How near an open order of the same category must be to be named a possible duplicate of a filing, in metres.</summary>
    public double DuplicateWithinMeters { get; set; } = 50;

    /// <summary>How recently that order must have been filed, in days.</summary>
    public int DuplicateFiledWithinDays { get; set; } = 7;

    public bool IsValid() => DuplicateWithinMeters is > 0 and <= 10_000 && DuplicateFiledWithinDays is > 0 and <= 365;
}
