using Microsoft.OpenApi;

namespace Whistle.Api.Features.Credentials;

/// <summary>The district's API keys (never the keys themselves), oldest first.</summary>
public static class ListCredentials
{
    public sealed record Query(string? Role, bool IncludeRevoked) : IQuery<IReadOnlyList<CredentialResponse>>;

    public sealed class Validator : AbstractValidator<Query>
    {
        public Validator() =>
            RuleFor(q => q.Role)
                .Must(role => role is null || WireName.TryParse<Role>(role, out _))
                .WithMessage($"'role' is one of {string.Join(", ", WireName.All<Role>())}.")
                .OverridePropertyName("role");
    }

    public sealed class Handler(WhistleDbContext db) : IQueryHandler<Query, IReadOnlyList<CredentialResponse>>
    {
        public async ValueTask<IReadOnlyList<CredentialResponse>> Handle(Query query, CancellationToken cancellationToken)
        {
            Role? role = query.Role is null ? null : WireName.Parse<Role>(query.Role);
            var credentials = await db.Credentials.AsNoTracking()
                .Where(c => role == null || c.Role == role)
                .Where(c => query.IncludeRevoked || c.RevokedAt == null)
                .OrderBy(c => c.CreatedAt).ThenBy(c => c.Id)
                .ToListAsync(cancellationToken);
            return credentials.Select(CredentialResponse.From).ToList();
        }
    }

    internal static void Map(RouteGroupBuilder credentials) =>
        credentials.MapGet("/", async Task<Ok<IReadOnlyList<CredentialResponse>>> (
                [Description("Only credentials of this role (grid-worker, community, department, supervisor, admin, dashboard)."), DocumentedAs(JsonSchemaType.String, OneOf = typeof(Role))] string? role,
                [Description("Also revoked credentials (false by default).")] bool? includeRevoked,
                IMediator mediator, CancellationToken cancellationToken) =>
                TypedResults.Ok(await mediator.Send(new Query(role, includeRevoked ?? false), cancellationToken)))
            .WithName("ListCredentials")
            .WithSummary("List API keys")
            .WithDescription("Admins only. Working keys by default, oldest first; never the keys, only their prefixes.")
            .ProducesValidationProblem();
}
