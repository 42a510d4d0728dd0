namespace Whistle.Api.Features.Open311;

/// <summary>
/// The one table from Whistle's order states to Open311's statuses: the spec's own (<c>open</c>, <c>closed</c>), given
/// on requests, and mySociety's extended ones, given on updates (FixMyStreet reads either, in any case). docs/open311.md
/// prints this table; a test walks every state through it.
/// </summary>
public static class Open311Status
{
    /// <param name="Basic">The spec's status on a request: open or closed.</param>
    /// <param name="Extended">mySociety's status on an update.</param>
    public sealed record Mapping(string Basic, string Extended);

    public static Mapping Of(OrderState state, CancelReason? cancelReason = null) => state switch
    {
        OrderState.Discovered => new("open", "open"),
        OrderState.Whistled => new("open", "investigating"),
        OrderState.Acknowledged => new("open", "in_progress"),
        // A department said it is not its duty: the district sends it elsewhere.
        OrderState.Returned or OrderState.ReturnUnderReview => new("open", "internal_referral"),
        OrderState.Resolved => new("closed", "fixed"),
        OrderState.Closed => new("closed", "fixed"),
        OrderState.HandledLocally => new("closed", "fixed"),
        // 并单: the repeat report is followed on the order kept.
        OrderState.Merged => new("closed", "duplicate"),
        OrderState.Cancelled => cancelReason switch
        {
            CancelReason.Duplicate => new("closed", "duplicate"),
            CancelReason.Invalid => new("closed", "not_councils_responsibility"),
            _ => new("closed", "no_further_action"),
        },
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "Every state has a status."),
    };

    /// <summary>The basic statuses a client filters requests by, and the states each stands for.</summary>
    public static IReadOnlyList<OrderState> StatesOf(string basic) =>
        Enum.GetValues<OrderState>().Where(s => Of(s).Basic == basic).ToList();
}
