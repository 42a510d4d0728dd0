using System.Net;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using Whistle.Api.Features.Access;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Downloads;

/// <summary>The orders list downloads whole, with the list's filters and scope, and what residents typed never runs as a formula.</summary>
public class OrderExportTests(WhistleApp app) : IClassFixture<WhistleApp>, IAsyncLifetime
{
    private const string Formula = "=HYPERLINK(\"http://evil.example\",\"click\")";
    private const string Chinese = "井盖破损，\"小心\"";

    private readonly HttpClient _client = app.CreateClient();
    private Order _whistled = null!;

    public async Task InitializeAsync()
    {
        var orders = await ListAsync("/api/v1/orders/export?format=csv");
        if (orders.Count > 1)
        {
            _whistled = await _client.Get(Guid.Parse(orders.Single(r => r[2] == "whistled")[1]));
            return;
        }
        await File(Formula, "Plain description");
        _whistled = await _client.Whistle((await File(Chinese, "Line one\nline two, with a comma")).Id);
        await File("-1 bins missing", "@everyone should see this", grid: "ST01-C02-G01");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_csv_export_has_every_matching_order_oldest_first_with_formulas_neutralised()
    {
        var rows = await ListAsync("/api/v1/orders/export?format=csv");

        Assert.Equal("code", rows[0][0]);
        var orders = rows.Skip(1).ToList();
        Assert.Equal(3, orders.Count);
        Assert.Equal(orders.Select(r => r[0]).Order(StringComparer.Ordinal), orders.Select(r => r[0]));
        var title = Column(rows, "title");
        var description = Column(rows, "description");
        Assert.Equal("'" + Formula, orders[0][title]);
        Assert.Equal(Chinese, orders[1][title]);
        Assert.Equal("Line one\nline two, with a comma", orders[1][description]);
        Assert.Equal("'-1 bins missing", orders[2][title]);
        Assert.Equal("'@everyone should see this", orders[2][description]);
        Assert.Equal("40.8424", orders[0][Column(rows, "latitude")]);
    }

    [Fact]
    public async Task The_lists_filters_apply()
    {
        var whistled = await ListAsync("/api/v1/orders/export?format=csv&state=whistled");
        var community = await ListAsync("/api/v1/orders/export?communityCode=ST01-C02");

        Assert.Equal([_whistled.Code], whistled.Skip(1).Select(r => r[0]));
        Assert.Equal("sanitation", whistled[1][Column(whistled, "departmentCode")]);
        Assert.Single(community.Skip(1));
        Assert.Equal("ST01-C02-G01", community[1][Column(community, "gridCode")]);
    }

    [Fact]
    public async Task An_xlsx_export_keeps_text_as_text_and_never_as_a_formula()
    {
        var response = await _client.GetAsync("/api/v1/orders/export?format=xlsx");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var sheet = Sheets.ReadXlsx(bytes);
        var title = Array.IndexOf(sheet[0], "title");
        Assert.Equal([Formula, Chinese, "-1 bins missing"], sheet.Skip(1).Select(r => r[title]));
        using var document = SpreadsheetDocument.Open(new MemoryStream(bytes), false);
        Assert.Empty(document.WorkbookPart!.WorksheetParts.Single().Worksheet.Descendants<CellFormula>());
    }

    [Fact]
    public async Task A_caller_exports_only_its_own_scope()
    {
        var housing = app.ClientAs(Role.Department, department: "housing");
        var sanitation = app.ClientAs(Role.Department, department: "sanitation");

        Assert.Single(await ListAsync("/api/v1/orders/export", housing));
        Assert.Equal([_whistled.Code], (await ListAsync("/api/v1/orders/export", sanitation)).Skip(1).Select(r => r[0]));
    }

    [Theory]
    [InlineData("format=pdf", "format")]
    [InlineData("format=json", "format")]
    [InlineData("state=lost", "state")]
    [InlineData("overdue=maybe", "overdue")]
    public async Task Bad_parameters_are_a_400_naming_them(string query, string field)
    {
        var response = await _client.GetAsync($"/api/v1/orders/export?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(field, (await response.Read<Problem>()).Errors!.Keys);
    }

    [Fact]
    public async Task A_dashboard_exports_the_overdue_list_only()
    {
        var dashboard = app.ClientAs(Role.Dashboard);

        Assert.Equal(HttpStatusCode.Forbidden, (await dashboard.GetAsync("/api/v1/orders/export")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await dashboard.GetAsync("/api/v1/orders/export?overdue=true")).StatusCode);
    }

    private async Task<Order> File(string title, string description, string grid = "ST01-C01-G01")
    {
        var body = Filing.Valid(grid: grid);
        body["title"] = title;
        body["description"] = description;
        var response = await _client.Post("/api/v1/orders", body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Read<Order>();
    }

    private async Task<List<string[]>> ListAsync(string path, HttpClient? client = null)
    {
        var response = await (client ?? _client).GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        return Sheets.ReadCsv(await response.Content.ReadAsByteArrayAsync());
    }

    private static int Column(List<string[]> rows, string name) => Array.IndexOf(rows[0], name);
}
