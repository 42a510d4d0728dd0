namespace Whistle.Domain.Reference;

/// <summary>
/// An override in the duty catalogue (权责清单): in this street, or in this community, a category is
/// answered by another department than the category's own. The category's department is the
/// district-wide entry; an entry here names exactly one area.
/// </summary>
public sealed class DutyEntry
{
    public long Id { get; set; }
    public required string CategoryCode { get; set; }
    public string? StreetCode { get; set; }
    public string? CommunityCode { get; set; }
    public required string DepartmentCode { get; set; }
    /// <summary>Departments that handle it jointly with the lead one (协办); may be empty.</summary>
    public List<string> CoDepartmentCodes { get; set; } = [];
    public int Version { get; set; } = 1;

    /// <summary>How history names the entry that routed a whistle: <c>catalogue:7</c>.</summary>
    public string Name => $"catalogue:{Id}";
}

/// <summary>Where a whistle without a named department goes, and which entry said so.</summary>
/// <param name="RoutedBy"><c>catalogue:{id}</c> for an override, <c>category:{code}</c> for the category's own department.</param>
public sealed record DutyRoute(string DepartmentCode, IReadOnlyList<string> CoDepartmentCodes, string RoutedBy);

public static class DutyCatalogue
{
    /// <summary>The most specific entry wins: the community's, then the street's, then the category's own department.</summary>
    public static DutyRoute RouteOf(Category category, string streetCode, string communityCode, IEnumerable<DutyEntry> entriesOfCategory)
    {
        DutyEntry? street = null;
        foreach (var entry in entriesOfCategory)
        {
            if (entry.CommunityCode == communityCode)
            {
                return new(entry.DepartmentCode, entry.CoDepartmentCodes, entry.Name);
            }
            if (entry.CommunityCode is null && entry.StreetCode == streetCode)
            {
                street = entry;
            }
        }
        return street is not null
            ? new(street.DepartmentCode, street.CoDepartmentCodes, street.Name)
            : new(category.DepartmentCode, [], $"category:{category.Code}");
    }
}
