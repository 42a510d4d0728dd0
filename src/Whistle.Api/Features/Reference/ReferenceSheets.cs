using System.Globalization;
using Whistle.Domain.Reference;

namespace Whistle.Api.Features.Reference;

/// <summary>
/// The reference data as a district office keeps it: a sheet per list (an XLSX workbook, or one CSV
/// file per list), each with a header row a clerk can read — the Chinese name and the API's field
/// name side by side (<c>名称 name</c>); on import either half alone is accepted too.
/// </summary>
public static class ReferenceSheets
{
    /// <summary>One column: its API name (as the JSON and the errors name it) and its Chinese name.</summary>
    public sealed record Column(string Name, string Chinese)
    {
        public string Header => $"{Chinese} {Name}";

        /// <summary>The full header, or either half of it, whatever the case of the API name.</summary>
        public bool Matches(string header)
        {
            var text = string.Join(' ', header.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
            return text.Equals(Header, StringComparison.OrdinalIgnoreCase) || text == Chinese || text.Equals(Name, StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>A sheet: its name (the workbook's sheet, the CSV file's name), a Chinese alias, and its columns in order.</summary>
    public sealed record Sheet(string Name, string Chinese, IReadOnlyList<Column> Columns)
    {
        public Column this[string name] => Columns.Single(c => c.Name == name);

        public bool Matches(string name)
        {
            var text = name.Trim();
            return text.Equals(Name, StringComparison.OrdinalIgnoreCase) || text == Chinese || text.Equals($"{Chinese} {Name}", StringComparison.OrdinalIgnoreCase);
        }
    }

    private static readonly Column Code = new("code", "编码");
    private static readonly Column Name = new("name", "名称");
    private static readonly Column Retired = new("retired", "停用");
    private static readonly Column Remove = new("remove", "删除");

    public static readonly Sheet Streets = new("streets", "街道", [Code, Name, Retired]);
    public static readonly Sheet Communities = new("communities", "社区", [Code, Name, new("streetCode", "所属街道"), Retired]);
    public static readonly Sheet Grids = new("grids", "网格", [Code, Name, new("communityCode", "所属社区"), Retired]);
    public static readonly Sheet Departments = new("departments", "部门", [Code, Name, Retired]);

    public static readonly Sheet Categories = new("categories", "类别",
    [
        Code, Name, new("departmentCode", "主责部门"),
        new("acknowledgeWithinHours", "签收时限(小时)"), new("resolveWithinHours", "办结时限(小时)"),
        new("urgentAcknowledgeWithinHours", "紧急签收时限(小时)"), new("urgentResolveWithinHours", "紧急办结时限(小时)"),
        new("resolveInWorkingDays", "按工作日计"), new("requiresResolutionPhoto", "需办结照片"), Retired,
    ]);

    public static readonly Sheet Catalogue = new("catalogue", "权责清单",
    [
        new("id", "编号"), new("categoryCode", "类别"), new("streetCode", "街道"), new("communityCode", "社区"),
        new("departmentCode", "主责部门"), new("coDepartmentCodes", "协办部门"), Remove,
    ]);

    public static readonly Sheet Calendar = new("calendar", "工作日历", [new("date", "日期"), new("kind", "类型"), Name, Remove]);

    /// <summary>Every sheet, in the order they are written and applied (parents before children).</summary>
    public static readonly IReadOnlyList<Sheet> All = [Streets, Communities, Grids, Departments, Categories, Catalogue, Calendar];

    /// <summary>Co-handlers in one cell: separated by spaces, commas, semicolons or 、.</summary>
    public static readonly char[] ListSeparators = [' ', ',', '，', ';', '；', '、'];

    /// <summary>The current lists as tables, one per sheet, rows by code (retired entries too, with when they were retired).</summary>
    public static async Task<IReadOnlyList<Table>> ExportAsync(WhistleDbContext db, CancellationToken cancellationToken)
    {
        var set = await ReferenceSet.LoadAsync(db, cancellationToken);
        var days = await db.CalendarDays.AsNoTracking().OrderBy(d => d.Date).ToListAsync(cancellationToken);
        static IEnumerable<T> ByCode<T>(IEnumerable<T> entries) where T : IReferenceEntry => entries.OrderBy(e => e.Code, StringComparer.Ordinal);
        return
        [
            Of(Streets, ByCode(set.Streets.Values).Select(s => new object?[] { s.Code, s.Name, s.RetiredAt })),
            Of(Communities, ByCode(set.Communities.Values).Select(c => new object?[] { c.Code, c.Name, c.StreetCode, c.RetiredAt })),
            Of(Grids, ByCode(set.Grids.Values).Select(g => new object?[] { g.Code, g.Name, g.CommunityCode, g.RetiredAt })),
            Of(Departments, ByCode(set.Departments.Values).Select(d => new object?[] { d.Code, d.Name, d.RetiredAt })),
            Of(Categories, ByCode(set.Categories.Values).Select(c => new object?[]
            {
                c.Code, c.Name, c.DepartmentCode, c.AcknowledgeWithinHours, c.ResolveWithinHours, c.UrgentAcknowledgeWithinHours,
                c.UrgentResolveWithinHours, c.ResolveInWorkingDays, c.RequiresResolutionPhoto, c.RetiredAt,
            })),
            Of(Catalogue, set.Catalogue.Values.OrderBy(e => e.CategoryCode, StringComparer.Ordinal).ThenBy(e => e.Id).Select(e => new object?[]
            {
                e.Id, e.CategoryCode, e.StreetCode, e.CommunityCode, e.DepartmentCode, string.Join(' ', e.CoDepartmentCodes), null,
            })),
            Of(Calendar, days.Select(d => new object?[] { Date(d.Date), WireName.Of(d.Kind), d.Name, null })),
        ];
    }

    private static Table Of(Sheet sheet, IEnumerable<object?[]> rows) => Table.Of(sheet.Name, sheet.Columns.Select(c => c.Header).ToList(), rows);

    public static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
