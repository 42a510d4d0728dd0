using System.Collections.Frozen;
using System.Text;

namespace Whistle.Domain.Orders;

/// <summary>
/// The kebab-case names the API, the paths and the store use for the domain's enums
/// (<c>HandledLocally</c> is <c>handled-locally</c>), so that one spelling holds everywhere.
/// </summary>
public static class WireName
{
    public static string Of<T>(T value) where T : struct, Enum => Names<T>.ToWire[value];

    public static bool TryParse<T>(string? text, out T value) where T : struct, Enum
    {
        if (text is not null && Names<T>.FromWire.TryGetValue(text, out value))
        {
            return true;
        }
        value = default;
        return false;
    }

    public static T Parse<T>(string text) where T : struct, Enum =>
        TryParse<T>(text, out var value)
            ? value
            : throw new FormatException($"'{text}' is not one of: {string.Join(", ", All<T>())}.");

    public static IReadOnlyList<string> All<T>() where T : struct, Enum => Names<T>.InOrder;

    public static string Kebab(string pascal)
    {
        var builder = new StringBuilder(pascal.Length + 4);
        for (var i = 0; i < pascal.Length; i++)
        {
            var c = pascal[i];
            if (char.IsUpper(c))
            {
                if (i > 0)
                {
                    builder.Append('-');
                }
                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }
        return builder.ToString();
    }

    private static class Names<T> where T : struct, Enum
    {
        public static readonly FrozenDictionary<T, string> ToWire =
            Enum.GetValues<T>().ToFrozenDictionary(v => v, v => Kebab(v.ToString()));

        public static readonly FrozenDictionary<string, T> FromWire =
            ToWire.ToFrozenDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);

        public static readonly string[] InOrder = Enum.GetValues<T>().Select(v => ToWire[v]).ToArray();
    }
}
