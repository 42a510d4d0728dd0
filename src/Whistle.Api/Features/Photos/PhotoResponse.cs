namespace Whistle.Api.Features.Photos;

/// <summary>A photo on an order, as clients see it: what it shows is fetched from <see cref="Url"/>.</summary>
/// <param name="Stage">discovery, handling, resolution or evaluation.</param>
/// <param name="ContentType">The stored image's type: image/jpeg, or image/png for an image with transparency.</param>
/// <param name="Width">Pixels, after rotation by the EXIF orientation and shrinking to a long edge of at most 2048.</param>
/// <param name="Bytes">The stored image's size.</param>
/// <param name="TakenAt">The capture time the camera recorded, if it did.</param>
/// <param name="Location">The camera's GPS fix, if it recorded one (the stored image keeps no metadata).</param>
/// <param name="FarFromOrder">The GPS fix is 500 m or more from the order's location.</param>
/// <param name="Url">The image (GET, under the order's access rules); null once withdrawn.</param>
/// <param name="ThumbnailUrl">A thumbnail of at most 320 px; null once withdrawn.</param>
/// <param name="AddedBy">Who added it.</param>
/// <param name="Withdrawn">An admin withdrew it: its bytes are erased.</param>
/// <param name="MergedFromOrderId">The repeat report this photo came with when that order was merged into this one (并单); null for the order's own.</param>
public sealed record PhotoResponse(
    Guid Id, PhotoStage Stage, string ContentType, int Width, int Height, long Bytes, DateTimeOffset? TakenAt, PhotoLocation? Location,
    bool FarFromOrder, string? Url, string? ThumbnailUrl, string AddedBy, DateTimeOffset AddedAt, bool Withdrawn, DateTimeOffset? WithdrawnAt,
    Guid? MergedFromOrderId)
{
    public static PhotoResponse From(Photo photo) => new(
        photo.Id, photo.Stage, photo.ContentType, photo.Width, photo.Height, photo.Bytes, photo.TakenAt,
        photo is { Latitude: { } latitude, Longitude: { } longitude } ? new PhotoLocation(latitude, longitude) : null,
        photo.FarFromOrder,
        photo.Withdrawn ? null : $"/api/v1/photos/{photo.Id}",
        photo.Withdrawn ? null : $"/api/v1/photos/{photo.Id}/thumbnail",
        photo.AddedBy, photo.AddedAt, photo.Withdrawn, photo.WithdrawnAt, photo.MergedFromOrderId);
}

/// <param name="Latitude">WGS 84 degrees.</param>
/// <param name="Longitude">WGS 84 degrees.</param>
public sealed record PhotoLocation(double Latitude, double Longitude);
