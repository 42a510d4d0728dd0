using System.Globalization;
using System.Text;
using Microsoft.Net.Http.Headers;
using SpreadCheetah;

namespace Whistle.Api.Infrastructure;

/// <summary>How an answer can be downloaded: the API's JSON, or a table for a spreadsheet.</summary>
public enum TableFormat
{
    Json,
    Csv,
    Xlsx,
}

/// <summary>
/// An answer as a table: a header row and rows of plain values (text, numbers, times, booleans, nulls),
/// streamed, so an export of a million orders never holds them in memory.
/// </summary>
public sealed record Table(string Name, IReadOnlyList<string> Columns, IAsyncEnumerable<object?[]> Rows)
{
    public const string CsvType = "text/csv";
    public const string XlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    /// <summary>What the format parameter's error says.</summary>
    public const string FormatMessage = "'format' must be json, csv or xlsx.";

    public static Table Of(string name, IReadOnlyList<string> columns, IEnumerable<object?[]> rows) => new(name, columns, rows.ToAsyncEnumerable());

    /// <summary>json (or nothing), csv or xlsx.</summary>
    public static bool TryParseFormat(string? text, out TableFormat format)
    {
        format = text switch
        {
            null or "json" => TableFormat.Json,
            "csv" => TableFormat.Csv,
            "xlsx" => TableFormat.Xlsx,
            _ => (TableFormat)(-1),
        };
        return Enum.IsDefined(format);
    }

    /// <summary>Writes the table as a download: a CSV file (UTF-8 with a byte order mark, so spreadsheet programs read Chinese right) or an XLSX workbook.</summary>
    public async Task WriteAsync(HttpResponse response, TableFormat format, CancellationToken cancellationToken)
    {
        var extension = format == TableFormat.Csv ? "csv" : "xlsx";
        response.ContentType = format == TableFormat.Csv ? CsvType + "; charset=utf-8" : XlsxType;
        response.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment") { FileName = $"{Name}.{extension}" }.ToString();
        response.Headers.XContentTypeOptions = "nosniff";
        if (format == TableFormat.Csv)
        {
            await WriteCsvAsync(response.Body, cancellationToken);
        }
        else
        {
            // The workbook's zip writes part of itself synchronously, which Kestrel refuses on the response:
            // it is built in a buffer that spills to a temporary file past 32 KiB, then sent.
            await using var buffer = new Microsoft.AspNetCore.WebUtilities.FileBufferingWriteStream();
            await WriteXlsxAsync(buffer, cancellationToken);
            await buffer.DrainBufferAsync(response.Body, cancellationToken);
        }
    }

    public async Task WriteCsvAsync(Stream stream, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true), bufferSize: 64 * 1024, leaveOpen: true);
        await writer.WriteAsync(string.Join(',', Columns.Select(Csv)) + "\r\n");
        await foreach (var row in Rows.WithCancellation(cancellationToken))
        {
            for (var i = 0; i < row.Length; i++)
            {
                if (i > 0)
                {
                    await writer.WriteAsync(',');
                }
                await writer.WriteAsync(Csv(row[i] is string text ? Neutralised(text) : Text(row[i])));
            }
            await writer.WriteAsync("\r\n");
        }
        await writer.FlushAsync(cancellationToken);
    }

    public Task WriteXlsxAsync(Stream stream, CancellationToken cancellationToken) => WriteWorkbookAsync(stream, [this], cancellationToken);

    /// <summary>Several tables as one workbook, a worksheet each (named after the table).</summary>
    public static async Task WriteWorkbookAsync(Stream stream, IReadOnlyList<Table> tables, CancellationToken cancellationToken)
    {
        // Text goes in as text cells, never as formulas, so nothing a resident typed is ever evaluated.
        await using var spreadsheet = await Spreadsheet.CreateNewAsync(stream, cancellationToken: cancellationToken);
        foreach (var table in tables)
        {
            await table.AddWorksheetAsync(spreadsheet, cancellationToken);
        }
        await spreadsheet.FinishAsync(cancellationToken);
    }

    private async Task AddWorksheetAsync(Spreadsheet spreadsheet, CancellationToken cancellationToken)
    {
        await spreadsheet.StartWorksheetAsync(Name, token: cancellationToken);
        await spreadsheet.AddRowAsync(Columns.Select(c => new DataCell(c)).ToArray(), cancellationToken);
        var cells = new DataCell[Columns.Count];
        await foreach (var row in Rows.WithCancellation(cancellationToken))
        {
            for (var i = 0; i < cells.Length; i++)
            {
                cells[i] = row[i] switch
                {
                    null => new DataCell((string?)null),
                    long n => new DataCell(n),
                    int n => new DataCell(n),
                    double d => new DataCell(d),
                    bool b => new DataCell(b),
                    var other => new DataCell(Text(other)),
                };
            }
            await spreadsheet.AddRowAsync(cells, cancellationToken);
        }
    }

    /// <summary>A value as the API writes it: times in ISO 8601 with their offset, numbers invariant and round-trippable.</summary>
    private static string Text(object? value) => value switch
    {
        null => "",
        string s => s,
        DateTimeOffset at => at.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        var other => other.ToString() ?? "",
    };

    /// <summary>
    /// Text a spreadsheet program would read as a formula (=, +, -, @, or a tab or carriage return first)
    /// gets a leading apostrophe, as OWASP advises against CSV injection; numbers are not text and keep their sign.
    /// </summary>
    public static string Neutralised(string text) =>
        text.Length > 0 && text[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + text : text;

    // RFC 4180: quoted when it holds a separator, a quote or a line break; quotes doubled.
    private static string Csv(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") < 0 ? value : "\"" + value.Replace("\"", "\"\"") + "\"";
}
