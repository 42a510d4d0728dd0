namespace Whistle.Domain.Orders;

/// <summary>
/// One change in an order's life, kept forever: who did what, when, from which state to which,
/// and the fields they gave. The filing is the first entry.
/// </summary>
public sealed class OrderHistoryEntry
{
    public long Id { get; private set; }
    public Guid OrderId { get; private set; }
    /// <summary>The order's version after this change: 1 for the filing, then one more per action.</summary>
    public int Version { get; private set; }
    /// <summary><c>file</c>, or the action's wire name (<c>whistle</c>, <c>handle-locally</c>, …).</summary>
    public string Action { get; private set; } = "";
    public OrderState? FromState { get; private set; }
    public OrderState ToState { get; private set; }
    public string Actor { get; private set; } = "";
    /// <summary>The credential that made the change (<c>key:…</c> an API key's id, <c>token:…</c> a JWT's subject); null for the service's own changes.</summary>
    public string? ActorId { get; private set; }
    public DateTimeOffset At { get; private set; }
    public IReadOnlyDictionary<string, string?> Details { get; private set; } = new Dictionary<string, string?>();

    private OrderHistoryEntry() { }

    internal OrderHistoryEntry(
        Guid orderId, int version, string action, OrderState? from, OrderState to,
        Actor actor, DateTimeOffset at, IReadOnlyDictionary<string, string?> details)
    {
        OrderId = orderId;
        Version = version;
        Action = action;
        FromState = from;
        ToState = to;
        Actor = actor.Name;
        ActorId = actor.Id;
        At = at;
        Details = details;
    }

    public const string FileAction = "file";

    /// <summary>More fields for an entry not yet saved (photos sent with the filing join the filing's entry).</summary>
    internal void AddDetails(Dictionary<string, string?> more) =>
        Details = Details.Concat(more).ToDictionary(p => p.Key, p => p.Value);
}
