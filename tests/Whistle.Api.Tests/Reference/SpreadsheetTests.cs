using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SpreadCheetah;
using Whistle.Api.Tests.Downloads;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Reference;

/// <summary>The reference lists out as a workbook or CSV files and back in: the plan, every error at once, all or nothing.</summary>
public class SpreadsheetTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    private readonly HttpClient _admin = app.CreateClient();

    private static readonly string[] Lists = ["streets", "communities", "grids", "departments", "categories", "catalogue", "calendar"];

    private async Task<int> Changes()
    {
        await using var db = app.Db();
        return await db.ReferenceChanges.CountAsync();
    }

    /// <summary>Everything the lists hold, as the CSV export writes it: equal before and after means nothing changed.</summary>
    private async Task<Dictionary<string, string>> Everything() => SpreadsheetFiles.Unzip(await _admin.Export("csv"));

    [Theory]
    [InlineData("xlsx")]
    [InlineData("csv")]
    public async Task Importing_what_was_just_exported_plans_no_change_and_applying_it_changes_nothing(string format)
    {
        // A retired entry, a name a spreadsheet would take for a formula, and an override with co-handlers: all must come back as they went.
        await _admin.Department("RT-" + format, "=HYPERLINK(\"http://x\",\"退役\")");
        Assert.Equal(HttpStatusCode.OK, (await _admin.Post($"/api/v1/departments/RT-{format}/retire")).StatusCode);
        await _admin.Created("/api/v1/catalogue", new { categoryCode = "noise", streetCode = format == "csv" ? "ST11" : "ST12", departmentCode = "police", coDepartmentCodes = new[] { "ecology", "sanitation" } });
        var file = await _admin.Export(format);
        var name = format == "xlsx" ? "reference.xlsx" : "reference-csv.zip";
        var before = await Changes();

        var plan = await (await _admin.Import(file, name, dryRun: true)).Planned();

        Assert.Equal(Lists, plan.GetProperty("sheets").EnumerateArray().Select(s => s.GetProperty("sheet").GetString()));
        foreach (var list in Lists)
        {
            var counts = plan.Counts(list);
            Assert.True(counts is (0, 0, 0, 0, 0, 0, _), $"{list}: {counts}");
        }
        Assert.Equal(453, plan.Counts("communities").Unchanged);
        Assert.Equal(4693, plan.Counts("grids").Unchanged);
        Assert.True(plan.GetProperty("dryRun").GetBoolean());
        Assert.Empty(plan.GetProperty("errors").EnumerateArray());

        var applied = await (await _admin.Import(file, name, dryRun: false)).Planned();
        Assert.True(applied.GetProperty("applied").GetBoolean());
        Assert.Equal(before, await Changes());
    }

    [Fact]
    public async Task A_district_renames_a_department_moves_a_community_adds_a_category_with_a_street_override_and_next_years_holidays()
    {
        var files = await Everything();
        files["departments.csv"] = files["departments.csv"].WithLine("sanitation", "sanitation,环境卫生事务中心,");
        var community = files["communities.csv"].Line("ST01-C02").Split(',');
        files["communities.csv"] = files["communities.csv"].WithLine("ST01-C02", $"ST01-C02,{community[1]},ST02,");
        files["categories.csv"] = files["categories.csv"].Adding("pothole,道路坑洼,urban-management,4,48,2,24,false,false,");
        files["catalogue.csv"] = files["catalogue.csv"].Adding(",pothole,ST03,,housing,,");
        files["calendar.csv"] = files["calendar.csv"].Adding("2027-01-01,holiday,元旦,", "2027-02-07,workday,春节调休,");
        var edited = SpreadsheetFiles.Zip(files);
        var before = await Changes();

        var plan = await (await _admin.Import(edited, "reference.zip", dryRun: true)).Planned();

        Assert.True(plan.Counts("departments") is (0, 1, 0, 0, 0, 0, > 60), plan.Counts("departments").ToString());
        Assert.Equal(["sanitation"], plan.Codes("departments", "changed"));
        Assert.Equal(["ST01-C02"], plan.Codes("communities", "moved"));
        Assert.Equal(["pothole"], plan.Codes("categories", "added"));
        Assert.Equal(["pothole@ST03"], plan.Codes("catalogue", "added"));
        Assert.Equal(["2027-01-01", "2027-02-07"], plan.Codes("calendar", "added"));
        Assert.Equal(before, await Changes());
        Assert.Equal(0, (await _admin.GetFromJsonAsync<JsonElement>("/api/v1/categories?departmentCode=urban-management")).EnumerateArray().Count(c => c.GetProperty("code").GetString() == "pothole"));

        var applied = await (await _admin.Import(edited, "reference.zip", dryRun: false)).Planned();

        Assert.True(applied.GetProperty("applied").GetBoolean());
        Assert.Equal(before + 6, await Changes());
        var department = await _admin.GetFromJsonAsync<JsonElement>("/api/v1/departments/sanitation");
        Assert.Equal("环境卫生事务中心", department.GetProperty("name").GetString());
        Assert.Equal("ST02", (await _admin.GetFromJsonAsync<JsonElement>("/api/v1/communities/ST01-C02")).GetProperty("streetCode").GetString());
        var days = await _admin.GetFromJsonAsync<JsonElement>("/api/v1/calendar?year=2027");
        Assert.Equal(["2027-01-01", "2027-02-07"], days.EnumerateArray().Select(d => d.GetProperty("date").GetString()));
        var log = await _admin.GetFromJsonAsync<JsonElement>("/api/v1/reference/changes?entity=departments&code=sanitation");
        var change = log.GetProperty("items")[0];
        Assert.Equal(("update", "test admin"), (change.GetProperty("action").GetString(), change.GetProperty("actor").GetString()));
        Assert.Equal("环境卫生服务中心", change.GetProperty("before").GetProperty("name").GetString());

        // The new category routes by its override in ST03, and by its own department elsewhere.
        var entry = (await _admin.GetFromJsonAsync<JsonElement>("/api/v1/catalogue?categoryCode=pothole"))[0].GetProperty("id").GetInt64();
        var order = await _admin.File(category: "pothole", grid: "ST03-C01-G01");
        var whistled = await _admin.Whistle(order.Id);
        Assert.Equal("housing", whistled.DepartmentCode);
        Assert.Equal($"catalogue:{entry}", (await _admin.History(order.Id))[^1].Details["routedBy"]);
        var elsewhere = await _admin.Whistle((await _admin.File(category: "pothole", grid: "ST04-C01-G01")).Id);
        Assert.Equal("urban-management", elsewhere.DepartmentCode);

        // And the edited file, imported again, plans no change.
        var again = await (await _admin.Import(SpreadsheetFiles.Zip(await Everything()), "reference.zip", dryRun: true)).Planned();
        Assert.All(Lists, list => Assert.True(again.Counts(list) is (0, 0, 0, 0, 0, 0, _)));
    }

    [Fact]
    public async Task Every_error_is_reported_with_its_sheet_row_and_column_all_at_once_and_nothing_changes()
    {
        var files = await Everything();
        var original = files.ToDictionary(f => f.Key, f => f.Value);
        var rows = files["communities.csv"].Split("\r\n").Length - 1;
        files["communities.csv"] = files["communities.csv"].Adding("ST01-C99,新社区,NOWHERE,");
        files["grids.csv"] = files["grids.csv"].Adding("NEW-G1,新网格,ST01-C01,", "NEW-G1,又一个,ST01-C01,");
        files["categories.csv"] = files["categories.csv"].Adding("too-urgent,紧急,sanitation,4,24,8,12,false,false,", "no-hours,无时限,sanitation,four,24,2,12,false,false,");
        files["streets.csv"] = files["streets.csv"].WithLine("ST05", "ST05,退役街道,是");
        files["departments.csv"] = files["departments.csv"].WithLine("police", "police,公安分局,是");
        files["catalogue.csv"] = files["catalogue.csv"].Adding(",garbage,ST01,ST01-C01,sanitation,,");
        var before = await Changes();

        var errors = await (await _admin.Import(SpreadsheetFiles.Zip(files), "reference.zip", dryRun: false)).Refused();

        var at = errors.Select(e => (e.Sheet, e.Row, e.Column)).ToList();
        Assert.Contains(("communities", rows + 1, "streetCode"), at);
        Assert.Contains(errors, e => e is ("grids", _, "code", _) && e.Message.Contains("already", StringComparison.Ordinal));
        Assert.Contains(errors, e => e is ("categories", _, "urgentAcknowledgeWithinHours", _));
        Assert.Contains(errors, e => e is ("categories", _, "acknowledgeWithinHours", _) && e.Message.Contains("'four'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e is ("streets", 6, "code", _) && e.Message.Contains("orphan", StringComparison.Ordinal));
        Assert.Contains(errors, e => e is ("departments", _, "code", _) && e.Message.Contains("police", StringComparison.Ordinal));
        Assert.Contains(errors, e => e is ("catalogue", _, "streetCode" or "communityCode", _));
        Assert.True(errors.Count >= 7, string.Join("\n", errors));
        Assert.Equal(before, await Changes());
        Assert.Equal(original, await Everything());

        // The dry run says the same, with the same 400.
        Assert.Equal(errors, await (await _admin.Import(SpreadsheetFiles.Zip(files), "reference.zip", dryRun: true)).Refused());
    }

    [Fact]
    public async Task A_category_routed_to_a_department_the_same_file_retires_is_refused_at_the_category()
    {
        await _admin.Department("OLD-D", "旧部门");
        var files = new Dictionary<string, string>
        {
            ["departments.csv"] = "编码 code,名称 name,停用 retired\r\nOLD-D,旧部门,是\r\n",
            ["categories.csv"] = "code,name,departmentCode,acknowledgeWithinHours,resolveWithinHours,urgentAcknowledgeWithinHours,urgentResolveWithinHours,resolveInWorkingDays,requiresResolutionPhoto,retired\r\n" +
                "old-cat,旧类别,OLD-D,4,24,2,12,否,否,\r\n",
        };

        var errors = await (await _admin.Import(SpreadsheetFiles.Zip(files), "two.zip", dryRun: true)).Refused();

        Assert.Contains(errors, e => e is ("categories", 2, "departmentCode", _) && e.Message.Contains("retired", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_file_with_a_few_rows_edits_just_those_and_absent_rows_stay_as_they_are()
    {
        var files = new Dictionary<string, string> { ["streets.csv"] = "名称,编码,停用\r\n新街道,ST40,\r\n" };

        var plan = await (await _admin.Import(SpreadsheetFiles.Zip(files), "one.zip", dryRun: false)).Planned();

        Assert.Equal((1, 0, 0, 0, 0, 0, 0), plan.Counts("streets"));
        Assert.Single(plan.GetProperty("sheets").EnumerateArray());
        var streets = await _admin.GetFromJsonAsync<JsonElement>("/api/v1/streets");
        Assert.Equal(40, streets.EnumerateArray().Count(s => s.GetProperty("retiredAt").ValueKind == JsonValueKind.Null));
    }

    [Fact]
    public async Task Files_that_are_not_what_they_claim_are_refused_with_the_reason()
    {
        async Task<string> Reason(byte[] file, string name) => string.Join(" | ", (await (await _admin.Import(file, name, dryRun: true)).Refused()).Select(e => e.Message));

        Assert.Contains("not an XLSX workbook", await Reason(Encoding.UTF8.GetBytes("%PDF-1.4 not a workbook"), "reference.xlsx"));
        Assert.Contains("not an XLSX workbook", await Reason([0x50, 0x4B, 0x03, 0x04, 1, 2, 3], "reference.xlsx"));
        Assert.Contains("No list is called", await Reason(SpreadsheetFiles.Zip(new Dictionary<string, string> { ["people.csv"] = "a,b\r\n1,2\r\n" }), "x.zip"));
        Assert.Contains("missing", await Reason(SpreadsheetFiles.Zip(new Dictionary<string, string> { ["streets.csv"] = "code,name\r\nST41,x\r\n" }), "x.zip"));

        // GB18030, as Excel's plain "CSV" writes it on a Chinese Windows: 编码 code,名称 name,停用 retired / ST41,新街道,
        byte[] gb = [.. Encoding.ASCII.GetBytes("code,"), 0xC3, 0xFB, 0xB3, 0xC6, .. Encoding.ASCII.GetBytes(" name,retired\r\nST41,"), 0xD0, 0xC2, .. Encoding.ASCII.GetBytes(",\r\n")];
        var encoding = await Reason(SpreadsheetFiles.Zip(new Dictionary<string, byte[]> { ["streets.csv"] = gb }), "x.zip");
        Assert.Contains("streets.csv is not UTF-8", encoding);
        Assert.Contains("GB18030", encoding);
    }

    [Fact]
    public async Task A_zip_bomb_is_refused_before_it_is_inflated()
    {
        // 150 MiB of spaces, a few hundred KiB compressed: over the bound by its declared size.
        var bomb = SpreadsheetFiles.Zip(new Dictionary<string, byte[]> { ["streets.csv"] = new byte[150 * 1024 * 1024] });
        Assert.True(bomb.Length < 1024 * 1024);
        Assert.Contains(await (await _admin.Import(bomb, "bomb.zip", dryRun: true)).Refused(), e => e.Message.Contains("inflate", StringComparison.Ordinal));

        var many = SpreadsheetFiles.Zip(Enumerable.Range(0, 500).ToDictionary(i => $"f{i}.txt", _ => new byte[1]));
        Assert.Contains(await (await _admin.Import(many, "many.zip", dryRun: true)).Refused(), e => e.Message.Contains("entries", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_million_empty_rows_are_skipped_in_csv_and_in_a_workbook()
    {
        var csv = new StringBuilder("code,name,retired\r\nST42,空行街道,\r\n");
        for (var i = 0; i < 1_000_000; i++)
        {
            csv.Append(",,\r\n");
        }
        var plan = await (await _admin.Import(SpreadsheetFiles.Zip(new Dictionary<string, string> { ["streets.csv"] = csv.ToString() }), "empty.zip", dryRun: true)).Planned();
        Assert.Equal((1, 0, 0, 0, 0, 0, 0), plan.Counts("streets"));

        using var buffer = new MemoryStream();
        await using (var workbook = await Spreadsheet.CreateNewAsync(buffer))
        {
            await workbook.StartWorksheetAsync("streets");
            await workbook.AddRowAsync([new DataCell("编码 code"), new DataCell("名称 name"), new DataCell("停用 retired")]);
            await workbook.AddRowAsync([new DataCell("ST42"), new DataCell("空行街道"), new DataCell("")]);
            for (var i = 0; i < 1_000_000; i++)
            {
                await workbook.AddRowAsync([new DataCell("")]);
            }
            await workbook.FinishAsync();
        }
        var fromWorkbook = await (await _admin.Import(buffer.ToArray(), "empty.xlsx", dryRun: true)).Planned();
        Assert.Equal((1, 0, 0, 0, 0, 0, 0), fromWorkbook.Counts("streets"));
    }

    [Fact]
    public async Task A_formula_in_a_cell_is_never_evaluated_but_reported_at_its_cell()
    {
        using var buffer = new MemoryStream();
        await using (var workbook = await Spreadsheet.CreateNewAsync(buffer))
        {
            await workbook.StartWorksheetAsync("departments");
            await workbook.AddRowAsync([new DataCell("编码 code"), new DataCell("名称 name"), new DataCell("停用 retired")]);
            await workbook.AddRowAsync([new Cell("sanitation"), new Cell(new Formula("CONCATENATE(\"环境\",\"卫生\")"), new DataCell("环境卫生")), new Cell("")]);
            await workbook.FinishAsync();
        }

        var errors = await (await _admin.Import(buffer.ToArray(), "formula.xlsx", dryRun: true)).Refused();

        var error = Assert.Single(errors);
        Assert.Equal(("departments", 2, "name"), (error.Sheet, error.Row, error.Column));
        Assert.Contains("formula", error.Message);
    }

    [Fact]
    public async Task An_upload_over_the_bound_is_413_and_a_body_that_is_not_multipart_415()
    {
        var response = await _admin.Import(new byte[21 * 1024 * 1024], "big.xlsx", dryRun: true);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);

        var json = await _admin.PostAsync("/api/v1/reference/import?dryRun=true", JsonContent.Create(new { }));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);
    }

    [Fact]
    public async Task Only_admins_export_and_import()
    {
        var supervisor = app.ClientAs(Whistle.Api.Features.Access.Role.Supervisor);
        Assert.Equal(HttpStatusCode.Forbidden, (await supervisor.GetAsync("/api/v1/reference/export")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await supervisor.Import([1], "x.xlsx", dryRun: true)).StatusCode);
    }

    [LibreOfficeFact]
    public async Task The_exported_workbook_opens_in_libreoffice()
    {
        var read = await Sheets.ThroughLibreOfficeAsync(await _admin.Export("xlsx"));

        // LibreOffice converts the first sheet: the streets, with the clerk's headers.
        Assert.Equal(["编码 code", "名称 name", "停用 retired"], read[0]);
        Assert.Equal(["ST01", "ST39"], new[] { read[1][0], read[39][0] });
    }
}
