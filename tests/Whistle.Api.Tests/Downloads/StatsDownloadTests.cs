using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Downloads;

/// <summary>Every statistics answer downloads as CSV and XLSX holding exactly what its JSON says.</summary>
public class StatsDownloadTests(WhistleApp app) : IClassFixture<WhistleApp>, IAsyncLifetime
{
    private readonly HttpClient _client = app.CreateClient();

    public async Task InitializeAsync()
    {
        // Something to count: orders in two departments, one resolved and closed satisfied, one returned.
        if ((await _client.Summary()).Figures.DispatchedOrders > 0)
        {
            return;
        }
        var done = await _client.File();
        await _client.Whistle(done.Id);
        await _client.Acknowledge(done.Id);
        await _client.Resolve(done.Id);
        await _client.Evaluate(done.Id, "satisfied");
        var returned = await _client.File(category: "road-damage");
        await _client.Whistle(returned.Id);
        await _client.Return(returned.Id);
        await _client.Whistle((await _client.File()).Id);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public static TheoryData<string> Questions => new()
    {
        "summary?from=2026-01-01&to=2027-01-01",
        "breakdown?groupBy=department&sort=completionRate&order=desc",
        "breakdown?groupBy=street",
        "timeseries?from=2026-03-01&to=2026-03-08&interval=day",
    };

    [Theory]
    [MemberData(nameof(Questions))]
    public async Task A_csv_download_holds_the_json_answer(string question)
    {
        var (columns, rows) = await AsTableAsync(question);

        var response = await _client.GetAsync(Download(question, "csv"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition!.DispositionType);
        Assert.EndsWith(".csv", response.Content.Headers.ContentDisposition.FileName, StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        var csv = Sheets.ReadCsv(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(columns, csv[0]);
        AssertSameRows(rows, csv.Skip(1).ToList());
    }

    [Theory]
    [MemberData(nameof(Questions))]
    public async Task An_xlsx_download_holds_the_json_answer(string question)
    {
        var (columns, rows) = await AsTableAsync(question);

        var response = await _client.GetAsync(Download(question, "xlsx"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", response.Content.Headers.ContentType!.MediaType);
        Assert.EndsWith(".xlsx", response.Content.Headers.ContentDisposition!.FileName, StringComparison.Ordinal);
        var sheet = Sheets.ReadXlsx(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(columns, sheet[0]);
        AssertSameRows(rows, sheet.Skip(1).ToList());
    }

    [LibreOfficeFact]
    public async Task LibreOffice_reads_the_workbook_as_the_csv_says()
    {
        var question = "breakdown?groupBy=department&from=2026-01-01&to=2027-01-01";
        var csv = Sheets.ReadCsv(await _client.GetByteArrayAsync(Download(question, "csv")));

        var libreOffice = await Sheets.ThroughLibreOfficeAsync(await _client.GetByteArrayAsync(Download(question, "xlsx")));

        Assert.Equal(csv[0], libreOffice[0]);
        Assert.Equal(csv.Count, libreOffice.Count);
        foreach (var (ours, theirs) in csv.Skip(1).Zip(libreOffice.Skip(1)))
        {
            Assert.Equal(ours[..2], theirs[..2]); // code and name (Chinese) as text
            AssertSameRows([ours[2..].Select(Number).ToArray()], [theirs[2..]]);
        }
    }

    [Theory]
    [InlineData("pdf")]
    [InlineData("XLSX")]
    [InlineData("")]
    public async Task An_unknown_format_is_a_400_naming_it(string format)
    {
        var response = await _client.GetAsync($"/api/v1/stats/summary?format={format}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Read<Problem>();
        Assert.Contains("format", problem.Errors!.Keys);
    }

    [Fact]
    public async Task The_format_parameter_of_the_json_paths_still_downloads_as_before()
    {
        // Not checked against the document, which describes the downloads as their own paths now.
        using var client = app.Server.CreateClient();
        client.DefaultRequestHeaders.Add(Whistle.Api.Features.Access.ApiKeys.Header, app.AdminKey);
        var question = "breakdown?groupBy=department&from=2026-01-01&to=2027-01-01";

        var old = await client.GetByteArrayAsync($"/api/v1/stats/{question}&format=csv");

        Assert.Equal(Sheets.ReadCsv(await _client.GetByteArrayAsync(Download(question, "csv"))), Sheets.ReadCsv(old));
    }

    /// <summary>A question's download: its path with .csv or .xlsx, the same query.</summary>
    private static string Download(string question, string extension) =>
        $"/api/v1/stats/{question.Replace("?", $".{extension}?", StringComparison.Ordinal)}";

    /// <summary>The JSON answer flattened as a download says it should be: its own columns, then every figure.</summary>
    private async Task<(string[] Columns, List<double?[]> Rows)> AsTableAsync(string question)
    {
        var json = JsonNode.Parse(await _client.GetStringAsync($"/api/v1/stats/{question}"))!;
        var figureNames = (json["figures"] ?? json["rows"]?[0]?["figures"] ?? json["points"]![0]!["figures"])!.AsObject().Select(p => p.Key).ToArray();
        if (json["figures"] is { } figures)
        {
            return (["from", "to", "asOf", .. figureNames], [[.. figureNames.Select(n => Value(figures[n]))]]);
        }
        if (json["rows"] is JsonArray groups)
        {
            return ([json["groupBy"]!.GetValue<string>(), "name", .. figureNames],
                groups.Select(r => figureNames.Select(n => Value(r!["figures"]![n])).ToArray()).ToList());
        }
        var points = json["points"]!.AsArray();
        return ([json["interval"]!.GetValue<string>(), "start", "end", .. figureNames],
            points.Select(p => figureNames.Select(n => Value(p!["figures"]![n])).ToArray()).ToList());
    }

    /// <summary>The figures of each row (the columns after the row's own ones) equal the JSON's, empty where null.</summary>
    private static void AssertSameRows(List<double?[]> expected, List<string[]> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (want, got) in expected.Zip(actual))
        {
            var figures = got[^want.Length..];
            for (var i = 0; i < want.Length; i++)
            {
                if (want[i] is { } value)
                {
                    Assert.Equal(value, double.Parse(figures[i], CultureInfo.InvariantCulture), 9);
                }
                else
                {
                    Assert.Equal("", figures[i]);
                }
            }
        }
    }

    private static double? Value(JsonNode? node) => node?.GetValue<double>();

    private static double? Number(string text) => text.Length == 0 ? null : double.Parse(text, CultureInfo.InvariantCulture);
}
