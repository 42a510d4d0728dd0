using System.Globalization;

namespace Whistle.Domain.Orders;

/// <summary>The human-readable order code (<c>WS-0000042</c>) a grid worker can read out on the phone.</summary>
public static class OrderCode
{
    private const string Prefix = "WS-";

    public static string Format(long number) => Prefix + number.ToString("D7", CultureInfo.InvariantCulture);

    public static bool TryParse(string? text, out long number)
    {
        number = 0;
        return text is not null
            && text.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)
            && long.TryParse(text.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out number)
            && number > 0;
    }
}
