using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Mvc;

namespace Whistle.Api.Features.Access;

/// <summary>
/// Answers a refused authorization as an RFC 9457 problem that says why: 401 (no credential, an
/// unknown or revoked key, a bad token) after the scheme's challenge has set <c>WWW-Authenticate</c>;
/// 403 when the credential's role may not take the operation, or it carries no role at all.
/// </summary>
public sealed class AccessProblems(IProblemDetailsService problems) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult result)
    {
        if (result.Challenged && context.Items.ContainsKey(ApiKeyAuthenticationHandler.LookupThrottled))
        {
            // The key was never looked up: say "slow down", not "unknown key", or integrators think it was revoked.
            context.Response.Headers.RetryAfter = "1";
            await WriteAsync(context, StatusCodes.Status429TooManyRequests, "Too many requests",
                "Too many API keys this instance has not seen lately came from this address; retry in a second.");
        }
        else if (result.Challenged)
        {
            await ChallengeAsync(context, policy);
            await WriteAsync(context, StatusCodes.Status401Unauthorized, "Unauthenticated", Unauthenticated(context.Request));
        }
        else if (result.Forbidden)
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await WriteAsync(context, StatusCodes.Status403Forbidden, "Forbidden", Forbidden(context));
        }
        else
        {
            await _default.HandleAsync(next, context, policy, result);
        }
    }

    private static async Task ChallengeAsync(HttpContext context, AuthorizationPolicy policy)
    {
        if (policy.AuthenticationSchemes.Count == 0)
        {
            await context.ChallengeAsync();
            return;
        }
        foreach (var scheme in policy.AuthenticationSchemes)
        {
            await context.ChallengeAsync(scheme);
        }
    }

    private static string Unauthenticated(HttpRequest request)
    {
        if (ApiKeyAuthenticationHandler.KeyOf(request) is not null)
        {
            return "The API key is unknown or has been revoked.";
        }
        if (request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return "The bearer token is not valid here: expired, not yet valid, badly signed, or from another issuer or audience.";
        }
        return $"This endpoint needs a credential: an API key in the {ApiKeys.Header} header, or a JWT in Authorization: Bearer.";
    }

    private static string Forbidden(HttpContext context)
    {
        if (Caller.From(context.User) is not { } caller)
        {
            return $"The credential carries no role this service knows; the '{Caller.RoleClaim}' claim is one of {string.Join(", ", WireName.All<Role>())}.";
        }
        var policies = context.GetEndpoint()?.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy) ?? [];
        if (policies.Contains(AccessSetup.WholeDistrictStatistics))
        {
            return "Only a dashboard, an admin or a supervisor of the whole district reads the district's figures.";
        }
        var operation = Enum.GetValues<Operation>().FirstOrDefault(o => policies.Contains(AccessSetup.PolicyFor(o)));
        return policies.Any(p => p == AccessSetup.PolicyFor(operation))
            ? AccessPolicy.Forbidden(caller, operation).Message
            : $"A {WireName.Of(caller.Role)} credential may not do this.";
    }

    private async Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail };
        // Written whatever the client accepts (see ProblemResponses).
        await problems.WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
    }
}
