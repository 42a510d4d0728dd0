using Whistle.Domain.Reference;

namespace Whistle.Api.Features.Reference;

/// <summary>
/// Every list of the district's reference data, read whole: a change (one entry over the API, or a
/// whole workbook) is made to this set in memory and checked by <see cref="ReferenceRules"/> as the
/// set it would leave, before anything is written. A few thousand rows; read in a few milliseconds.
/// </summary>
public sealed class ReferenceSet
{
    public Dictionary<string, Street> Streets { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, Community> Communities { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, Grid> Grids { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, Department> Departments { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, Category> Categories { get; } = new(StringComparer.Ordinal);
    public Dictionary<long, DutyEntry> Catalogue { get; } = [];

    /// <summary>Reads every list. Call it under <see cref="LockAsync"/> when the set is to be changed.</summary>
    public static async Task<ReferenceSet> LoadAsync(WhistleDbContext db, CancellationToken cancellationToken)
    {
        var set = new ReferenceSet();
        foreach (var s in await db.Streets.AsNoTracking().ToListAsync(cancellationToken))
        {
            set.Streets[s.Code] = s;
        }
        foreach (var c in await db.Communities.AsNoTracking().ToListAsync(cancellationToken))
        {
            set.Communities[c.Code] = c;
        }
        foreach (var g in await db.Grids.AsNoTracking().ToListAsync(cancellationToken))
        {
            set.Grids[g.Code] = g;
        }
        foreach (var d in await db.Departments.AsNoTracking().ToListAsync(cancellationToken))
        {
            set.Departments[d.Code] = d;
        }
        foreach (var c in await db.Categories.AsNoTracking().ToListAsync(cancellationToken))
        {
            set.Categories[c.Code] = c;
        }
        foreach (var e in await db.DutyCatalogue.AsNoTracking().ToListAsync(cancellationToken))
        {
            set.Catalogue[e.Id] = e;
        }
        return set;
    }

    /// <summary>
    /// Reference changes take turns, one transaction at a time (an advisory lock held until it
    /// ends): each checks the set as the previous one left it, so two edits that are each valid
    /// cannot together leave an orphan (a community added under a street being retired).
    /// </summary>
    public static Task LockAsync(WhistleDbContext db, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock(7301110)", cancellationToken);

    public IReferenceEntry? Find(ReferenceList list, string code) => list switch
    {
        ReferenceList.Streets => Streets.GetValueOrDefault(code),
        ReferenceList.Communities => Communities.GetValueOrDefault(code),
        ReferenceList.Grids => Grids.GetValueOrDefault(code),
        ReferenceList.Departments => Departments.GetValueOrDefault(code),
        ReferenceList.Categories => Categories.GetValueOrDefault(code),
        _ => throw new ArgumentOutOfRangeException(nameof(list), list, null),
    };

    public void Put(ReferenceList list, IReferenceEntry entry)
    {
        switch (entry)
        {
            case Street s when list == ReferenceList.Streets:
                Streets[s.Code] = s;
                break;
            case Community c when list == ReferenceList.Communities:
                Communities[c.Code] = c;
                break;
            case Grid g when list == ReferenceList.Grids:
                Grids[g.Code] = g;
                break;
            case Department d when list == ReferenceList.Departments:
                Departments[d.Code] = d;
                break;
            case Category c when list == ReferenceList.Categories:
                Categories[c.Code] = c;
                break;
            default:
                throw new ArgumentException($"A {entry.GetType().Name} does not belong in {list}.", nameof(entry));
        }
    }
}

/// <summary>The lists, named as the API's paths and the workbook's sheets name them.</summary>
public enum ReferenceList
{
    Streets,
    Communities,
    Grids,
    Departments,
    Categories,
    Catalogue,
}
