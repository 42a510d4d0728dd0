using Npgsql;

namespace Whistle.Api.Features.Stats;

/// <summary>
/// One order as the catch-up reads it (the columns <see cref="ChangedOrders"/> selects, in that
/// order), and the derivation of its <see cref="Fact"/>: the one place that says what each flag
/// and duration means in the order's own terms.
/// </summary>
internal sealed record OrderRow(
    long Number, OrderState State, string Street, string Community, string Category, string? Department,
    DateTime FiledAt, DateTime? FirstWhistledAt, DateTime? FirstAcknowledgedAt, DateTime? FirstAcknowledgeBy,
    DateTime? AcknowledgeBy, DateTime? ResolvedAt, DateTime? ResolveBy, Rating? Rating,
    int Returns, int Reopens, int Escalations, CancelReason? CancelReason,
    string[]? CoDepartments = null, DateTime?[]? PartReportedAt = null, DateTime?[]? PartDeclinedAt = null, DateTime?[]? PartAcknowledgeBy = null)
{
    /// <summary>The columns, from <paramref name="first"/> on, in the order of <see cref="ChangedOrders"/>' select list.</summary>
    public static OrderRow Read(NpgsqlDataReader r, int first)
    {
        var i = first;
        return new(
            r.GetInt64(i++), WireName.Parse<OrderState>(r.GetString(i++)), r.GetString(i++), r.GetString(i++), r.GetString(i++), Text(r, i++),
            r.GetDateTime(i++), Time(r, i++), Time(r, i++), Time(r, i++), Time(r, i++), Time(r, i++), Time(r, i++),
            Text(r, i++) is { } rating ? WireName.Parse<Rating>(rating) : null,
            r.GetInt32(i++), r.GetInt32(i++), r.GetInt32(i++),
            Text(r, i++) is { } reason ? WireName.Parse<CancelReason>(reason) : null,
            r.IsDBNull(i++) ? null : r.GetFieldValue<string[]>(i - 1),
            r.IsDBNull(i++) ? null : r.GetFieldValue<DateTime?[]>(i - 1),
            r.IsDBNull(i++) ? null : r.GetFieldValue<DateTime?[]>(i - 1),
            r.IsDBNull(i++) ? null : r.GetFieldValue<DateTime?[]>(i - 1));
    }

    /// <summary>
    /// The co-handlers' parts as facts of their own (<see cref="Flag.CoHandlerPart"/>): each a summons its
    /// department received, counted in its order's period, street, community and category, and answered
    /// in time by <see cref="OrderPart.IsAnsweredOnTime"/>.
    /// </summary>
    public IEnumerable<(string Department, Fact Fact)> PartFacts(ReferenceCodes codes)
    {
        if (CoDepartments is null || FirstWhistledAt is not { } whistled)
        {
            yield break;
        }
        for (var p = 0; p < CoDepartments.Length; p++)
        {
            var flags = Flag.Whistled | Flag.CoHandlerPart;
            if (OrderPart.IsAnsweredOnTime(Utc(PartReportedAt![p]), Utc(PartDeclinedAt![p]), Utc(PartAcknowledgeBy![p])))
            {
                flags |= Flag.AcknowledgedOnTime;
            }
            yield return (CoDepartments[p], new Fact(
                flags, Micros.Of(FiledAt), Micros.Of(whistled), -1, -1, long.MaxValue,
                codes.Streets.IndexOf(Street), codes.Communities.IndexOf(Community), codes.Departments.IndexOf(CoDepartments[p]),
                codes.Categories.IndexOf(Category), 0, 0, 0));
        }
    }

    private static DateTime? Time(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetDateTime(i);

    private static string? Text(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static DateTimeOffset? Utc(DateTime? at) => at is { } utc ? new DateTimeOffset(utc, TimeSpan.Zero) : null;

    public Fact ToFact(ReferenceCodes codes)
    {
        var flags = (Flag)0;
        var completed = State is OrderState.Resolved or OrderState.Closed;
        var whistled = FirstWhistledAt is not null;
        if (whistled)
        {
            flags |= Flag.Whistled;
        }
        if (State == OrderState.Cancelled)
        {
            flags |= Flag.Cancelled;
            if (CancelReason is Domain.Orders.CancelReason.Invalid or Domain.Orders.CancelReason.Duplicate)
            {
                flags |= Flag.Invalid;
            }
        }
        // 并单: a repeat report merged into another order counts as a duplicate cancelled: the problem counts once, as the survivor.
        if (State == OrderState.Merged)
        {
            flags |= Flag.Cancelled | Flag.Invalid;
        }
        if (State is OrderState.Whistled or OrderState.Acknowledged or OrderState.Returned or OrderState.ReturnUnderReview)
        {
            flags |= Flag.Open;
        }
        if (State == OrderState.HandledLocally)
        {
            flags |= Flag.HandledLocally;
        }
        if (completed)
        {
            flags |= Flag.Completed;
        }
        if (FirstAcknowledgedAt is { } acknowledged && FirstAcknowledgeBy is { } due && acknowledged <= due)
        {
            flags |= Flag.AcknowledgedOnTime;
        }
        if (completed && ResolvedAt is { } resolved && ResolveBy is { } resolveBy && resolved <= resolveBy)
        {
            flags |= Flag.ResolvedOnTime;
        }
        if (Rating is { } rating)
        {
            flags |= Flag.Evaluated;
            if (rating != Domain.Orders.Rating.Unsatisfied)
            {
                flags |= Flag.Satisfied;
            }
        }
        var overdueAt = Overdue.RunningDeadline(State, Utc(AcknowledgeBy), Utc(ResolveBy)) is { } deadline
            ? Micros.Of(deadline)
            : long.MaxValue;
        var first = FirstWhistledAt is { } w ? Micros.Of(w) : long.MinValue;
        return new Fact(
            flags,
            Micros.Of(FiledAt),
            first,
            whistled && FirstAcknowledgedAt is { } ack ? Micros.Of(ack) - first : -1,
            whistled && completed && ResolvedAt is { } res ? Micros.Of(res) - first : -1,
            overdueAt,
            codes.Streets.IndexOf(Street),
            codes.Communities.IndexOf(Community),
            Department is null ? (short)-1 : codes.Departments.IndexOf(Department),
            codes.Categories.IndexOf(Category),
            (short)Math.Min(Returns, short.MaxValue),
            (short)Math.Min(Reopens, short.MaxValue),
            (short)Math.Min(Escalations, short.MaxValue));
    }
}
