namespace Whistle.Domain.Orders;

/// <summary>The community's evaluation of a resolved order.</summary>
public enum Rating
{
    Satisfied,
    BasicallySatisfied,
    /// <summary>Reopens the order: the problem must not bounce back (回头看).</summary>
    Unsatisfied,
}
