using System.Text.Json;

namespace Whistle.Api.Tests.Infrastructure;

// What the tests read back: the API's JSON as a client sees it, declared here rather than borrowed
// from the service, so a change to the contract shows up as a failing test.

public sealed record Order(
    Guid Id, string Code, string State, string[] AllowedActions, int Version, string Title, string Description,
    string Priority, string CategoryCode, string GridCode, string CommunityCode, string StreetCode, string? DepartmentCode,
    string? ReturnedByDepartmentCode, string EscalationLevel,
    OrderLocation Location, OrderDeadlines Deadlines, OrderMilestones Milestones, OrderCounters Counters, string FiledBy,
    string? Result, string? ReturnReason, string? Rating, string? EvaluationComment, string? CancelReason, OrderExtension? PendingExtension,
    OrderPartWire[]? Parts = null, OrderReference? SameProblemAs = null);

/// <summary>Another order, by id and code (an order's sameProblemAs).</summary>
public sealed record OrderReference(Guid Id, string Code);

/// <summary>One summoned department's part of an order (主办/协办).</summary>
public sealed record OrderPartWire(string DepartmentCode, string Role, string State, string[] AllowedActions, DateTimeOffset? AcknowledgeBy,
    DateTimeOffset? ReportedAt, DateTimeOffset? DeclinedAt, bool Overdue, int Escalations);

public sealed record OrderExtension(DateTimeOffset RequestedAt, string RequestedBy, DateTimeOffset ResolveBy, string Reason);

public sealed record OrderLocation(double Latitude, double Longitude, string? Address);

public sealed record OrderDeadlines(DateTimeOffset? AcknowledgeBy, DateTimeOffset? ResolveBy, bool Overdue, DateTimeOffset? OverdueSince);

public sealed record OrderMilestones(
    DateTimeOffset FiledAt, DateTimeOffset? FirstWhistledAt, DateTimeOffset? WhistledAt, DateTimeOffset? FirstAcknowledgedAt,
    DateTimeOffset? AcknowledgedAt, DateTimeOffset? ReturnedAt, DateTimeOffset? ResolvedAt, DateTimeOffset? EvaluatedAt,
    DateTimeOffset? ClosedAt, DateTimeOffset? HandledLocallyAt, DateTimeOffset? CancelledAt, DateTimeOffset? LastEscalatedAt);

public sealed record OrderCounters(int Whistles, int Returns, int Reopens, int Escalations);

public sealed record OrderPage(Order[] Items, string? NextCursor);

public sealed record HistoryEntry(
    int Version, string Action, string? FromState, string ToState, string Actor, string? ActorId, DateTimeOffset At, Dictionary<string, string?> Details);

public sealed record Summary(DateTimeOffset? From, DateTimeOffset? To, DateTimeOffset AsOf, Figures Figures);

public sealed record Figures(
    long DispatchedOrders, long ValidOrders, long CancelledOrders, long CompletedOrders, double? CompletionRate,
    long AcknowledgedOnTime, double? ResponseRate, long ResolvedOnTime, double? OnTimeCompletionRate,
    long EvaluatedOrders, long SatisfiedOrders, double? SatisfactionRate, long OpenBacklog, long OverdueNow,
    long Returns, long Reopens, long Escalations, long HandledLocally,
    double? MedianHoursToAcknowledge, double? P90HoursToAcknowledge, double? MedianHoursToResolve, double? P90HoursToResolve);

public sealed record Breakdown(
    DateTimeOffset? From, DateTimeOffset? To, DateTimeOffset AsOf, string GroupBy, string Sort, string Order, BreakdownRow[] Rows);

public sealed record BreakdownRow(string Code, string Name, Figures Figures);

public sealed record Timeseries(
    DateTimeOffset From, DateTimeOffset To, DateTimeOffset AsOf, string Interval, string TimeZone, TimePoint[] Points);

public sealed record TimePoint(DateTimeOffset Start, DateTimeOffset End, string Label, Figures Figures);

public sealed record Problem(
    string? Type, string? Title, int Status, string? Detail, Dictionary<string, string[]>? Errors, string? State,
    string[]? AllowedActions, int? CurrentVersion, string? CurrentETag);

/// <summary>A filing body that passes validation, to vary one field at a time.</summary>
public static class Filing
{
    public static Dictionary<string, object?> Valid(string category = "garbage", string grid = "ST01-C01-G01", string? priority = null) => new()
    {
        ["title"] = "Overflowing bins",
        ["description"] = "The bins by gate 3 have not been emptied for three days.",
        ["categoryCode"] = category,
        ["gridCode"] = grid,
        ["location"] = new Dictionary<string, object?> { ["latitude"] = 40.8424, ["longitude"] = 111.7492, ["address"] = "Gate 3" },
        ["priority"] = priority,
    };

    public static string Raw(Dictionary<string, object?> body) => JsonSerializer.Serialize(body);
}
