using System.Security.Claims;

namespace Whistle.Api.Features.Access;

/// <summary>What a credential is for. Wire names are kebab-case (<c>grid-worker</c>).</summary>
public enum Role
{
    /// <summary>Files and follows orders in their grids (or their whole community).</summary>
    GridWorker,

    /// <summary>Community staff: the same work as grid workers, over the whole community.</summary>
    Community,

    /// <summary>A department's system or staff: the orders currently assigned to that department.</summary>
    Department,

    /// <summary>Presses departments (督办) over a street, or over the whole district when bound to none.</summary>
    Supervisor,

    /// <summary>Manages reference data and credentials; the district's operations desk, acting on any order.</summary>
    Admin,

    /// <summary>Reads statistics and nothing else.</summary>
    Dashboard,

    /// <summary>
    /// An outside civic reporting app (FixMyStreet, a city's 311 app) speaking Open311 under <c>/open311/v2/</c>: it files
    /// residents' reports in its grids, its community or (bound to neither) the whole district, and follows the reports it
    /// filed itself; nothing of the native API beyond that.
    /// </summary>
    ReportingApp,
}

/// <summary>
/// Who is calling, as established by authentication (an API key or a JWT bearer token): the role
/// and the part of the district it is bound to. Handlers ask <see cref="AccessPolicy"/> what it
/// may do; history records <see cref="Actor"/>.
/// </summary>
public sealed record Caller(
    string Id,
    string Name,
    Role Role,
    string? DepartmentCode = null,
    string? CommunityCode = null,
    string? StreetCode = null,
    IReadOnlyList<string>? GridCodes = null,
    bool ByToken = false)
{
    // Claim names shared by API keys and JWT bearer tokens (the JWT handler keeps them unmapped).
    public const string IdClaim = "sub";
    public const string NameClaim = "name";
    public const string RoleClaim = "role";
    public const string DepartmentClaim = "department";
    public const string CommunityClaim = "community";
    public const string StreetClaim = "street";
    public const string GridClaim = "grid";

    /// <summary>A JWT supervisor's <c>street</c> claim for the whole district (an API key says so by naming no street).</summary>
    public const string WholeDistrict = "*";

    public IReadOnlyList<string> Grids => GridCodes ?? [];

    /// <summary>Who an order's history records for this caller's changes: its name, and the credential (<c>key:</c> id, <c>token:</c> subject).</summary>
    public Actor Actor => new(Name, (ByToken ? "token:" : "key:") + Id);

    /// <summary>
    /// The caller an authenticated principal stands for; null (so 403) when it carries no valid
    /// role, no subject (idempotency keys and history need to know who it is), or a scope that does
    /// not fit the role: a token whose identity provider left out a claim must not fail open.
    /// </summary>
    public static Caller? From(ClaimsPrincipal user)
    {
        if (user.Identity?.IsAuthenticated != true
            || user.FindAll(RoleClaim).ToList() is not [{ } roleClaim]
            || !WireName.TryParse<Role>(roleClaim.Value, out var role)
            || user.FindFirst(IdClaim)?.Value is not { Length: > 0 and <= MaxIdLength } id)
        {
            return null;
        }
        var name = user.FindFirst(NameClaim)?.Value ?? user.FindFirst("preferred_username")?.Value ?? id;
        // An order keeps 100 characters of a name (a key's name is at most that already).
        name = name.Length > Actor.MaxNameLength ? name[..Actor.MaxNameLength] : name;
        // API keys were checked when created, and carry no street for a district supervisor; a token must say "*".
        var fromKey = user.Identity.AuthenticationType == ApiKeyAuthenticationHandler.SchemeName;
        if (!Single(user, DepartmentClaim, out var department) || !Single(user, CommunityClaim, out var community)
            || !Single(user, StreetClaim, out var street)
            || user.FindAll(GridClaim).ToList() is var grids && !grids.All(IsCode))
        {
            return null;
        }
        if (role == Role.Supervisor && !fromKey && street is null)
        {
            return null;
        }
        var caller = new Caller(
            id,
            name,
            role,
            department,
            community,
            street == WholeDistrict ? null : street,
            grids.Select(c => c.Value).ToArray(),
            ByToken: !fromKey);
        return caller.HasScopeForRole() ? caller : null;
    }

    /// <summary>
    /// The longest subject a caller may have: it is kept, as <c>token:</c> and the subject beside a
    /// 100-character name, in 200-character columns (who created a key, who changed reference data, whose webhook).
    /// </summary>
    public const int MaxIdLength = 90;

    /// <summary>
    /// A scope claim: absent (null), or one code as a JSON string. Several values (a JSON array), an empty
    /// or blank text, or another JSON type (null, a number, an object) is no scope at all: refused, never
    /// read as its first value nor as "no street" (which would widen a supervisor to the whole district).
    /// </summary>
    private static bool Single(ClaimsPrincipal user, string type, out string? value)
    {
        value = null;
        switch (user.FindAll(type).ToList())
        {
            case []:
                return true;
            case [var only] when IsCode(only):
                value = only.Value;
                return true;
            default:
                return false;
        }
    }

    private static bool IsCode(Claim claim) =>
        claim.ValueType == ClaimValueTypes.String && claim.Value.Length is > 0 and <= 50 && claim.Value.Trim() == claim.Value;

    /// <summary>Whether the scope is what the role is bound to (the same rule as creating a key).</summary>
    public bool HasScopeForRole() => Role switch
    {
        Role.GridWorker => CommunityCode is not null || Grids.Count > 0,
        Role.Community => CommunityCode is not null,
        Role.Department => DepartmentCode is not null,
        _ => true,
    };

    /// <summary>The claims an API key's caller is authenticated with (the same a JWT would carry).</summary>
    public IEnumerable<Claim> ToClaims()
    {
        yield return new Claim(IdClaim, Id);
        yield return new Claim(NameClaim, Name);
        yield return new Claim(RoleClaim, WireName.Of(Role));
        if (DepartmentCode is not null)
        {
            yield return new Claim(DepartmentClaim, DepartmentCode);
        }
        if (CommunityCode is not null)
        {
            yield return new Claim(CommunityClaim, CommunityCode);
        }
        if (StreetCode is not null)
        {
            yield return new Claim(StreetClaim, StreetCode);
        }
        foreach (var grid in Grids)
        {
            yield return new Claim(GridClaim, grid);
        }
    }
}
