namespace Whistle.Domain.Orders;

public enum CancelReason
{
    Duplicate,
    Invalid,
    Withdrawn,
}
