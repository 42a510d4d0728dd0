namespace Whistle.Domain.Orders;

/// <summary>
/// 退单审核: where a district reviews returns, a department's return waits for the street supervisor,
/// who approves it (the order goes back to the community, which may re-whistle it) or refuses it
/// (back to the department, in the state it left, its deadlines unchanged). A return refused a
/// second time or more escalates the order: the ping-pong is a supervisor's matter.
/// </summary>
public sealed partial class Order
{
    /// <summary>Why the latest return was made, from the fixed list; null when none was given.</summary>
    public ReturnReasonCode? ReturnReasonCode { get; private set; }
    /// <summary>What the latest return rests on: the duty catalogue item or rule.</summary>
    public string? ReturnBasis { get; private set; }
    /// <summary>Returns the street supervisor refused, over the order's life.</summary>
    public int ReturnRefusalCount { get; private set; }

    /// <summary>The supervisor approves the return: the order goes back to the community.</summary>
    public void ApproveReturn(string? note, Actor actor, DateTimeOffset at)
    {
        var from = Transition(OrderAction.ApproveReturn);
        var department = DepartmentCode;
        SendBack(at);
        Record(OrderAction.ApproveReturn, from, actor, at, new() { ["note"] = note, ["departmentCode"] = department });
    }

    /// <summary>
    /// The supervisor refuses the return, with a note: the department has the order again as it was
    /// (acknowledged or not), deadlines unchanged. The second refusal and every later one escalates.
    /// </summary>
    public void RefuseReturn(string note, Actor actor, DateTimeOffset at)
    {
        var from = Transition(OrderAction.RefuseReturn);
        ReturnRefusalCount++;
        Record(OrderAction.RefuseReturn, from, actor, at, new()
        {
            ["note"] = note,
            ["departmentCode"] = DepartmentCode,
            ["refusals"] = ReturnRefusalCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        if (ReturnRefusalCount >= 2)
        {
            Escalate($"Return refused {ReturnRefusalCount} times: {note}", actor, at);
        }
    }
}
