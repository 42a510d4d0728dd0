using System.Security.Cryptography;
using System.Text;

namespace Whistle.Api.Features.Access;

/// <summary>
/// An API key's record: the role and scope it grants and a hash of the key. The key itself is
/// shown once, when it is created, and never stored.
/// </summary>
public sealed class Credential
{
    public Guid Id { get; init; }
    public string Name { get; init; } = "";
    public Role Role { get; init; }
    public string? DepartmentCode { get; init; }
    public string? CommunityCode { get; init; }
    public string? StreetCode { get; init; }
    public List<string> GridCodes { get; init; } = [];

    /// <summary>The key's first characters, so people can tell their keys apart without the secret.</summary>
    public string KeyPrefix { get; init; } = "";

    public byte[] KeyHash { get; init; } = [];
    public DateTimeOffset CreatedAt { get; init; }
    public string CreatedBy { get; init; } = "";
    public DateTimeOffset? RevokedAt { get; set; }
    public string? RevokedBy { get; set; }

    public Caller ToCaller() => new(Id.ToString(), Name, Role, DepartmentCode, CommunityCode, StreetCode, GridCodes);
}

/// <summary>How API keys look and how they are hashed.</summary>
public static class ApiKeys
{
    public const string Header = "X-Api-Key";
    public const string Prefix = "wk_";
    public const int PrefixLength = 11;

    /// <summary>A new key: <c>wk_</c> and 256 random bits, base64url.</summary>
    public static string NewKey() => Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// SHA-256 of the key. Keys are 256 random bits, so a fast hash is enough (there is nothing to
    /// guess), and it lets every request find its credential by an index lookup.
    /// </summary>
    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    public static bool LooksLikeKey(string key) => key.StartsWith(Prefix, StringComparison.Ordinal) && key.Length is > PrefixLength and < 200;

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
