namespace Whistle.Api.Features.Credentials;

/// <summary>
/// Who the caller is: the role and the part of the district its credential (API key or JWT) is bound
/// to, named, and every operation the policy table permits the role, so an app shows only what this
/// person may do.
/// </summary>
public static class GetMe
{
    /// <param name="Id">The credential's id (an API key's), or the token's subject.</param>
    /// <param name="Name">Who the credential is for; history records it as the actor.</param>
    /// <param name="Role">What the credential may do.</param>
    /// <param name="ByToken">Whether the caller came with a JWT bearer token rather than an API key.</param>
    /// <param name="DepartmentCode">The department a department credential acts for; null when not bound to one.</param>
    /// <param name="DepartmentName">That department's name; null when not bound or the code is unknown.</param>
    /// <param name="CommunityCode">A community's, or a grid worker's whole community; null when not bound to one.</param>
    /// <param name="StreetCode">A supervisor's street; null for the whole district or when not bound to one.</param>
    /// <param name="GridCodes">A grid worker's grids; empty when bound to none.</param>
    /// <param name="Operations">Every operation the policy table permits the role. Where an order is concerned, its
    /// allowedActions still decide (state and scope); this list only tells an app which screens to offer.</param>
    public sealed record Response(
        string Id, string Name, Role Role, bool ByToken,
        string? DepartmentCode, string? DepartmentName,
        string? CommunityCode, string? CommunityName,
        string? StreetCode, string? StreetName,
        IReadOnlyList<string> GridCodes,
        IReadOnlyList<Operation> Operations);

    public sealed record Query(Caller Caller) : IQuery<Response>;

    public sealed class Handler(WhistleDbContext db, ReferenceCache reference) : IQueryHandler<Query, Response>
    {
        public async ValueTask<Response> Handle(Query query, CancellationToken cancellationToken)
        {
            var caller = query.Caller;
            var department = caller.DepartmentCode is { } d ? await reference.DepartmentAsync(db, d, cancellationToken) : null;
            var community = caller.CommunityCode is { } c ? await reference.CommunityAsync(db, c, cancellationToken) : null;
            var street = caller.StreetCode is { } s ? await reference.StreetAsync(db, s, cancellationToken) : null;
            return new Response(
                caller.Id, caller.Name, caller.Role, caller.ByToken,
                caller.DepartmentCode, department?.Name,
                caller.CommunityCode, community?.Name,
                caller.StreetCode, street?.Name,
                caller.Grids,
                AccessPolicy.PermittedTo(caller.Role));
        }
    }

    internal static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/me", async Task<Ok<Response>> (IMediator mediator, HttpContext http, CancellationToken cancellationToken) =>
            {
                var me = await mediator.Send(new Query(http.GetCaller()), cancellationToken);
                // Who holds the credential is nobody else's to keep: not a shared cache's, not the browser's.
                http.Response.Headers.CacheControl = "no-store";
                return TypedResults.Ok(me);
            })
            .WithTags("Credentials")
            .WithName("GetMe")
            .WithSummary("Who the caller is")
            .WithDescription("Any credential: its role, the department, community, street and grids it is bound to (codes and names, " +
                "null when not bound), and the operations the policy table permits the role (kebab-case, as file-order, read-orders, " +
                "whistle). Without a credential 401.")
            .WithResponseHeader(StatusCodes.Status200OK, "Cache-Control", "no-store: the answer describes the credential.")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
}
