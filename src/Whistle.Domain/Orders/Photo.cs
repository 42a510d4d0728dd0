namespace Whistle.Domain.Orders;

/// <summary>Which part of the loop a photo documents.</summary>
public enum PhotoStage
{
    /// <summary>The problem as found (随手拍): taken by the grid worker or community, on filing or while the order is open.</summary>
    Discovery,
    /// <summary>The department at work, once it has acknowledged.</summary>
    Handling,
    /// <summary>The department's after photo (处置后照片), before or after it reports the order resolved.</summary>
    Resolution,
    /// <summary>The evaluator's proof that the problem is still there (回头看), with an unsatisfied evaluation.</summary>
    Evaluation,
}

/// <summary>
/// A photo attached to an order as evidence. The image itself lives in a photo store under
/// <see cref="Hash"/>; the order keeps what was learnt from it and who added it when.
/// </summary>
/// <param name="Hash">SHA-256 (hex) of the stored image: its address in the store and its ETag.</param>
/// <param name="ThumbnailHash">SHA-256 (hex) of the stored thumbnail.</param>
/// <param name="TakenAt">The capture time the camera wrote, if any (kept before the metadata was stripped).</param>
/// <param name="Latitude">The camera's GPS fix, if any (WGS 84).</param>
/// <param name="FarFromOrder">The GPS fix lies far from the order's location: worth a look, not a refusal.</param>
/// <param name="WithdrawnAt">When an admin withdrew it; its bytes are erased, the entry stays.</param>
/// <param name="MergedFromOrderId">The repeat report (并单) this photo came with, when that order was merged into this one.</param>
public sealed record Photo(
    Guid Id,
    PhotoStage Stage,
    string ContentType,
    int Width,
    int Height,
    long Bytes,
    string Hash,
    string ThumbnailHash,
    DateTimeOffset? TakenAt,
    double? Latitude,
    double? Longitude,
    bool FarFromOrder,
    string AddedBy,
    DateTimeOffset AddedAt,
    DateTimeOffset? WithdrawnAt = null,
    string? WithdrawnBy = null,
    Guid? MergedFromOrderId = null)
{
    /// <summary>How many photos one order may carry (withdrawn ones do not count): evidence, not an album.</summary>
    public const int MaxPerOrder = 10;

    /// <summary>A photo taken this far from the order's location or more is flagged <see cref="FarFromOrder"/>.</summary>
    public const double FarFromOrderMetres = 500;

    public bool Withdrawn => WithdrawnAt is not null;

    /// <summary>Great-circle distance in metres (haversine on a 6,371 km sphere): ample for "hundreds of metres off".</summary>
    public static double DistanceMetres(double latitude1, double longitude1, double latitude2, double longitude2)
    {
        static double Radians(double degrees) => degrees * Math.PI / 180;
        var dLat = Radians(latitude2 - latitude1);
        var dLon = Radians(longitude2 - longitude1);
        var a = Math.Pow(Math.Sin(dLat / 2), 2) + Math.Cos(Radians(latitude1)) * Math.Cos(Radians(latitude2)) * Math.Pow(Math.Sin(dLon / 2), 2);
        return 2 * 6_371_000 * Math.Asin(Math.Min(1, Math.Sqrt(a)));
    }
}

/// <summary>A photo refused by the order's rules: the stage does not fit its state, or it has its fill (409).</summary>
public sealed class PhotoNotAcceptedException(string message) : InvalidOperationException(message);
