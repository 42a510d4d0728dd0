namespace Whistle.Api.Features.Published;

/// <summary>
/// What the published results list (实效清单) shows: decided here and nowhere else. Published are the district's finished
/// orders (closed after evaluation, or handled locally) that are not of a private category and not held back by an admin.
/// Of each: its category, street and community, its position rounded to about 100 m, when it was found, who handled it,
/// how long that took, the result, the evaluation's rating, and its before (discovery) and after (resolution) photos that
/// are not withdrawn. Never: the title or description (residents write names and flat numbers there), the exact address or
/// position, the reporter (<see cref="Open311.OrderReporter"/>), who filed it, comments, history, withdrawn photos.
/// </summary>
public static class Publication
{
    /// <summary>The states of a finished order: the loop closed, by the department or by the community itself.</summary>
    public static readonly OrderState[] FinishedStates = [OrderState.Closed, OrderState.HandledLocally];

    /// <summary>The photo stages shown: before and after (处置前后照片).</summary>
    public static readonly PhotoStage[] PublishedStages = [PhotoStage.Discovery, PhotoStage.Resolution];

    /// <summary>Decimal places a published position keeps: 3 is 0.001°, about 111 m north–south and 84 m east–west at Hohhot.</summary>
    public const int PositionDecimals = 3;

    /// <summary>The published orders, as a query.</summary>
    public static IQueryable<Order> Published(this WhistleDbContext db) =>
        db.Orders.AsNoTracking().Where(o => FinishedStates.Contains(o.State)
            && !db.PrivateCategories.Any(c => c.CategoryCode == o.CategoryCode)
            && !db.PublicationHolds.Any(h => h.OrderId == o.Id));

    public static bool IsPublished(Photo photo) => !photo.Withdrawn && PublishedStages.Contains(photo.Stage);

    /// <summary>A published position: rounded, so a private home's door cannot be told from its neighbours'.</summary>
    public static double Coarsen(double degrees) => Math.Round(degrees, PositionDecimals, MidpointRounding.AwayFromZero);

    /// <summary>When the problem was dealt with: the department's resolution, or the community's own handling.</summary>
    public static DateTimeOffset? FinishedAt(Order order) => order.ResolvedAt ?? order.HandledLocallyAt;
}
