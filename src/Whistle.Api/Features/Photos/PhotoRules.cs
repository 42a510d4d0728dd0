namespace Whistle.Api.Features.Photos;

/// <summary>Who adds photos of which stage: the policy's roles; the order's state decides when (<see cref="Order.TakesPhotos"/>).</summary>
public static class PhotoRules
{
    /// <summary>Grid workers and communities document the problem and its return; departments their work; an admin anything.</summary>
    public static IReadOnlyList<Role> Adders(PhotoStage stage) => stage switch
    {
        // A reporting app adds its resident's photos of the problem (Open311), on the reports it filed.
        PhotoStage.Discovery or PhotoStage.Evaluation => [Role.GridWorker, Role.Community, Role.Admin, Role.ReportingApp],
        PhotoStage.Handling or PhotoStage.Resolution => [Role.Department, Role.Admin],
        _ => [],
    };

    /// <param name="Stage">The stage.</param>
    /// <param name="Roles">Who may add it (on orders in their scope).</param>
    /// <param name="States">The order states that take it.</param>
    public sealed record StageRule(PhotoStage Stage, IReadOnlyList<Role> Roles, IReadOnlyList<OrderState> States);

    /// <param name="MaxPerOrder">Photos one order carries at most (withdrawn ones do not count).</param>
    /// <param name="Stages">Who adds which stage, and when; an evaluation photo is also taken once an unsatisfied evaluation reopened the order.</param>
    /// <param name="ResolveRule">The resolve rule of categories with requiresResolutionPhoto (GET /api/v1/categories).</param>
    public sealed record Described(int MaxPerOrder, IReadOnlyList<StageRule> Stages, string ResolveRule);

    public static Described Describe() => new(
        Photo.MaxPerOrder,
        Enum.GetValues<PhotoStage>().Select(s => new StageRule(s, Adders(s), Order.PhotoStates(s))).ToList(),
        "resolve needs a resolution photo on the order (not withdrawn) when its category has requiresResolutionPhoto; else 400 naming 'photos'.");

    public static void EnsureMayAdd(Caller caller, PhotoStage stage)
    {
        if (!Adders(stage).Contains(caller.Role))
        {
            throw new ForbiddenException($"A {WireName.Of(caller.Role)} credential may not add {WireName.Of(stage)} photos.");
        }
    }

    /// <summary>The order's photo from what processing made of an upload; far from the order when its GPS fix says so.</summary>
    public static Photo ToPhoto(ProcessedPhoto processed, PhotoStage stage, Location orderLocation, Actor actor, DateTimeOffset at) => new(
        Guid.CreateVersion7(), stage, processed.ContentType, processed.Width, processed.Height, processed.Image.LongLength,
        processed.Hash, processed.ThumbnailHash, processed.TakenAt, processed.Latitude, processed.Longitude,
        processed is { Latitude: { } latitude, Longitude: { } longitude }
            && Photo.DistanceMetres(latitude, longitude, orderLocation.Latitude, orderLocation.Longitude) >= Photo.FarFromOrderMetres,
        actor.Name, at);

    /// <summary>Writes each photo's image and thumbnail to the store before the order that refers to them is saved.</summary>
    public static async Task StoreAsync(IPhotoStore store, WhistleDbContext db, IReadOnlyList<ProcessedPhoto> photos, CancellationToken cancellationToken)
    {
        foreach (var photo in photos)
        {
            await store.PutAsync(db, photo.Hash, photo.ContentType, photo.Image, cancellationToken);
            await store.PutAsync(db, photo.ThumbnailHash, photo.ContentType, photo.Thumbnail, cancellationToken);
        }
    }
}
