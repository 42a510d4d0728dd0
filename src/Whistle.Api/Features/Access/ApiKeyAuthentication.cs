using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Whistle.Api.Features.Access;

/// <summary>
/// Authenticates <c>X-Api-Key: wk_…</c> (or <c>Authorization: Bearer wk_…</c>, for tools that
/// only send bearer tokens, such as Prometheus) against the stored key hashes.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, CredentialCache credentials, RateLimits limits)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    /// <summary>Set on a request whose key could not be looked up because its address spent its lookups (answered 429).</summary>
    public const string LookupThrottled = "whistle.api-key-lookup-throttled";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var key = KeyOf(Request);
        if (key is null)
        {
            return AuthenticateResult.NoResult();
        }
        if (!ApiKeys.LooksLikeKey(key))
        {
            return AuthenticateResult.Fail("The API key is unknown or revoked.");
        }
        if (!credentials.TryRecall(key, out var caller))
        {
            // A key this instance has not seen lately: its address pays a token before the store is asked.
            if (!limits.MayLookUpKey(Context))
            {
                Context.Items[LookupThrottled] = true;
                return AuthenticateResult.Fail("Too many unknown API keys from this address.");
            }
            caller = await credentials.LookUpAsync(key, Context.RequestAborted);
        }
        if (caller is null)
        {
            return AuthenticateResult.Fail("The API key is unknown or revoked.");
        }
        var identity = new ClaimsIdentity(caller.ToClaims(), SchemeName, Caller.NameClaim, Caller.RoleClaim);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "ApiKey header=\"X-Api-Key\", Bearer";
        return Task.CompletedTask;
    }

    /// <summary>The API key the request carries, if it carries one.</summary>
    public static string? KeyOf(HttpRequest request)
    {
        // An empty header is no key: a bearer token beside it still counts.
        if (request.Headers.TryGetValue(ApiKeys.Header, out var header) && header.ToString().Trim() is { Length: > 0 } key)
        {
            return key;
        }
        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer " + ApiKeys.Prefix, StringComparison.Ordinal) ? authorization["Bearer ".Length..].Trim() : null;
    }
}
