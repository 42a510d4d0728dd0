namespace Whistle.Api.Features.Credentials;

/// <summary>One API key's record, revoked or not.</summary>
public static class GetCredential
{
    public sealed record Query(Guid Id) : IQuery<CredentialResponse>;

    public sealed class Handler(WhistleDbContext db) : IQueryHandler<Query, CredentialResponse>
    {
        public async ValueTask<CredentialResponse> Handle(Query query, CancellationToken cancellationToken) =>
            CredentialResponse.From(await db.Credentials.AsNoTracking().SingleOrDefaultAsync(c => c.Id == query.Id, cancellationToken)
                ?? throw NotFound(query.Id));
    }

    internal static NotFoundException NotFound(Guid id) => new($"No credential has the id '{id}'.");

    internal static void Map(RouteGroupBuilder credentials) =>
        credentials.MapGet("/{id:guid}", async Task<Ok<CredentialResponse>> (Guid id, IMediator mediator, CancellationToken cancellationToken) =>
                TypedResults.Ok(await mediator.Send(new Query(id), cancellationToken)))
            .WithName("GetCredential")
            .WithSummary("Get an API key's record")
            .WithDescription("Admins only. Never the key, only its prefix.")
            .ProducesProblem(StatusCodes.Status404NotFound);
}
