using System.Globalization;
using System.IO.Compression;
using System.Text;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using Sylvan.Data.Csv;

namespace Whistle.Api.Features.Reference;

/// <summary>A cell as read: its text (never evaluated), and whether the file held a formula there.</summary>
public sealed record RawCell(string Text, bool Formula);

/// <summary>A row that is not empty: its number as the spreadsheet program shows it (the header is row 1), its cells by column.</summary>
public sealed record RawRow(int Number, IReadOnlyList<RawCell?> Cells);

/// <summary>One sheet of a workbook, or one CSV file: the name it goes by, its header row and its other rows that hold anything.</summary>
public sealed record RawSheet(string Name, IReadOnlyList<string> Headers, IReadOnlyList<RawRow> Rows);

/// <param name="Sheet">The sheet (or CSV file) it is in; for a file that could not be read, the file.</param>
/// <param name="Row">The row as the spreadsheet program numbers it (the header is row 1); null for the whole sheet or file.</param>
/// <param name="Column">The column's API name (code, streetCode…); null for the whole row.</param>
/// <param name="Message">What is wrong, in words.</param>
public sealed record ImportError(string Sheet, int? Row, string? Column, string Message);

/// <summary>
/// Reads what a district sends: an XLSX workbook (Open XML SDK, read a row at a time), or CSV files
/// (Sylvan.Data.Csv) in a folder or a zip. Bounded before and while reading, so a hostile file costs little:
/// a zip's entries and their declared uncompressed size are checked before anything is inflated, rows
/// with nothing in them are skipped (a million formatted empty rows cost a scan, never memory), and a
/// sheet stops at <see cref="MaxRows"/> rows with data. Formulas are never evaluated: a formula cell
/// is reported as an error by the import. CSV is read as UTF-8 (with or without a byte order mark);
/// anything else, GB18030 included, is refused with the file named and the way to fix it.
/// </summary>
public static class SheetReader
{
    /// <summary>Rows with data in one sheet: over 20 times the Hohhot set's largest list (4,693 grids).</summary>
    public const int MaxRows = 100_000;

    /// <summary>The last row a worksheet can have (the XLSX format's own bound).</summary>
    public const int MaxRowNumber = 1_048_576;

    /// <summary>Files in a zip, or parts in a workbook.</summary>
    public const int MaxEntries = 200;

    /// <summary>What a zip may inflate to, all its entries together.</summary>
    public const long MaxUncompressedBytes = 100L * 1024 * 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// The file's kind by its bytes: a zip container is a workbook when it has the parts of one
    /// (<c>[Content_Types].xml</c> and <c>xl/</c>), else a zip of CSV files; anything else is read as one
    /// CSV file if its name says so, and refused if not.
    /// </summary>
    public static async Task<List<RawSheet>> ReadFileAsync(string name, byte[] bytes, List<ImportError> errors, CancellationToken cancellationToken)
    {
        var container = bytes.AsSpan().StartsWith("PK\u0003\u0004"u8) || bytes.AsSpan().StartsWith("PK\u0005\u0006"u8);
        if (!container)
        {
            if (name.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
            {
                return Csv(name, bytes, errors) is { } sheet ? [sheet] : [];
            }
            errors.Add(new(name, null, null, "The file is not an XLSX workbook, a zip of CSV files or a .csv file (an old .xls workbook is not read: save it as .xlsx)."));
            return [];
        }
        using var zip = OpenZip(name, bytes, errors);
        if (zip is null)
        {
            return [];
        }
        if (zip.GetEntry("[Content_Types].xml") is not null && zip.Entries.Any(e => e.FullName.StartsWith("xl/", StringComparison.Ordinal)))
        {
            return Workbook(name, bytes, errors);
        }
        var sheets = new List<RawSheet>();
        foreach (var entry in zip.Entries.Where(IsCsv).OrderBy(e => e.FullName, StringComparer.Ordinal))
        {
            using var content = new MemoryStream((int)entry.Length);
            await using (var inflated = entry.Open())
            {
                await inflated.CopyToAsync(content, cancellationToken);
            }
            if (Csv(entry.Name, content.ToArray(), errors) is { } sheet)
            {
                sheets.Add(sheet);
            }
        }
        if (sheets.Count == 0 && errors.Count == 0)
        {
            errors.Add(new(name, null, null, "The zip holds no .csv file."));
        }
        return sheets;
    }

    /// <summary>A folder's .csv files (other files are left alone), each one list.</summary>
    public static async Task<List<RawSheet>> ReadFolderAsync(string folder, List<ImportError> errors, CancellationToken cancellationToken)
    {
        var sheets = new List<RawSheet>();
        var files = Directory.GetFiles(folder, "*.csv").Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0)
        {
            errors.Add(new(folder, null, null, "The folder holds no .csv file."));
        }
        foreach (var file in files)
        {
            var info = new FileInfo(file);
            if (info.Length > MaxUncompressedBytes)
            {
                errors.Add(new(info.Name, null, null, $"The file is larger than {MaxUncompressedBytes / (1024 * 1024)} MiB."));
                continue;
            }
            if (Csv(info.Name, await File.ReadAllBytesAsync(file, cancellationToken), errors) is { } sheet)
            {
                sheets.Add(sheet);
            }
        }
        return sheets;
    }

    private static bool IsCsv(ZipArchiveEntry entry) =>
        entry.Name.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) && !entry.Name.StartsWith("._", StringComparison.Ordinal)
        && !entry.FullName.Contains("__MACOSX", StringComparison.Ordinal);

    /// <summary>The zip, once its entry count and declared sizes are within bounds; null (and an error) otherwise.</summary>
    private static ZipArchive? OpenZip(string name, byte[] bytes, List<ImportError> errors)
    {
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(new MemoryStream(bytes, writable: false), ZipArchiveMode.Read);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException)
        {
            errors.Add(new(name, null, null, "The file is not an XLSX workbook or a zip: its zip container cannot be read."));
            return null;
        }
        // The reader inflates no entry past its declared size, so bounding the declared sizes bounds the work.
        if (zip.Entries.Count > MaxEntries)
        {
            errors.Add(new(name, null, null, $"The file holds {zip.Entries.Count} entries; at most {MaxEntries} are read."));
        }
        else if (zip.Entries.Sum(e => e.Length) > MaxUncompressedBytes)
        {
            errors.Add(new(name, null, null, $"The file would inflate to more than {MaxUncompressedBytes / (1024 * 1024)} MiB; nothing was read."));
        }
        else
        {
            return zip;
        }
        zip.Dispose();
        return null;
    }

    private static List<RawSheet> Workbook(string name, byte[] bytes, List<ImportError> errors)
    {
        var sheets = new List<RawSheet>();
        try
        {
            using var document = SpreadsheetDocument.Open(new MemoryStream(bytes, writable: false), false);
            var workbook = document.WorkbookPart ?? throw new InvalidDataException("no workbook part");
            var shared = SharedStrings(workbook);
            foreach (var sheet in workbook.Workbook.Sheets?.Elements<Sheet>() ?? [])
            {
                if (sheet.Id?.Value is not { } id || workbook.GetPartById(id) is not WorksheetPart part)
                {
                    continue;
                }
                sheets.Add(Worksheet(sheet.Name?.Value ?? "", part, shared, errors));
            }
        }
        catch (Exception e) when (e is OpenXmlPackageException or InvalidDataException or IOException or FormatException
            or InvalidOperationException or ArgumentException or System.Xml.XmlException or KeyNotFoundException
            or OverflowException or NotSupportedException)
        {
            // Whatever the SDK throws on a structure out of its range (a value past its type, a part missing) is the file's fault.
            errors.Add(new(name, null, null, $"The file is not an XLSX workbook that can be read ({e.Message})."));
            return [];
        }
        if (sheets.Count == 0 && errors.Count == 0)
        {
            errors.Add(new(name, null, null, "The workbook has no sheet."));
        }
        return sheets;
    }

    private static List<string> SharedStrings(WorkbookPart workbook)
    {
        var strings = new List<string>();
        if (workbook.SharedStringTablePart is not { } part)
        {
            return strings;
        }
        using var reader = OpenXmlReader.Create(part);
        while (reader.Read())
        {
            if (reader.ElementType == typeof(SharedStringItem) && reader.IsStartElement)
            {
                var item = (SharedStringItem)reader.LoadCurrentElement()!;
                // The text, or its runs' text; phonetic guides (rPh) are not part of the value.
                strings.Add(item.Text?.Text ?? string.Concat(item.Elements<Run>().Select(r => r.Text?.Text)));
            }
        }
        return strings;
    }

    private static RawSheet Worksheet(string name, WorksheetPart part, List<string> shared, List<ImportError> errors)
    {
        List<string>? headers = null;
        var rows = new List<RawRow>();
        var number = 0;
        using var reader = OpenXmlReader.Create(part);
        while (reader.Read())
        {
            if (reader.ElementType != typeof(Row) || !reader.IsStartElement)
            {
                continue;
            }
            var row = (Row)reader.LoadCurrentElement()!;
            // The attribute's text, not RowIndex.Value: a number past 2^32 (or not a number) is the file's fault, not an exception.
            if (row.RowIndex is not { } index)
            {
                number++;
            }
            else if (uint.TryParse(index.InnerText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed is >= 1 and <= MaxRowNumber)
            {
                number = (int)parsed;
            }
            else
            {
                errors.Add(new(name, null, null, $"A row is numbered '{Shorten(index.InnerText ?? "")}'; a sheet's rows are numbered 1 to {MaxRowNumber:N0}."));
                break;
            }
            var cells = new List<RawCell?>();
            var position = 0;
            foreach (var cell in row.Elements<Cell>())
            {
                var column = cell.CellReference?.Value is { } reference ? ColumnIndex(reference) : position;
                position = column + 1;
                if (column < 0 || column > 255)
                {
                    continue;
                }
                while (cells.Count <= column)
                {
                    cells.Add(null);
                }
                cells[column] = Value(cell, shared);
            }
            if (cells.All(c => c is null || (c.Text.Trim().Length == 0 && !c.Formula)))
            {
                continue;
            }
            if (headers is null)
            {
                headers = cells.Select(c => c?.Text.Trim() ?? "").ToList();
                continue;
            }
            if (rows.Count == MaxRows)
            {
                errors.Add(new(name, number, null, $"The sheet has more than {MaxRows:N0} rows with data; nothing was read past row {rows[^1].Number}."));
                break;
            }
            rows.Add(new(number, cells));
        }
        return new(name, headers ?? [], rows);
    }

    private static RawCell Value(Cell cell, List<string> shared)
    {
        var formula = cell.CellFormula is not null;
        var value = cell.CellValue?.Text ?? "";
        var type = cell.DataType?.Value;
        string text;
        if (type == CellValues.SharedString)
        {
            text = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < shared.Count ? shared[i] : "";
        }
        else if (type == CellValues.InlineString)
        {
            text = cell.InlineString?.Text?.Text ?? string.Concat(cell.InlineString?.Elements<Run>().Select(r => r.Text?.Text) ?? []);
        }
        else if (type == CellValues.Boolean)
        {
            text = value == "1" ? "true" : value == "0" ? "false" : value;
        }
        else
        {
            text = value;
        }
        return new(text, formula);
    }

    private static string Shorten(string text) => text.Length <= 20 ? text : text[..20] + "…";

    /// <summary>"C7" → 2.</summary>
    private static int ColumnIndex(string reference)
    {
        var index = 0;
        foreach (var c in reference)
        {
            if (c is >= 'A' and <= 'Z')
            {
                index = index * 26 + (c - 'A' + 1);
            }
            else if (c is >= 'a' and <= 'z')
            {
                index = index * 26 + (c - 'a' + 1);
            }
            else
            {
                break;
            }
            if (index > 16384)
            {
                return -1;
            }
        }
        return index - 1;
    }

    /// <summary>The column's letters as a spreadsheet program shows them: 0 → A, 27 → AB.</summary>
    public static string ColumnLetters(int index)
    {
        var letters = "";
        for (index++; index > 0; index = (index - 1) / 26)
        {
            letters = (char)('A' + (index - 1) % 26) + letters;
        }
        return letters;
    }

    /// <summary>One CSV file as a sheet named after the file; null (and an error) when it is not UTF-8 or not CSV.</summary>
    private static RawSheet? Csv(string fileName, byte[] bytes, List<ImportError> errors)
    {
        var name = Path.GetFileNameWithoutExtension(fileName);
        if (bytes.Length >= 2 && (bytes[0], bytes[1]) is (0xFF, 0xFE) or (0xFE, 0xFF))
        {
            errors.Add(new(name, null, null, $"{fileName} is UTF-16; save it as \"CSV UTF-8\"."));
            return null;
        }
        string text;
        try
        {
            var body = bytes.AsSpan();
            if (body.StartsWith(Encoding.UTF8.Preamble))
            {
                body = body[Encoding.UTF8.Preamble.Length..];
            }
            text = StrictUtf8.GetString(body);
        }
        catch (DecoderFallbackException)
        {
            errors.Add(new(name, null, null,
                $"{fileName} is not UTF-8 (Excel's plain \"CSV\" on a Chinese Windows writes GB18030, which is not read): " +
                "save it as \"CSV UTF-8\", or convert it (iconv -f GB18030 -t UTF-8)."));
            return null;
        }
        List<string>? headers = null;
        var rows = new List<RawRow>();
        try
        {
            using var csv = CsvDataReader.Create(new StringReader(text), new CsvDataReaderOptions { HasHeaders = false, Delimiter = ',' });
            while (csv.Read())
            {
                var record = new string[csv.RowFieldCount];
                for (var i = 0; i < record.Length; i++)
                {
                    record[i] = csv.GetString(i);
                }
                if (record.All(f => f.Trim().Length == 0))
                {
                    continue;
                }
                if (headers is null)
                {
                    headers = record.Select(f => f.Trim()).ToList();
                    continue;
                }
                if (rows.Count == MaxRows)
                {
                    errors.Add(new(name, csv.RowNumber, null, $"The file has more than {MaxRows:N0} rows with data; nothing was read past row {rows[^1].Number}."));
                    break;
                }
                // CSV has no formulas: a cell is its text (a leading apostrophe the export added against CSV injection is taken off by the import).
                rows.Add(new(csv.RowNumber, record.Select(f => (RawCell?)new RawCell(f, false)).ToList()));
            }
        }
        catch (Exception e) when (e is CsvFormatException or InvalidDataException or FormatException)
        {
            errors.Add(new(name, null, null, $"{fileName} is not well-formed CSV: {e.Message}"));
            return null;
        }
        return new RawSheet(name, headers ?? [], rows);
    }
}
