using System.Globalization;

namespace Whistle.Domain.Orders;

// The order's photos: which stage fits which state, the per-order limit, withdrawal.
public sealed partial class Order
{
    public const string AddPhotosAction = "add-photos";
    public const string WithdrawPhotoAction = "withdraw-photo";
    /// <summary>A resident's word on their own report, sent by the app they reported with (Open311's POST servicerequestupdates).</summary>
    public const string ReporterUpdateAction = "reporter-update";

    /// <summary>Every photo ever attached, withdrawn ones included, in the order they were added.</summary>
    public IReadOnlyList<Photo> Photos { get; private set; } = [];

    /// <summary>The states in which an order takes photos of a stage (an evaluation photo also once an unsatisfied evaluation reopened it).</summary>
    public static IReadOnlyList<OrderState> PhotoStates(PhotoStage stage) => stage switch
    {
        PhotoStage.Discovery => [OrderState.Discovered, OrderState.Whistled, OrderState.Acknowledged, OrderState.Returned],
        PhotoStage.Handling => [OrderState.Acknowledged],
        // Before the resolve (so a category that requires one can be resolved) or after it, until evaluated.
        PhotoStage.Resolution => [OrderState.Acknowledged, OrderState.Resolved],
        // Awaiting the evaluation that will say "not fixed".
        PhotoStage.Evaluation => [OrderState.Resolved],
        _ => [],
    };

    /// <summary>Whether the order's state takes photos of this stage now.</summary>
    public bool TakesPhotos(PhotoStage stage) =>
        PhotoStates(stage).Contains(State)
        || (stage == PhotoStage.Evaluation && ReopenCount > 0 && State is OrderState.Whistled or OrderState.Acknowledged);

    /// <summary>Photos that count against the limit: the order's own, not withdrawn (a merged repeat report's come on top).</summary>
    public int PhotoCount => Photos.Count(p => !p.Withdrawn && p.MergedFromOrderId is null);

    /// <summary>
    /// Attaches photos of one stage. On filing they join the filing's own history entry; later they
    /// are a change of their own (<c>add-photos</c>), so the order's version and ETag move.
    /// </summary>
    public void AddPhotos(IReadOnlyList<Photo> photos, Actor actor, DateTimeOffset at)
    {
        if (photos.Count == 0)
        {
            return;
        }
        foreach (var stage in photos.Select(p => p.Stage).Distinct())
        {
            if (!TakesPhotos(stage))
            {
                throw new PhotoNotAcceptedException(
                    $"An order that is {WireName.Of(State)} takes no {WireName.Of(stage)} photos.");
            }
        }
        if (PhotoCount + photos.Count > Photo.MaxPerOrder)
        {
            throw new PhotoNotAcceptedException(
                $"An order carries at most {Photo.MaxPerOrder} photos; this one has {PhotoCount} and the request adds {photos.Count}.");
        }
        Photos = [.. Photos, .. photos];
        var ids = string.Join(' ', photos.Select(p => p.Id));
        var stages = string.Join(' ', photos.Select(p => WireName.Of(p.Stage)).Distinct());
        if (_newHistory is [{ Action: OrderHistoryEntry.FileAction } filing])
        {
            filing.AddDetails(new() { ["photos"] = ids, ["photoStages"] = stages });
            return;
        }
        Record(AddPhotosAction, State, actor, at, new() { ["photos"] = ids, ["stage"] = stages, ["count"] = photos.Count.ToString(CultureInfo.InvariantCulture) });
    }

    /// <summary>
    /// An admin withdraws a photo (a face, a licence plate): it stays listed as withdrawn, and the
    /// caller erases its bytes from the store. Withdrawing it again changes nothing.
    /// </summary>
    /// <returns>False when it was already withdrawn.</returns>
    public bool WithdrawPhoto(Guid photoId, string reason, Actor actor, DateTimeOffset at)
    {
        var index = Photos.ToList().FindIndex(p => p.Id == photoId);
        if (index < 0)
        {
            throw new InvalidOperationException($"Order {Id} has no photo {photoId}.");
        }
        if (Photos[index].Withdrawn)
        {
            return false;
        }
        var photos = Photos.ToArray();
        photos[index] = photos[index] with { WithdrawnAt = at, WithdrawnBy = actor.Name };
        Photos = photos;
        Record(WithdrawPhotoAction, State, actor, at, new() { ["photo"] = photoId.ToString(), ["reason"] = reason });
        return true;
    }

    /// <summary>
    /// 并单: a repeat report's photos move to the order that tracks the problem, marked with where they came
    /// from, so whoever handles the problem sees every report's evidence (a photo belongs to one order: it is
    /// read under that order's scope).
    /// </summary>
    private IReadOnlyList<Photo> HandPhotosTo(Order survivor)
    {
        var moved = Photos.Select(p => p with { MergedFromOrderId = p.MergedFromOrderId ?? Id }).ToList();
        survivor.Photos = [.. survivor.Photos, .. moved];
        Photos = [];
        return moved;
    }

    /// <summary>
    /// The reporter adds a comment to their report (with photos, added after it): a change of its own that moves no state,
    /// so whoever handles the order reads it in the history.
    /// </summary>
    public void AddReporterUpdate(string description, Actor actor, DateTimeOffset at) =>
        Record(ReporterUpdateAction, State, actor, at, new() { ["description"] = description });

    /// <summary>A category that asks for proof is resolved only with a resolution photo on the order.</summary>
    public void EnsureResolutionPhoto(bool required)
    {
        if (required && !Photos.Any(p => p.Stage == PhotoStage.Resolution && !p.Withdrawn))
        {
            throw new OrderRuleException("photos",
                "This order's category requires a resolution photo: add one (POST /api/v1/orders/{id}/photos with stage=resolution) before resolving.");
        }
    }
}
