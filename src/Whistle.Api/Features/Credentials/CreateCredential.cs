using FluentValidation.Results;
using Whistle.Api.Infrastructure.Idempotency;

namespace Whistle.Api.Features.Credentials;

/// <summary>
/// An admin (or the command line) creates an API key bound to a role and a part of the district.
/// The key is in the answer and nowhere else: only its hash is stored.
/// </summary>
public static class CreateCredential
{
    /// <param name="Role">grid-worker, community, department, supervisor, admin, dashboard or reporting-app (an outside Open311 app).</param>
    /// <param name="Name">Who or what the key is for, up to 100 characters (orders keep it as who filed them); history records it as the actor. By default the role, scope and key prefix.</param>
    /// <param name="DepartmentCode">Required for a department key, and only for it.</param>
    /// <param name="CommunityCode">Required for a community key; for a grid worker or a reporting app, the whole community instead of (or besides) grids.</param>
    /// <param name="StreetCode">A supervisor's street; a supervisor without one oversees the whole district.</param>
    /// <param name="GridCodes">A grid worker's grids; a reporting app's, if it reports in some grids only (bound to no grid nor community, it reports in the whole district).</param>
    public sealed record Request(
        Role? Role, string? Name = null, string? DepartmentCode = null, string? CommunityCode = null, string? StreetCode = null,
        IReadOnlyList<string>? GridCodes = null);

    /// <param name="CreatedBy">Who asks: the admin's name, or "command line".</param>
    public sealed record Command(Request Credential, string CreatedBy) : ICommand<Created>;

    /// <summary>The new credential and its key, which is shown only here.</summary>
    /// <param name="Key">The API key: send it as X-Api-Key. It is not stored and cannot be shown again: null in a replay of the same Idempotency-Key.</param>
    public sealed record Created(
        Guid Id, string Name, Role Role, string? DepartmentCode, string? CommunityCode, string? StreetCode, IReadOnlyList<string> GridCodes,
        string KeyPrefix, DateTimeOffset CreatedAt, string CreatedBy, string? Key);

    /// <summary>The shape of a credential's scope for its role; whether the codes exist is asked of the store by the handler.</summary>
    public sealed class Validator : AbstractValidator<Command>
    {
        public Validator()
        {
            RuleFor(c => c.Credential.Role).NotNull().IsInEnum().OverridePropertyName("role");
            RuleFor(c => c.Credential.Name).MaximumLength(Actor.MaxNameLength).OverridePropertyName("name");
            RuleFor(c => c.Credential.DepartmentCode).MaximumLength(50).Must(Given).WithMessage(Blank).OverridePropertyName("departmentCode");
            RuleFor(c => c.Credential.CommunityCode).MaximumLength(50).Must(Given).WithMessage(Blank).OverridePropertyName("communityCode");
            // An empty street is not "no street": a supervisor for the whole district leaves the field out.
            RuleFor(c => c.Credential.StreetCode).MaximumLength(50).Must(Given).WithMessage(Blank).OverridePropertyName("streetCode");
            RuleForEach(c => c.Credential.GridCodes).NotEmpty().MaximumLength(50).OverridePropertyName("gridCodes");
            RuleFor(c => c.Credential.GridCodes).Must(g => g is null || g.Count <= 100).WithMessage("At most 100 grids.").OverridePropertyName("gridCodes");

            When(c => c.Credential.Role == Role.Department, () =>
                RuleFor(c => c.Credential.DepartmentCode).NotEmpty().WithMessage("A department credential names its department.").OverridePropertyName("departmentCode"));
            When(c => c.Credential.Role == Role.Community, () =>
                RuleFor(c => c.Credential.CommunityCode).NotEmpty().WithMessage("A community credential names its community.").OverridePropertyName("communityCode"));
            When(c => c.Credential.Role == Role.GridWorker, () =>
                RuleFor(c => c.Credential.GridCodes)
                    .Must((c, grids) => grids is { Count: > 0 } || !string.IsNullOrWhiteSpace(c.Credential.CommunityCode))
                    .WithMessage("A grid worker's credential names its grids, or its community.").OverridePropertyName("gridCodes"));

            // A code the role does not use would look like a scope but bind nothing: refuse it.
            NotFor(c => c.Credential.DepartmentCode, "departmentCode", Role.Department);
            NotFor(c => c.Credential.CommunityCode, "communityCode", Role.Community, Role.GridWorker, Role.ReportingApp);
            NotFor(c => c.Credential.StreetCode, "streetCode", Role.Supervisor);
            RuleFor(c => c.Credential.GridCodes)
                .Must((c, grids) => grids is not { Count: > 0 } || c.Credential.Role is Role.GridWorker or Role.ReportingApp)
                .WithMessage(c => $"A {Describe(c.Credential.Role)} credential is not bound to grids.").OverridePropertyName("gridCodes");
        }

        /// <summary>A code is named or left out (null); empty or blank is neither, and must not silently widen the scope.</summary>
        private static bool Given(string? code) => code is null || !string.IsNullOrWhiteSpace(code);

        private const string Blank = "Name a code, or leave the field out; an empty or blank code is not a scope.";

        private void NotFor(System.Linq.Expressions.Expression<Func<Command, string?>> code, string field, params Role[] roles) =>
            RuleFor(code)
                .Must((c, value) => string.IsNullOrEmpty(value) || c.Credential.Role is not { } role || roles.Contains(role))
                .WithMessage(c => $"A {Describe(c.Credential.Role)} credential is not bound to a {field[..^4]}.")
                .OverridePropertyName(field);

        private static string Describe(Role? role) => role is { } r ? Whistle.Domain.Orders.WireName.Of(r) : "";
    }

    public sealed class Handler(WhistleDbContext db, TimeProvider clock) : ICommandHandler<Command, Created>
    {
        public async ValueTask<Created> Handle(Command command, CancellationToken cancellationToken)
        {
            var request = command.Credential;
            await EnsureCodesExistAsync(db, request, cancellationToken);
            var grids = request.GridCodes?.Select(g => g.Trim()).Distinct().ToArray();
            var (c, key) = await CredentialStore.CreateAsync(db,
                new NewCredential(request.Role!.Value, request.Name, Blank(request.DepartmentCode), Blank(request.CommunityCode), Blank(request.StreetCode), grids),
                command.CreatedBy, clock.GetUtcNow(), cancellationToken);
            return new Created(c.Id, c.Name, c.Role, c.DepartmentCode, c.CommunityCode, c.StreetCode, c.GridCodes,
                c.KeyPrefix, c.CreatedAt, c.CreatedBy, key);
        }

        private static string? Blank(string? code) => string.IsNullOrWhiteSpace(code) ? null : code.Trim();
    }

    /// <summary>Unknown codes are field errors (400), as they are when filing an order.</summary>
    private static async Task EnsureCodesExistAsync(WhistleDbContext db, Request request, CancellationToken cancellationToken)
    {
        var unknown = new List<ValidationFailure>();
        if (!string.IsNullOrWhiteSpace(request.DepartmentCode)
            && !await db.Departments.AnyAsync(d => d.Code == request.DepartmentCode.Trim(), cancellationToken))
        {
            unknown.Add(new("departmentCode", $"No department has the code '{request.DepartmentCode}'."));
        }
        if (!string.IsNullOrWhiteSpace(request.CommunityCode)
            && !await db.Communities.AnyAsync(c => c.Code == request.CommunityCode.Trim(), cancellationToken))
        {
            unknown.Add(new("communityCode", $"No community has the code '{request.CommunityCode}'."));
        }
        if (!string.IsNullOrWhiteSpace(request.StreetCode)
            && !await db.Streets.AnyAsync(s => s.Code == request.StreetCode.Trim(), cancellationToken))
        {
            unknown.Add(new("streetCode", $"No street has the code '{request.StreetCode}'."));
        }
        if (request.GridCodes is { Count: > 0 })
        {
            var asked = request.GridCodes.Select(g => g.Trim()).Distinct().ToList();
            var known = await db.Grids.Where(g => asked.Contains(g.Code)).Select(g => g.Code).ToListAsync(cancellationToken);
            unknown.AddRange(asked.Except(known).Select(g => new ValidationFailure("gridCodes", $"No grid has the code '{g}'.")));
        }
        if (unknown.Count > 0)
        {
            throw new ValidationException(unknown);
        }
    }

    internal static void Map(RouteGroupBuilder credentials) =>
        credentials.MapPost("/", async Task<Created<Created>> (Request request, IMediator mediator, HttpContext http, CancellationToken cancellationToken) =>
            {
                var created = await mediator.Send(new Command(request, http.GetCaller().Actor.Signature), cancellationToken);
                // The key must not linger in a cache on the way.
                http.Response.Headers.CacheControl = "no-store";
                return TypedResults.Created($"/api/v1/credentials/{created.Id}", created);
            })
            .WithName("CreateCredential")
            .WithSummary("Create an API key")
            .WithDescription("Admins only. The answer carries the key, shown only this once (only its hash is kept): store it then. " +
                "The scope must fit the role: a department key names a department, a community key a community, a grid worker's grids " +
                "and/or community, a supervisor's a street or none (the whole district), a reporting app's grids and/or a community or none (the whole district); " +
                "admin and dashboard keys have none. " +
                "With an Idempotency-Key, a replay answers the same credential with key null: the key is never stored, so a " +
                "client that lost the first answer revokes this credential and creates another.")
            .WithMetadata(new SecretInResponseAttribute("key"))
            .ProducesValidationProblem();
}
