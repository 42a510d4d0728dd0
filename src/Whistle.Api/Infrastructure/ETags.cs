using System.Globalization;
using Microsoft.Net.Http.Headers;

namespace Whistle.Api.Infrastructure;

/// <summary>An order's ETag is its version, quoted: <c>"3"</c>.</summary>
public static class ETags
{
    public static string For(int version) => $"\"{version.ToString(CultureInfo.InvariantCulture)}\"";

    /// <summary>
    /// The versions an <c>If-Match</c> header accepts: null for none or <c>*</c> (anything goes).
    /// Weak tags never match, as RFC 9110 requires strong comparison for <c>If-Match</c>.
    /// </summary>
    public static IReadOnlyCollection<int>? ParseIfMatch(string? header)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return null;
        }
        if (!EntityTagHeaderValue.TryParseList([header], out var tags))
        {
            throw new FluentValidation.ValidationException([
                new FluentValidation.Results.ValidationFailure("If-Match", "If-Match must be '*' or entity tags such as \"3\"."),
            ]);
        }
        if (tags.Any(t => t.Equals(EntityTagHeaderValue.Any)))
        {
            return null;
        }
        var versions = new List<int>();
        foreach (var tag in tags)
        {
            if (!tag.IsWeak
                && int.TryParse(tag.Tag.AsSpan(1, tag.Tag.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                versions.Add(version);
            }
        }
        // Tags that cannot be one of ours still count: they simply never match, so the answer is 412.
        return versions;
    }
}
