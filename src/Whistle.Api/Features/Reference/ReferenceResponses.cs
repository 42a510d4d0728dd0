using Whistle.Domain.Reference;
using static Whistle.Api.Features.Reference.ReferenceEndpoints;

namespace Whistle.Api.Features.Reference;

/// <summary>An entry as the API shows it (and as the change log records it before and after a change).</summary>
internal static class ReferenceResponses
{
    public static object Of(ReferenceSet set, ReferenceList list, IReferenceEntry entry) => entry switch
    {
        Street s => new StreetResponse(s.Code, s.Name, s.RetiredAt),
        Community c => new CommunityResponse(c.Code, c.Name, c.StreetCode, c.RetiredAt),
        Grid g => new GridResponse(g.Code, g.Name, g.CommunityCode, set.Communities.GetValueOrDefault(g.CommunityCode)?.StreetCode ?? "", g.RetiredAt),
        Department d => new DepartmentResponse(d.Code, d.Name, d.RetiredAt),
        Category c => Of(c),
        _ => throw new ArgumentOutOfRangeException(nameof(list), list, null),
    };

    public static CategoryResponse Of(Category c) => new(c.Code, c.Name, c.DepartmentCode, c.AcknowledgeWithinHours, c.ResolveWithinHours,
        c.UrgentAcknowledgeWithinHours, c.UrgentResolveWithinHours, c.ResolveInWorkingDays, c.RetiredAt, c.RequiresResolutionPhoto);

    /// <summary>One entry and its version, read from the store; null if there is none.</summary>
    public static async Task<(object Response, int Version)?> LoadAsync(WhistleDbContext db, ReferenceList list, string code, CancellationToken ct)
    {
        switch (list)
        {
            case ReferenceList.Streets:
                return await db.Streets.AsNoTracking().SingleOrDefaultAsync(s => s.Code == code, ct) is { } s
                    ? (new StreetResponse(s.Code, s.Name, s.RetiredAt), s.Version) : null;
            case ReferenceList.Communities:
                return await db.Communities.AsNoTracking().SingleOrDefaultAsync(c => c.Code == code, ct) is { } c
                    ? (new CommunityResponse(c.Code, c.Name, c.StreetCode, c.RetiredAt), c.Version) : null;
            case ReferenceList.Grids:
                var grid = await db.Grids.AsNoTracking().Where(g => g.Code == code)
                    .Join(db.Communities, g => g.CommunityCode, c => c.Code, (g, c) => new { Grid = g, c.StreetCode })
                    .SingleOrDefaultAsync(ct);
                return grid is null ? null
                    : (new GridResponse(grid.Grid.Code, grid.Grid.Name, grid.Grid.CommunityCode, grid.StreetCode, grid.Grid.RetiredAt), grid.Grid.Version);
            case ReferenceList.Departments:
                return await db.Departments.AsNoTracking().SingleOrDefaultAsync(d => d.Code == code, ct) is { } d
                    ? (new DepartmentResponse(d.Code, d.Name, d.RetiredAt), d.Version) : null;
            case ReferenceList.Categories:
                return await db.Categories.AsNoTracking().SingleOrDefaultAsync(c => c.Code == code, ct) is { } category
                    ? (Of(category), category.Version) : null;
            default:
                throw new ArgumentOutOfRangeException(nameof(list), list, null);
        }
    }
}
