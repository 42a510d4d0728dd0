using System.Text.RegularExpressions;
using Whistle.Domain.Reference;

namespace Whistle.Api.Features.Reference;

/// <summary>A rule an entry of the proposed set breaks: which list, which entry (code or catalogue id), which field, why.</summary>
public sealed record ReferenceFailure(ReferenceList List, string Key, string Field, string Message);

/// <summary>
/// The rules the reference data keeps, stated once: the API's edits and the spreadsheet import both
/// make their change to a <see cref="ReferenceSet"/> and ask this class what the set would break.
/// Only the entries touched are checked, with what depends on them (the children of a retired
/// parent), so a change is never refused for another entry's old fault.
/// </summary>
public static partial class ReferenceRules
{
    public const int MaxCodeLength = 50;
    public const int MaxNameLength = 200;
    /// <summary>A limit beyond a year is a typing error (and would push deadlines past any calendar).</summary>
    public const int MaxHours = 8760;
    /// <summary>Co-handling departments on one route, as on one whistle: a list the service holds and checks, so bounded.</summary>
    public const int MaxCoDepartments = 20;
    /// <summary>Grids one split moves at once (the largest community of Hohhot has a few dozen).</summary>
    public const int MaxGridsMoved = 1000;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex CodePattern();

    /// <summary>What the proposed set breaks, for the entries touched (by list and key).</summary>
    public static List<ReferenceFailure> Check(ReferenceSet set, IEnumerable<(ReferenceList List, string Key)> touched)
    {
        var failures = new List<ReferenceFailure>();
        foreach (var (list, key) in touched.Distinct())
        {
            switch (list)
            {
                case ReferenceList.Streets when set.Streets.TryGetValue(key, out var street):
                    Street(set, street, failures);
                    break;
                case ReferenceList.Communities when set.Communities.TryGetValue(key, out var community):
                    Community(set, community, failures);
                    break;
                case ReferenceList.Grids when set.Grids.TryGetValue(key, out var grid):
                    Grid(set, grid, failures);
                    break;
                case ReferenceList.Departments when set.Departments.TryGetValue(key, out var department):
                    Department(set, department, failures);
                    break;
                case ReferenceList.Categories when set.Categories.TryGetValue(key, out var category):
                    Category(set, category, failures);
                    break;
                case ReferenceList.Catalogue when long.TryParse(key, out var id) && set.Catalogue.TryGetValue(id, out var entry):
                    Entry(set, entry, failures);
                    break;
            }
        }
        return failures;
    }

    /// <summary>The code of a new entry: well formed, and never used before in its list (retired entries keep theirs).</summary>
    public static ReferenceFailure? NewCode(ReferenceSet set, ReferenceList list, string code)
    {
        if (CodeProblem(code) is { } problem)
        {
            return new(list, code, "code", problem);
        }
        return set.Find(list, code) is { } existing
            ? new(list, code, "code", existing.RetiredAt is null
                ? $"The code '{code}' is already used in {Name(list)}."
                : $"The code '{code}' belonged to an entry of {Name(list)} that is retired; codes are never reused.")
            : null;
    }

    private static string? CodeProblem(string code) =>
        code.Length == 0 ? "code is required."
        : code.Length > MaxCodeLength ? $"code is at most {MaxCodeLength} characters."
        : !CodePattern().IsMatch(code) ? "code takes letters, digits, '.', '_' and '-', starting with a letter or digit."
        : null;

    private static void Named(ReferenceList list, IReferenceEntry entry, List<ReferenceFailure> failures)
    {
        if (string.IsNullOrWhiteSpace(entry.Name))
        {
            failures.Add(new(list, entry.Code, "name", "name is required."));
        }
        else if (entry.Name.Length > MaxNameLength)
        {
            failures.Add(new(list, entry.Code, "name", $"name is at most {MaxNameLength} characters."));
        }
    }

    private static void Street(ReferenceSet set, Street street, List<ReferenceFailure> failures)
    {
        Named(ReferenceList.Streets, street, failures);
        if (street.RetiredAt is not null)
        {
            Orphans(ReferenceList.Streets, street.Code, "communities",
                set.Communities.Values.Where(c => c.StreetCode == street.Code && c.RetiredAt is null).Select(c => c.Code), failures);
        }
    }

    private static void Community(ReferenceSet set, Community community, List<ReferenceFailure> failures)
    {
        Named(ReferenceList.Communities, community, failures);
        Parent(ReferenceList.Communities, community, "streetCode", community.StreetCode, set.Streets.GetValueOrDefault(community.StreetCode ?? ""), "street", failures);
        if (community.RetiredAt is not null)
        {
            Orphans(ReferenceList.Communities, community.Code, "grids",
                set.Grids.Values.Where(g => g.CommunityCode == community.Code && g.RetiredAt is null).Select(g => g.Code), failures);
        }
    }

    private static void Grid(ReferenceSet set, Grid grid, List<ReferenceFailure> failures)
    {
        Named(ReferenceList.Grids, grid, failures);
        Parent(ReferenceList.Grids, grid, "communityCode", grid.CommunityCode, set.Communities.GetValueOrDefault(grid.CommunityCode ?? ""), "community", failures);
    }

    private static void Department(ReferenceSet set, Department department, List<ReferenceFailure> failures)
    {
        Named(ReferenceList.Departments, department, failures);
        if (department.RetiredAt is not null)
        {
            var routes = set.Categories.Values.Where(c => c.RetiredAt is null && c.DepartmentCode == department.Code).Select(c => "category " + c.Code)
                .Concat(set.Catalogue.Values.Where(e => IsLive(set, e) && (e.DepartmentCode == department.Code || e.CoDepartmentCodes.Contains(department.Code)))
                    .Select(e => e.Name))
                .ToList();
            if (routes.Count > 0)
            {
                failures.Add(new(ReferenceList.Departments, department.Code, "code",
                    $"A retired department takes no routes, but {Sample(routes)} still route to '{department.Code}'; route them elsewhere first (or retire it with reassignTo)."));
            }
        }
    }

    private static void Category(ReferenceSet set, Category category, List<ReferenceFailure> failures)
    {
        const ReferenceList list = ReferenceList.Categories;
        Named(list, category, failures);
        // A retired category may keep a department retired since, but it still names one that exists: the store's key says so.
        Department(list, category.Code, "departmentCode", category.DepartmentCode, set, failures, inUse: category.RetiredAt is null);
        Hours(list, category.Code, "acknowledgeWithinHours", category.AcknowledgeWithinHours, failures);
        Hours(list, category.Code, "resolveWithinHours", category.ResolveWithinHours, failures);
        Hours(list, category.Code, "urgentAcknowledgeWithinHours", category.UrgentAcknowledgeWithinHours, failures);
        Hours(list, category.Code, "urgentResolveWithinHours", category.UrgentResolveWithinHours, failures);
        if (category.UrgentAcknowledgeWithinHours > category.AcknowledgeWithinHours)
        {
            failures.Add(new(list, category.Code, "urgentAcknowledgeWithinHours", "An urgent order cannot have longer to acknowledge than a normal one."));
        }
        if (category.UrgentResolveWithinHours > category.ResolveWithinHours)
        {
            failures.Add(new(list, category.Code, "urgentResolveWithinHours", "An urgent order cannot have longer to resolve than a normal one."));
        }
    }

    private static void Entry(ReferenceSet set, DutyEntry entry, List<ReferenceFailure> failures)
    {
        const ReferenceList list = ReferenceList.Catalogue;
        var key = entry.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!set.Categories.TryGetValue(entry.CategoryCode ?? "", out var category))
        {
            failures.Add(new(list, key, "categoryCode", $"No category has the code '{entry.CategoryCode}'."));
        }
        else if (category.RetiredAt is not null)
        {
            failures.Add(new(list, key, "categoryCode", $"The category '{entry.CategoryCode}' is retired: it takes no new routes."));
        }
        if ((entry.StreetCode is null) == (entry.CommunityCode is null))
        {
            failures.Add(new(list, key, entry.StreetCode is null ? "streetCode" : "communityCode",
                "An entry names one area: a streetCode or a communityCode, not both and not neither (the category's own departmentCode is the district-wide entry)."));
        }
        else if (entry.StreetCode is not null)
        {
            Area(list, key, "streetCode", entry.StreetCode, set.Streets.GetValueOrDefault(entry.StreetCode), "street", failures);
        }
        else
        {
            Area(list, key, "communityCode", entry.CommunityCode!, set.Communities.GetValueOrDefault(entry.CommunityCode!), "community", failures);
        }
        Department(list, key, "departmentCode", entry.DepartmentCode, set, failures);
        if (entry.CoDepartmentCodes.Count > MaxCoDepartments)
        {
            failures.Add(new(list, key, "coDepartmentCodes", $"At most {MaxCoDepartments} co-handling departments; {entry.CoDepartmentCodes.Count} were named."));
            return;
        }
        for (var i = 0; i < entry.CoDepartmentCodes.Count; i++)
        {
            var code = entry.CoDepartmentCodes[i];
            Department(list, key, $"coDepartmentCodes[{i}]", code, set, failures);
            if (code == entry.DepartmentCode)
            {
                failures.Add(new(list, key, $"coDepartmentCodes[{i}]", "The lead department is not also a co-handler."));
            }
            else if (entry.CoDepartmentCodes.IndexOf(code) != i)
            {
                failures.Add(new(list, key, $"coDepartmentCodes[{i}]", $"'{code}' is named twice."));
            }
        }
        var same = set.Catalogue.Values.FirstOrDefault(e => e.Id != entry.Id && e.CategoryCode == entry.CategoryCode
            && e.StreetCode == entry.StreetCode && e.CommunityCode == entry.CommunityCode);
        if (same is not null)
        {
            failures.Add(new(list, key, entry.StreetCode is null ? "communityCode" : "streetCode",
                $"{same.Name} already routes '{entry.CategoryCode}' in {entry.StreetCode ?? entry.CommunityCode}."));
        }
    }

    /// <summary>An entry that can still route: its category is in use (a retired category's overrides are moot).</summary>
    public static bool IsLive(ReferenceSet set, DutyEntry entry) =>
        set.Categories.TryGetValue(entry.CategoryCode, out var category) && category.RetiredAt is null;

    private static void Parent(ReferenceList list, IReferenceEntry entry, string field, string? code, IReferenceEntry? parent, string what,
        List<ReferenceFailure> failures)
    {
        if (string.IsNullOrEmpty(code))
        {
            failures.Add(new(list, entry.Code, field, $"{field} is required."));
        }
        else if (parent is null)
        {
            failures.Add(new(list, entry.Code, field, $"No {what} has the code '{code}'."));
        }
        else if (entry.RetiredAt is null && parent.RetiredAt is not null)
        {
            failures.Add(new(list, entry.Code, field, $"The {what} '{code}' is retired: an entry in use cannot be under it."));
        }
    }

    private static void Area(ReferenceList list, string key, string field, string code, IReferenceEntry? area, string what, List<ReferenceFailure> failures)
    {
        if (area is null)
        {
            failures.Add(new(list, key, field, $"No {what} has the code '{code}'."));
        }
        else if (area.RetiredAt is not null)
        {
            failures.Add(new(list, key, field, $"The {what} '{code}' is retired: it takes no new routes."));
        }
    }

    private static void Department(ReferenceList list, string key, string field, string? code, ReferenceSet set, List<ReferenceFailure> failures,
        bool inUse = true)
    {
        if (string.IsNullOrEmpty(code))
        {
            failures.Add(new(list, key, field, $"{field} is required."));
        }
        else if (!set.Departments.TryGetValue(code, out var department))
        {
            failures.Add(new(list, key, field, $"No department has the code '{code}'."));
        }
        else if (inUse && department.RetiredAt is not null)
        {
            failures.Add(new(list, key, field, $"The department '{code}' is retired: nothing can be routed to it."));
        }
    }

    private static void Hours(ReferenceList list, string key, string field, int hours, List<ReferenceFailure> failures)
    {
        if (hours is < 1 or > MaxHours)
        {
            failures.Add(new(list, key, field, $"{field} is a whole number of hours from 1 to {MaxHours}."));
        }
    }

    private static void Orphans(ReferenceList list, string key, string what, IEnumerable<string> children, List<ReferenceFailure> failures)
    {
        var left = children.Order(StringComparer.Ordinal).ToList();
        if (left.Count > 0)
        {
            failures.Add(new(list, key, "code",
                $"Retiring '{key}' would orphan {left.Count} {what} still in use ({Sample(left)}): move or retire them first."));
        }
    }

    private static string Sample(List<string> items) =>
        string.Join(", ", items.Take(10)) + (items.Count > 10 ? $" and {items.Count - 10} more" : "");

    public static string Name(ReferenceList list) => list.ToString().ToLowerInvariant();
}
