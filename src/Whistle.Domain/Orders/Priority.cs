namespace Whistle.Domain.Orders;

public enum Priority
{
    Normal,
    Urgent,
}
