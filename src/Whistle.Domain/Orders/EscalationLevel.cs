namespace Whistle.Domain.Orders;

/// <summary>Who is pressing the department about an order (督办), one level at a time.</summary>
public enum EscalationLevel
{
    None,
    /// <summary>The street office's supervisor.</summary>
    Street,
    /// <summary>The district; the top level, where further escalations press again.</summary>
    District,
}
