using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.IdentityModel.Tokens;

namespace Whistle.Api.Features.Access;

/// <summary>JWT bearer settings, under <c>Whistle:Jwt</c>: tokens for people, issued by the district's identity provider.</summary>
public sealed class JwtOptions
{
    public const string Section = "Whistle:Jwt";

    public string? Issuer { get; set; }
    public string? Audience { get; set; }

    /// <summary>Shared secrets (HS256), base64; at least 32 bytes each. Several while rotating.</summary>
    public List<string> SigningKeys { get; set; } = [];

    /// <summary>Public keys (RS256/ES256), PEM. Several while rotating.</summary>
    public List<string> PublicKeys { get; set; } = [];

    public bool Configured => !string.IsNullOrWhiteSpace(Issuer) && !string.IsNullOrWhiteSpace(Audience)
        && (SigningKeys.Count > 0 || PublicKeys.Count > 0);

    /// <summary>Some of it set but not all: a mistake that would quietly turn bearer tokens off, so the service refuses to start.</summary>
    public bool PartlyConfigured => !Configured && (!string.IsNullOrWhiteSpace(Issuer) || !string.IsNullOrWhiteSpace(Audience)
        || SigningKeys.Count > 0 || PublicKeys.Count > 0);

    public IEnumerable<SecurityKey> Keys()
    {
        foreach (var secret in SigningKeys)
        {
            var bytes = Convert.FromBase64String(secret);
            if (bytes.Length < 32)
            {
                throw new InvalidOperationException($"{Section}:SigningKeys: a shared secret must be at least 32 bytes (256 bits); one is {bytes.Length}.");
            }
            yield return new SymmetricSecurityKey(bytes);
        }
        foreach (var pem in PublicKeys)
        {
            yield return PublicKey(pem);
        }
    }

    private static SecurityKey PublicKey(string pem)
    {
        // RSA or EC: the PEM says which by what it holds, so try RSA first.
        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
            return new RsaSecurityKey(rsa);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            rsa.Dispose();
        }
        var ec = ECDsa.Create();
        ec.ImportFromPem(pem);
        return new ECDsaSecurityKey(ec);
    }
}

/// <summary>Authentication (API keys and JWT bearer tokens) and the authorization policies, one per operation.</summary>
public static class AccessSetup
{
    private const string Selector = "Whistle";

    /// <summary>The district's figures as a whole (<c>/metrics</c>): a dashboard, an admin or a district supervisor.</summary>
    public const string WholeDistrictStatistics = "district-statistics";

    public static string PolicyFor(Operation operation) => "op:" + WireName.Of(operation);

    public static IServiceCollection AddWhistleAccess(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<CredentialCache>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, AccessProblems>();
        var jwt = configuration.GetSection(JwtOptions.Section).Get<JwtOptions>() ?? new JwtOptions();

        var authentication = services.AddAuthentication(Selector)
            // One scheme in front: an API key goes to the key handler, anything else to JWT bearer.
            .AddPolicyScheme(Selector, "API key or JWT bearer", options => options.ForwardDefaultSelector = http =>
                ApiKeyAuthenticationHandler.KeyOf(http.Request) is not null || !jwt.Configured
                    ? ApiKeyAuthenticationHandler.SchemeName
                    : JwtBearerDefaults.AuthenticationScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        if (jwt.PartlyConfigured)
        {
            throw new InvalidOperationException($"{JwtOptions.Section} needs Issuer, Audience and at least one of SigningKeys or PublicKeys (or none of them, for API keys only).");
        }
        if (jwt.Configured)
        {
            var keys = jwt.Keys().ToArray();
            authentication.AddJwtBearer(options =>
            {
                // Keep the token's own claim names (role, department, …): they are the same ones API keys carry.
                options.MapInboundClaims = false;
                options.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = jwt.Issuer,
                    ValidAudience = jwt.Audience,
                    IssuerSigningKeys = keys,
                    // Only the algorithms of the keys configured: no "none", nothing unexpected.
                    ValidAlgorithms = keys.SelectMany(Algorithms).Distinct().ToArray(),
                    NameClaimType = Caller.NameClaim,
                    RoleClaimType = Caller.RoleClaim,
                    ClockSkew = TimeSpan.FromMinutes(1),
                };
                options.Events = new JwtBearerEvents
                {
                    // A well-formed scope that names no code the district knows is a token from elsewhere, or a mistake: 401.
                    OnTokenValidated = async context =>
                    {
                        if (Caller.From(context.Principal!) is { } caller && await UnknownScopeAsync(context.HttpContext, caller) is { } unknown)
                        {
                            context.Fail($"The token's '{unknown}' claim names a code the district does not know.");
                        }
                    },
                };
            });
        }

        services.AddAuthorization(options =>
        {
            // Every endpoint needs a credential with a role unless it says otherwise (health, documents, the dashboard's page).
            options.FallbackPolicy = new AuthorizationPolicyBuilder(Selector)
                .RequireAuthenticatedUser()
                .RequireAssertion(context => Caller.From(context.User) is not null)
                .Build();
            options.AddPolicy(WholeDistrictStatistics, policy => policy
                .AddAuthenticationSchemes(Selector)
                .RequireAuthenticatedUser()
                .RequireAssertion(context => Caller.From(context.User) is { Role: Role.Dashboard or Role.Admin } or { Role: Role.Supervisor, StreetCode: null }));
            foreach (var operation in Enum.GetValues<Operation>())
            {
                options.AddPolicy(PolicyFor(operation), policy => policy
                    .AddAuthenticationSchemes(Selector)
                    .RequireAuthenticatedUser()
                    .RequireAssertion(context => Caller.From(context.User) is { } caller && AccessPolicy.Permits(caller.Role, operation)));
            }
        });
        return services;
    }

    /// <summary>The claim whose code no street, community, department or grid has; null when all are known.</summary>
    private static async Task<string?> UnknownScopeAsync(HttpContext http, Caller caller)
    {
        var reference = http.RequestServices.GetRequiredService<ReferenceCache>();
        var db = http.RequestServices.GetRequiredService<WhistleDbContext>();
        var ct = http.RequestAborted;
        if (caller.StreetCode is { } street && !await reference.StreetExistsAsync(db, street, ct))
        {
            return Caller.StreetClaim;
        }
        if (caller.CommunityCode is { } community && !await reference.CommunityExistsAsync(db, community, ct))
        {
            return Caller.CommunityClaim;
        }
        if (caller.DepartmentCode is { } department && !await reference.DepartmentExistsAsync(db, department, ct))
        {
            return Caller.DepartmentClaim;
        }
        foreach (var grid in caller.Grids)
        {
            if (await reference.GridAsync(db, grid, ct) is null)
            {
                return Caller.GridClaim;
            }
        }
        return null;
    }

    private static string[] Algorithms(SecurityKey key) => key switch
    {
        SymmetricSecurityKey => [SecurityAlgorithms.HmacSha256, SecurityAlgorithms.HmacSha384, SecurityAlgorithms.HmacSha512],
        RsaSecurityKey => [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
            SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512],
        _ => [SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512],
    };

    /// <summary>Only callers whose role the policy table permits for the operation reach the endpoint (403 otherwise).</summary>
    public static TBuilder RequireOperation<TBuilder>(this TBuilder builder, Operation operation) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(PolicyFor(operation));

    /// <summary>The authenticated caller; endpoints behind the fallback policy always have one.</summary>
    public static Caller GetCaller(this HttpContext http) =>
        Caller.From(http.User) ?? throw new InvalidOperationException("No authenticated caller: the endpoint must not allow anonymous access.");
}
