using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Whistle.Api.Features.Reference;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Reference;

/// <summary><c>reference export|import</c>: run in-process against the test database, as a district's operator runs them.</summary>
public class SpreadsheetCommandTests(WhistleApp app) : IClassFixture<WhistleApp>, IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("whistle-reference-");

    public void Dispose()
    {
        _folder.Delete(recursive: true);
        GC.SuppressFinalize(this);
    }

    private async Task<(int Exit, string Output, string Errors)> Run(params string[] args)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Whistle"] = app.ConnectionString }).Build();
        var output = new StringWriter();
        var errors = new StringWriter();
        var exit = await ReferenceCommand.RunAsync(args, configuration, output, errors);
        return (exit, output.ToString(), errors.ToString());
    }

    private async Task<int> Changes()
    {
        await using var db = app.Db();
        return await db.ReferenceChanges.CountAsync();
    }

    [Fact]
    public async Task Export_then_import_of_the_workbook_and_of_the_csv_folder_plans_no_change_and_exits_0()
    {
        var workbook = Path.Combine(_folder.FullName, "reference.xlsx");
        var csv = Path.Combine(_folder.FullName, "csv");
        Assert.Equal(0, (await Run("export", "--format", "xlsx", "--output", workbook)).Exit);
        Assert.Equal(0, (await Run("export", "--output", csv, "--format", "csv")).Exit);
        Assert.Equal(["calendar.csv", "catalogue.csv", "categories.csv", "communities.csv", "departments.csv", "grids.csv", "streets.csv"],
            Directory.GetFiles(csv).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var before = await Changes();

        var (exit, output, errors) = await Run("import", workbook, "--dry-run");
        Assert.Equal((0, ""), (exit, errors));
        Assert.Contains("grids: 4693 rows; 0 added, 0 changed, 0 moved, 0 retired, 0 reinstated, 0 removed, 4693 unchanged", output);
        Assert.Contains("Dry run", output);

        (exit, output, _) = await Run("import", csv);
        Assert.Equal(0, exit);
        Assert.Contains("communities: 453 rows; 0 added, 0 changed, 0 moved", output);
        Assert.Equal(before, await Changes());
    }

    [Fact]
    public async Task An_import_with_errors_prints_each_at_its_row_exits_2_and_changes_nothing()
    {
        var csv = Path.Combine(_folder.FullName, "edited");
        Assert.Equal(0, (await Run("export", "--format", "csv", "--output", csv)).Exit);
        var communities = Path.Combine(csv, "communities.csv");
        var lines = (await File.ReadAllLinesAsync(communities)).Length;
        await File.AppendAllTextAsync(communities, "ST01-C98,新社区,NOWHERE,\r\nST01-C99,,ST01,\r\n");
        var before = await Changes();

        var (exit, _, errors) = await Run("import", csv);

        Assert.Equal(2, exit);
        Assert.Contains($"communities row {lines + 1} streetCode: No street has the code 'NOWHERE'.", errors);
        Assert.Contains($"communities row {lines + 2} name: name is required.", errors);
        Assert.Contains("nothing was changed", errors);
        Assert.Equal(before, await Changes());
        await using var db = app.Db();
        Assert.False(await db.Communities.AnyAsync(c => c.Code == "ST01-C98" || c.Code == "ST01-C99"));
    }

    [Fact]
    public async Task A_new_entry_imported_from_the_command_line_is_logged_as_the_command_lines()
    {
        var file = Path.Combine(_folder.FullName, "departments.csv");
        await File.WriteAllTextAsync(file, "编码 code,名称 name,停用 retired\r\ncli-dept,命令行部门,\r\n");

        var (exit, output, _) = await Run("import", file);

        Assert.Equal(0, exit);
        Assert.Contains("departments: 1 rows; 1 added", output);
        await using var db = app.Db();
        var change = await db.ReferenceChanges.SingleAsync(c => c.Entity == "departments" && c.Code == "cli-dept");
        Assert.Equal(("create", "command line", (string?)null), (change.Action, change.Actor, change.ActorId));
    }

    [Theory]
    [InlineData("export")]
    [InlineData("export", "--format", "pdf", "--output", "x")]
    [InlineData("import")]
    [InlineData("import", "/no/such/reference.xlsx")]
    [InlineData("import", "/no/such/boundaries.geojson")]
    [InlineData("import", "reference.xlsx", "--force")]
    [InlineData("rename")]
    public async Task A_bad_argument_exits_2_with_the_reason(params string[] args)
    {
        var (exit, output, errors) = await Run(args);

        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Matches("usage: reference|no file", errors);
    }
}
