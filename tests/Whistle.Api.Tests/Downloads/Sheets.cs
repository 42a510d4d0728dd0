using System.Diagnostics;
using System.Text;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;

namespace Whistle.Api.Tests.Downloads;

/// <summary>Downloads read back by readers other than the service's writer: a CSV parser, the Open XML SDK and LibreOffice.</summary>
public static class Sheets
{
    /// <summary>RFC 4180 records (quoted fields, doubled quotes, CRLF), after the byte order mark.</summary>
    public static List<string[]> ReadCsv(byte[] bytes)
    {
        Assert.True(bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble), "A CSV download starts with UTF-8's byte order mark.");
        var text = Encoding.UTF8.GetString(bytes.AsSpan(Encoding.UTF8.Preamble.Length));
        var records = new List<string[]>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                fields.Add(field.ToString());
                field.Clear();
                records.Add([.. fields]);
                fields.Clear();
                i++;
            }
            else
            {
                field.Append(c);
            }
        }
        Assert.True(fields.Count == 0 && field.Length == 0, "A CSV download ends its last record with CRLF.");
        return records;
    }

    /// <summary>The first worksheet's rows as text, through the Open XML SDK.</summary>
    public static List<string[]> ReadXlsx(byte[] bytes)
    {
        using var stream = new MemoryStream(bytes);
        using var document = SpreadsheetDocument.Open(stream, false);
        var workbook = document.WorkbookPart!;
        var shared = workbook.SharedStringTablePart?.SharedStringTable.Elements<SharedStringItem>().Select(s => s.InnerText).ToList() ?? [];
        var sheet = workbook.WorksheetParts.First().Worksheet;
        return sheet.Descendants<Row>().Select(row => row.Elements<Cell>().Select(cell => cell.DataType?.Value switch
        {
            var t when t == CellValues.InlineString => cell.InlineString?.InnerText ?? "",
            var t when t == CellValues.SharedString => shared[int.Parse(cell.CellValue!.Text, System.Globalization.CultureInfo.InvariantCulture)],
            var t when t == CellValues.Boolean => cell.CellValue?.Text == "1" ? "true" : "false",
            _ => cell.CellValue?.Text ?? "",
        }).ToArray()).ToList();
    }

    public static bool HasLibreOffice => File.Exists("/usr/bin/soffice");

    /// <summary>What LibreOffice reads in a workbook, saved by it as CSV (UTF-8, comma, quoted text).</summary>
    public static async Task<List<string[]>> ThroughLibreOfficeAsync(byte[] xlsx)
    {
        var folder = Directory.CreateTempSubdirectory("whistle-lo-");
        try
        {
            var input = Path.Combine(folder.FullName, "download.xlsx");
            await File.WriteAllBytesAsync(input, xlsx);
            var start = new ProcessStartInfo("/usr/bin/soffice")
            {
                ArgumentList =
                {
                    $"-env:UserInstallation=file://{folder.FullName}/profile", "--headless", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir", folder.FullName, input,
                },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var process = Process.Start(start)!;
            var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await process.WaitForExitAsync(timeout.Token);
            var output = Path.Combine(folder.FullName, "download.csv");
            Assert.True(File.Exists(output), "LibreOffice wrote no CSV: " + await process.StandardError.ReadToEndAsync());
            // LibreOffice ends lines with LF and may leave out the byte order mark: read it as RFC 4180 all the same.
            var text = (await File.ReadAllTextAsync(output, Encoding.UTF8)).Replace("\r\n", "\n").Replace("\n", "\r\n");
            return ReadCsv([.. Encoding.UTF8.Preamble, .. Encoding.UTF8.GetBytes(text.EndsWith("\r\n", StringComparison.Ordinal) ? text : text + "\r\n")]);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}

/// <summary>A test that reads a download with LibreOffice (Debian's libreoffice-calc-nogui); skipped, with the reason, without it.</summary>
public sealed class LibreOfficeFactAttribute : FactAttribute
{
    public LibreOfficeFactAttribute()
    {
        if (!Sheets.HasLibreOffice)
        {
            Skip = "No LibreOffice at /usr/bin/soffice: apt-get install libreoffice-calc-nogui to check downloads with it.";
        }
    }
}
