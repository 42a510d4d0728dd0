namespace Whistle.Api.Features.Credentials;

/// <summary>
/// Revokes an API key: it stops working at once on the instance that revokes it, and on the others
/// within <see cref="CredentialCache.Lifetime"/>. The record stays, for history's sake.
/// </summary>
public static class RevokeCredential
{
    public sealed record Command(Guid Id, string RevokedBy) : ICommand<CredentialResponse>;

    public sealed class Handler(WhistleDbContext db, TimeProvider clock) : ICommandHandler<Command, CredentialResponse>
    {
        public async ValueTask<CredentialResponse> Handle(Command command, CancellationToken cancellationToken)
        {
            var credential = await db.Credentials.SingleOrDefaultAsync(c => c.Id == command.Id, cancellationToken)
                ?? throw GetCredential.NotFound(command.Id);
            // Revoking twice changes nothing: the first revocation's time and author stand.
            if (credential.RevokedAt is null)
            {
                credential.RevokedAt = clock.GetUtcNow();
                credential.RevokedBy = command.RevokedBy;
                await db.SaveChangesAsync(cancellationToken);
            }
            return CredentialResponse.From(credential);
        }
    }

    internal static void Map(RouteGroupBuilder credentials) =>
        credentials.MapPost("/{id:guid}/revoke", async Task<Ok<CredentialResponse>> (
                Guid id, IMediator mediator, CredentialCache cache, HttpContext http, CancellationToken cancellationToken) =>
            {
                var revoked = await mediator.Send(new Command(id, http.GetCaller().Actor.Signature), cancellationToken);
                // Forgotten now and again once the response has gone, which is after every commit (with an
                // Idempotency-Key the change commits after this handler): a lookup in between could have
                // read the row before the revocation committed and cached the key once more.
                cache.Forget(id);
                http.Response.OnCompleted(() =>
                {
                    cache.Forget(id);
                    return Task.CompletedTask;
                });
                return TypedResults.Ok(revoked);
            })
            .WithName("RevokeCredential")
            .WithSummary("Revoke an API key")
            .WithDescription("Admins only. The key is refused (401) from now on by this instance, and by other instances within 30 seconds. " +
                "Revoking a revoked key changes nothing and answers the same record.")
            .ProducesProblem(StatusCodes.Status404NotFound);
}
