using Whistle.Api.Features.Orders;

namespace Whistle.Api.Features.Photos;

/// <summary>
/// An admin withdraws a photo (it shows a face, a licence plate): the order keeps it listed as
/// withdrawn and its history says who and why; the bytes of the image and thumbnail are erased
/// unless another photo that is not withdrawn is the very same image.
/// </summary>
public static class WithdrawPhoto
{
    /// <param name="Reason">Why, for the order's history; up to 2,000 characters.</param>
    public sealed record Body(string? Reason);

    public sealed record Command(string PhotoId, string? Reason, Caller Caller) : ICommand<OrderResponse>;

    public sealed class Validator : AbstractValidator<Command>
    {
        public Validator() => RuleFor(c => c.Reason).NotEmpty().MaximumLength(2000).OverridePropertyName("reason");
    }

    public sealed class Handler(WhistleDbContext db, IPhotoStore store, TimeProvider clock) : ICommandHandler<Command, OrderResponse>
    {
        public async ValueTask<OrderResponse> Handle(Command command, CancellationToken cancellationToken)
        {
            if (!Guid.TryParse(command.PhotoId, out var photoId) || await GetPhoto.FindAsync(db, photoId, cancellationToken) is not var (found, photo))
            {
                throw GetPhoto.NotFound(command.PhotoId);
            }
            var before = store.Now;
            var key = found.Id.ToString();
            var locked = await OrderStore.LockAsync(db, key, cancellationToken);
            AccessPolicy.Ensure(command.Caller, Operation.WithdrawPhoto, locked, key);
            if (!locked.WithdrawPhoto(photoId, command.Reason!.Trim(), command.Caller.Actor, clock.Now()))
            {
                // Withdrawn already (a retry, or another admin first): nothing changes, nothing is written.
                return OrderResponse.From(locked, clock.Now());
            }
            var order = await OrderStore.SaveAsync(db, locked, cancellationToken);
            if (store.Transactional)
            {
                // In the same transaction as the withdrawal: both commit, or neither.
                await PhotoSweep.EraseUnreferencedAsync(db, store, [photo.Hash, photo.ThumbnailHash], before, cancellationToken);
            }
            return order;
        }
    }

    internal static void Map(RouteGroupBuilder photos) =>
        photos.MapPost("/{id}/withdraw", async Task<Ok<OrderResponse>> (
                [Description("The photo's id.")] string id, Body? body, HttpContext http, IMediator mediator, IPhotoStore store,
                IServiceScopeFactory scopes, CancellationToken cancellationToken) =>
            {
                var before = store.Now;
                var order = await mediator.Send(new Command(id, body?.Reason, http.GetCaller()), cancellationToken);
                if (!store.Transactional && order.Photos.FirstOrDefault(p => p.Id.ToString() == id) is { Withdrawn: true })
                {
                    // An object store is erased once the withdrawal has committed (the response is sent after the commit);
                    // should that fail, the photo's bytes are unreferenced and the sweep erases them.
                    http.Response.OnCompleted(async () =>
                    {
                        await using var scope = scopes.CreateAsyncScope();
                        var db = scope.ServiceProvider.GetRequiredService<WhistleDbContext>();
                        if (await GetPhoto.FindAsync(db, Guid.Parse(id), CancellationToken.None) is var (_, photo))
                        {
                            await PhotoSweep.EraseUnreferencedAsync(db, store, [photo.Hash, photo.ThumbnailHash], before, CancellationToken.None);
                        }
                    });
                }
                return OrderEndpoints.Ok(http, order);
            })
            .WithName("WithdrawPhoto")
            .WithSummary("Withdraw a photo")
            .WithDescription(
                "Admin only. The photo stays on the order as withdrawn (without links) and in its history with the reason; " +
                "its image and thumbnail bytes are erased (unless another photo still shows the identical image). " +
                "Withdrawing it again changes nothing.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithOrderETag(StatusCodes.Status200OK)
            .RequireOperation(Operation.WithdrawPhoto);
}
