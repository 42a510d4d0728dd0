using Whistle.Api.Features.Orders;

namespace Whistle.Api.Features.Photos;

/// <summary>Photos attached to an order after filing: the problem as found, the work, the result, or its return.</summary>
public static class AddPhotos
{
    /// <param name="Photos">The photos this request added.</param>
    /// <param name="Order">The order with them.</param>
    public sealed record Response(IReadOnlyList<PhotoResponse> Photos, OrderResponse Order);

    public sealed record Command(string OrderId, PhotoStage Stage, IReadOnlyList<ProcessedPhoto> Photos, Caller Caller) : ICommand<Response>;

    public sealed class Handler(WhistleDbContext db, IPhotoStore store, TimeProvider clock) : ICommandHandler<Command, Response>
    {
        public async ValueTask<Response> Handle(Command command, CancellationToken cancellationToken)
        {
            var context = new OrderActionContext(null, command.Caller, Operation.AddPhotos);
            List<Photo> added = [];
            var order = await OrderStore.ActAsync(db, command.OrderId, context, async order =>
            {
                PhotoRules.EnsureMayAdd(command.Caller, command.Stage);
                var at = clock.Now();
                added = command.Photos.Select(p => PhotoRules.ToPhoto(p, command.Stage, order.Location, command.Caller.Actor, at)).ToList();
                // The order's rules first (state, limit), so refused photos write nothing; then the bytes, before the rows that refer to them.
                order.AddPhotos(added, command.Caller.Actor, at);
                await PhotoRules.StoreAsync(store, db, command.Photos, cancellationToken);
            }, cancellationToken);
            return new Response(added.Select(PhotoResponse.From).ToList(), order);
        }
    }

    internal static void Map(RouteGroupBuilder orders) =>
        orders.MapPost("/{id}/photos", async Task<Created<Response>> (
                [Description("The order's id or its code (WS-0000042).")] string id,
                HttpContext http, IMediator mediator, PhotoProcessor processor, CancellationToken cancellationToken) =>
            {
                var caller = http.GetCaller();
                var form = await PhotoUploads.ReadFormAsync(http.Request, cancellationToken);
                var stage = PhotoUploads.Stage(form);
                // Refused before any decode: a role never adds this stage.
                PhotoRules.EnsureMayAdd(caller, stage);
                var processed = await PhotoUploads.ProcessFilesAsync(form, processor, required: true, cancellationToken);
                var response = await mediator.Send(new Command(id, stage, processed, caller), cancellationToken);
                http.Response.Headers.ETag = ETags.For(response.Order.Version);
                return TypedResults.Created(response.Photos[0].Url, response with { Order = OrderEndpoints.ForCaller(caller, response.Order) });
            })
            .WithName("AddPhotos")
            .WithSummary("Add photos to an order")
            .WithDescription(
                "multipart/form-data with one or more 'file' parts (JPEG, PNG, WebP or HEIC, judged by decoding; at most " +
                "10 photos per order) and a 'stage' field. discovery: a grid worker or community, while the order is open; " +
                "handling: its department once acknowledged; resolution: its department while acknowledged (before resolve) or resolved; " +
                "evaluation: a grid worker or community while it awaits evaluation or after an unsatisfied one reopened it. " +
                "Each photo is turned upright by its EXIF orientation, shrunk to a long edge of 2048 px, stripped of all metadata " +
                "(its capture time and GPS fix are kept as fields) and given a thumbnail. A file that is not such an image, is " +
                "truncated or is over 50 megapixels is 400; a body over the size limit 413; a state that takes no photos of the " +
                "stage, or a full order, 409; no decoder free in time 503 with Retry-After. Nothing is stored unless all succeed.")
            .WithMetadata(new PhotoUploadEndpoint(), new MultipartPhotos())
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .WithOrderETag(StatusCodes.Status201Created)
            .RequireOperation(Operation.AddPhotos);
}
