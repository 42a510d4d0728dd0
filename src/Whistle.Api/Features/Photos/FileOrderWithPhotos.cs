using System.Text.Json;
using FluentValidation.Results;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;

using Whistle.Api.Features.Orders;

namespace Whistle.Api.Features.Photos;

/// <summary>
/// "Snap and report" (随手拍): the filing and its photos in one request, <c>POST /api/v1/orders</c> as
/// multipart/form-data with the order's JSON in the part <c>order</c> and the photos in <c>file</c>
/// parts. The order and its photos commit together; Idempotency-Key makes the retry safe.
/// </summary>
public static class FileOrderWithPhotos
{
    public sealed record Command(FileOrder.Command Filing, IReadOnlyList<ProcessedPhoto> Photos) : ICommand<OrderResponse>;

    public sealed class Handler(WhistleDbContext db, ReferenceCache reference, IPhotoStore store, TimeProvider clock, IOptions<Geo.GeoOptions> geo)
        : ICommandHandler<Command, OrderResponse>
    {
        public async ValueTask<OrderResponse> Handle(Command command, CancellationToken cancellationToken)
        {
            var filing = new FileOrder.Handler(db, reference, clock, geo);
            var (_, filed) = await SaveFiledAsync(filing, db, store, command.Filing, command.Photos, cancellationToken, possibleDuplicates: true);
            return filed;
        }
    }

    /// <summary>
    /// The order filed with its discovery photos and saved: the steps an Open311 filing takes too (whose answer names no
    /// possible duplicates, so it does not search for them).
    /// </summary>
    internal static async Task<(Order Order, OrderResponse Filed)> SaveFiledAsync(
        FileOrder.Handler filing, WhistleDbContext db, IPhotoStore store, FileOrder.Command command, IReadOnlyList<ProcessedPhoto> photos,
        CancellationToken cancellationToken, bool possibleDuplicates = false)
    {
        var order = await filing.FileAsync(command, cancellationToken);
        var actor = command.Caller.Actor;
        order.AddPhotos(photos.Select(p => PhotoRules.ToPhoto(p, PhotoStage.Discovery, order.Location, actor, order.FiledAt)).ToList(), actor, order.FiledAt);
        await PhotoRules.StoreAsync(store, db, photos, cancellationToken);
        return (order, possibleDuplicates
            ? await filing.SaveWithPossibleDuplicatesAsync(order, command.Caller, cancellationToken)
            : await OrderStore.SaveAsync(db, order, cancellationToken));
    }

    internal static void Map(RouteGroupBuilder orders)
    {
        // Its own operation, so that every generator makes a method for it (some take only an operation's first body type).
        orders.MapPost("/with-photos", FileAsync)
            .WithName("FileOrderWithPhotos")
            .WithSummary("File an order with its photos")
            .WithDescription("Snap and report (随手拍): the order and its discovery photos in one request, committed together. The order's " +
                "fields, rules and answer are those of POST /api/v1/orders; the photos' those of POST /api/v1/orders/{id}/photos.")
            // Read as a form by PhotoUploads (anything else is 415), so no AcceptsMetadata: it would describe a body of no type.
            .WithMetadata(new PhotoUploadEndpoint(), new MultipartFilingOnly())
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .WithOrderETag(StatusCodes.Status201Created)
            .RequireOperation(Operation.FileOrder);
        orders.MapPost("/", FileAsync)
            .WithName("FileOrderAsMultipart")
            // Chosen over the JSON filing by the request's Content-Type; documented as that operation's second body.
            .WithMetadata(new AcceptsMetadata(["multipart/form-data"]), new PhotoUploadEndpoint())
            // A request without a Content-Type matches both: the JSON filing answers it (400 or 415 as before).
            .WithOrder(1)
            .ExcludeFromDescription()
            .RequireOperation(Operation.FileOrder);
    }

    private static async Task<Created<OrderResponse>> FileAsync(
        HttpContext http, IMediator mediator, PhotoProcessor processor, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json,
        CancellationToken cancellationToken)
    {
        var caller = http.GetCaller();
        var form = await PhotoUploads.ReadFormAsync(http.Request, cancellationToken);
        var filing = new FileOrder.Command(Filing(form, json.Value.SerializerOptions), caller);
        // The order's fields are checked before any photo is decoded.
        await new FileOrder.Validator().ValidateAndThrowAsync(filing, cancellationToken);
        PhotoRules.EnsureMayAdd(caller, PhotoUploads.Stage(form, PhotoStage.Discovery) is PhotoStage.Discovery
            ? PhotoStage.Discovery
            : throw new ValidationException([new ValidationFailure("stage", "Photos filed with the order are discovery photos.")]));
        var processed = await PhotoUploads.ProcessFilesAsync(form, processor, required: false, cancellationToken);
        var order = await mediator.Send(new Command(filing, processed), cancellationToken);
        http.Response.Headers.ETag = ETags.For(order.Version);
        return TypedResults.Created($"/api/v1/orders/{order.Id}", OrderEndpoints.ForCaller(caller, order));
    }

    private static FileOrder.Request Filing(IFormCollection form, JsonSerializerOptions options)
    {
        var text = form["order"].ToString();
        if (text.Length == 0 && form.Files.GetFile("order") is { } part)
        {
            using var reader = new StreamReader(part.OpenReadStream());
            text = reader.ReadToEnd();
            NulCharacters.RefuseInPart("order", text);
        }
        if (text.Length == 0)
        {
            throw new ValidationException([new ValidationFailure("order", "Send the order's JSON (as for a JSON filing) in a part named 'order'.")]);
        }
        try
        {
            return JsonSerializer.Deserialize<FileOrder.Request>(text, options)
                ?? throw new ValidationException([new ValidationFailure("order", "The 'order' part is JSON null; send the order's fields.")]);
        }
        catch (JsonException exception)
        {
            throw new ValidationException([new ValidationFailure("order" + (exception.Path is { Length: > 1 } path ? path[1..] : ""),
                "The 'order' part is not the order's JSON: " + exception.Message)]);
        }
    }
}

/// <summary>The JSON filing's operation also takes multipart/form-data (<see cref="FileOrderWithPhotos"/>): for the OpenAPI document.</summary>
public sealed record MultipartFiling;

/// <summary>The operation's only body is the multipart filing (order and 'file' parts): for the OpenAPI document.</summary>
public sealed record MultipartFilingOnly;

/// <summary>The operation's body is multipart/form-data with 'file' parts and a 'stage': for the OpenAPI document.</summary>
public sealed record MultipartPhotos;
