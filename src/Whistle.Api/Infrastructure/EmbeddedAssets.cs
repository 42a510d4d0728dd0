using System.Security.Cryptography;
using Microsoft.Net.Http.Headers;

namespace Whistle.Api.Infrastructure;

/// <summary>
/// The pages whose files travel inside the assembly (the dashboard, the field app and desk, the published
/// results): one way to read a file, tag it, and send it with a policy that lets nothing but this origin in.
/// </summary>
public static class EmbeddedAssets
{
    /// <summary>The embedded file's bytes; a name the build did not embed stops the service at start.</summary>
    public static byte[] Load(string resource)
    {
        using var stream = typeof(EmbeddedAssets).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"{resource} is not embedded in the assembly.");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>A strong tag of the bytes: a new release is a new tag, an unchanged file a 304.</summary>
    public static EntityTagHeaderValue TagOf(byte[] content) => new($"\"{Convert.ToHexStringLower(SHA256.HashData(content))[..16]}\"");

    public static void Secure(HttpContext http, string contentSecurityPolicy)
    {
        http.Response.Headers.ContentSecurityPolicy = contentSecurityPolicy;
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
    }
}
