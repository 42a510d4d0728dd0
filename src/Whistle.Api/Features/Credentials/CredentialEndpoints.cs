namespace Whistle.Api.Features.Credentials;

/// <summary>The credential resource, <c>/api/v1/credentials</c>: API keys, managed by admins.</summary>
public static class CredentialEndpoints
{
    public static RouteGroupBuilder MapCredentials(this IEndpointRouteBuilder app)
    {
        // The caller's own credential, for any role (the rest of the resource is the admins').
        GetMe.Map(app);
        var credentials = app.MapGroup("/api/v1/credentials").WithTags("Credentials")
            .RequireOperation(Operation.ManageCredentials)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        CreateCredential.Map(credentials);
        ListCredentials.Map(credentials);
        GetCredential.Map(credentials);
        RevokeCredential.Map(credentials);
        return credentials;
    }
}

/// <summary>An API key's record as the admin API shows it: never the key, only its first characters.</summary>
/// <param name="Id">The credential's id; history and idempotency keys know the caller by it.</param>
/// <param name="Name">Who or what the key is for; history records it as the actor of every change made with it.</param>
/// <param name="Role">What the key may do (the policy table).</param>
/// <param name="DepartmentCode">A department key's department.</param>
/// <param name="CommunityCode">A community key's community, or a grid worker's whole community.</param>
/// <param name="StreetCode">A supervisor's street; none for the whole district.</param>
/// <param name="GridCodes">A grid worker's grids.</param>
/// <param name="KeyPrefix">The key's first characters (wk_ and 8 more), to tell keys apart.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="CreatedBy">Who created it (an admin's name, or "command line").</param>
/// <param name="RevokedAt">When it was revoked; null while it works.</param>
/// <param name="RevokedBy">Who revoked it.</param>
public sealed record CredentialResponse(
    Guid Id, string Name, Role Role, string? DepartmentCode, string? CommunityCode, string? StreetCode, IReadOnlyList<string> GridCodes,
    string KeyPrefix, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? RevokedAt, string? RevokedBy)
{
    public static CredentialResponse From(Credential c) =>
        new(c.Id, c.Name, c.Role, c.DepartmentCode, c.CommunityCode, c.StreetCode, c.GridCodes,
            c.KeyPrefix, c.CreatedAt, c.CreatedBy, c.RevokedAt, c.RevokedBy);
}
