using Whistle.Domain.Orders;

namespace Whistle.Domain.Reference;

// The district's reference data. Codes are stable and are what the API and the orders speak;
// names are for people and may change. An entry is never deleted: retired, it takes no new
// orders or routes but keeps its history and figures (and its code is never given to another).

/// <summary>What every list's entry has: its code, its name, whether it is retired and its version (for If-Match).</summary>
public interface IReferenceEntry
{
    string Code { get; }
    string Name { get; }
    /// <summary>When it was retired; null while it is in use.</summary>
    DateTimeOffset? RetiredAt { get; set; }
    /// <summary>One more on every change: the ETag of the entry.</summary>
    int Version { get; set; }
}

/// <summary>A street office (街道).</summary>
public sealed class Street : IReferenceEntry
{
    public required string Code { get; init; }
    public required string Name { get; set; }
    public DateTimeOffset? RetiredAt { get; set; }
    public int Version { get; set; } = 1;
}

/// <summary>A community (社区), under one street.</summary>
public sealed class Community : IReferenceEntry
{
    public required string Code { get; init; }
    public required string Name { get; set; }
    public DateTimeOffset? RetiredAt { get; set; }
    public int Version { get; set; } = 1;
    public required string StreetCode { get; set; }
}

/// <summary>A grid (网格), the smallest unit, under one community; one full-time grid worker each.</summary>
public sealed class Grid : IReferenceEntry
{
    public required string Code { get; init; }
    public required string Name { get; set; }
    public DateTimeOffset? RetiredAt { get; set; }
    public int Version { get; set; } = 1;
    public required string CommunityCode { get; set; }
}

/// <summary>A government department or unit that answers whistles.</summary>
public sealed class Department : IReferenceEntry
{
    public required string Code { get; init; }
    public required string Name { get; set; }
    public DateTimeOffset? RetiredAt { get; set; }
    public int Version { get; set; } = 1;
}

/// <summary>
/// A kind of problem and its duty catalogue entry (权责清单): which department answers it and how
/// long it has to acknowledge and resolve, for normal and for urgent orders.
/// </summary>
public sealed class Category : IReferenceEntry
{
    public required string Code { get; init; }
    public required string Name { get; set; }
    public DateTimeOffset? RetiredAt { get; set; }
    public int Version { get; set; } = 1;
    public required string DepartmentCode { get; set; }
    public required int AcknowledgeWithinHours { get; set; }
    public required int ResolveWithinHours { get; set; }
    public required int UrgentAcknowledgeWithinHours { get; set; }
    public required int UrgentResolveWithinHours { get; set; }
    /// <summary>The resolve limits count only working days' time (24 hours per working day), by the district's calendar.</summary>
    public bool ResolveInWorkingDays { get; set; }
    /// <summary>A department resolves an order of this category only with a resolution photo (处置后照片) on it.</summary>
    public bool RequiresResolutionPhoto { get; set; }

    /// <summary>The limits for an order of this priority; the calendar applies when the category counts working days.</summary>
    public DeadlineLimits LimitsFor(Priority priority, WorkingCalendar? calendar = null)
    {
        var resolveCalendar = ResolveInWorkingDays ? calendar : null;
        return priority == Priority.Urgent
            ? new(TimeSpan.FromHours(UrgentAcknowledgeWithinHours), TimeSpan.FromHours(UrgentResolveWithinHours), resolveCalendar)
            : new(TimeSpan.FromHours(AcknowledgeWithinHours), TimeSpan.FromHours(ResolveWithinHours), resolveCalendar);
    }
}
