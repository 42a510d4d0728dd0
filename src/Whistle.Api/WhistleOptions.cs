namespace Whistle.Api;

/// <summary>The service's own settings, under <c>Whistle</c> in configuration.</summary>
public sealed class WhistleOptions
{
    public const string Section = "Whistle";

    /// <summary>The district's time zone: bare dates in statistics periods are days there.</summary>
    public string TimeZone { get; set; } = "Asia/Shanghai";

    public TimeZoneInfo Zone => TimeZoneInfo.FindSystemTimeZoneById(TimeZone);

    public bool HasKnownTimeZone() => TimeZoneInfo.TryFindSystemTimeZoneById(TimeZone, out _);

    /// <summary>
    /// Where the embedded PostgreSQL keeps its data when no connection string is configured;
    /// defaults to WHISTLE_DATA_DIR or the user's data folder.
    /// </summary>
    public string? DataDirectory { get; set; }
}
