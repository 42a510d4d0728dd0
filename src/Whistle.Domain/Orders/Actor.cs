namespace Whistle.Domain.Orders;

/// <summary>
/// Who made a change: the name people read in the history and, when a credential made it, that
/// credential's id (names are free text and need not be unique; the id is what an audit follows).
/// </summary>
public readonly record struct Actor(string Name, string? Id = null)
{
    /// <summary>
    /// The longest name an order keeps: it is copied into the order's own columns (who filed it, who
    /// asked for more time), the narrowest of the places a name goes; whatever names an actor keeps to it.
    /// </summary>
    public const int MaxNameLength = 100;

    /// <summary>A name alone: the scheduler, the seed, tests.</summary>
    public static implicit operator Actor(string name) => new(name);

    /// <summary>The name and the credential in one text, for records kept as text (who created or revoked a key).</summary>
    public string Signature => Id is null ? Name : $"{Name} ({Id})";

    public override string ToString() => Name;
}
