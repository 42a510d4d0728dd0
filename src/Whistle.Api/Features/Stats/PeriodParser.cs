using System.Globalization;
using Microsoft.Extensions.Options;

namespace Whistle.Api.Features.Stats;

/// <summary>
/// Reads period bounds. A bare date means a day in the district's time zone (Asia/Shanghai unless
/// configured), the way a supervisor means "from the 1st to the 31st"; a date-time is taken as given.
/// </summary>
public sealed class PeriodParser(IOptions<WhistleOptions> options)
{
    private readonly TimeZoneInfo _zone = options.Value.Zone;

    // Far wider than any order's life, and far enough from the calendar's ends that moving a bound
    // to the district's time zone or to the next midnight cannot overflow.
    private const int FirstYear = 1900;
    private const int LastYear = 2999;

    public static string FormatMessage(string field) =>
        $"'{field}' must be a date (2026-01-31) or a date-time with an offset (2026-01-31T08:00:00+08:00), in the years {FirstYear} to {LastYear}.";

    public bool TryParseStart(string? text, out DateTimeOffset? at) => TryParse(text, endOfDay: false, out at);

    /// <summary>An end date includes that whole day: the bound is the next midnight.</summary>
    public bool TryParseEnd(string? text, out DateTimeOffset? at) => TryParse(text, endOfDay: true, out at);

    private bool TryParse(string? text, bool endOfDay, out DateTimeOffset? at)
    {
        at = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }
        // An offset's '+' typed unencoded in a URL arrives as a space.
        text = text.Trim().Replace(' ', '+');
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            if (date.Year is < FirstYear or > LastYear)
            {
                return false;
            }
            var midnight = date.AddDays(endOfDay ? 1 : 0).ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
            at = new DateTimeOffset(midnight, _zone.GetUtcOffset(midnight)).ToUniversalTime();
            return true;
        }
        if (text.Contains('T', StringComparison.Ordinal)
            && DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var local))
        {
            if (local.Year is < FirstYear or > LastYear)
            {
                return false;
            }
            // Without an offset, a time is the district's wall-clock time.
            at = local.Kind == DateTimeKind.Unspecified
                ? new DateTimeOffset(local, _zone.GetUtcOffset(local)).ToUniversalTime()
                : DateTimeOffset.Parse(text, CultureInfo.InvariantCulture).ToUniversalTime();
            return true;
        }
        return false;
    }
}
