using System.IO.Compression;
using System.Text;

namespace Whistle.Api.Tests.Fuzzing;

/// <summary>
/// XLSX workbooks written part by part, so that their structure, not only their cells' text, can be
/// broken: row numbers, cell references, cell types, shared-string indexes, sheet names, the parts
/// themselves. Each case is a workbook an import must answer with a plan or a problem, never a 5xx.
/// </summary>
public static class WorkbookFuzzer
{
    private const string Main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    private const string Relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    private const string PackageRelationships = "http://schemas.openxmlformats.org/package/2006/relationships";

    /// <summary>A streets sheet that would import: its header and one new street, as shared strings.</summary>
    public static byte[] Valid() => Workbook();

    /// <summary>One broken structure per case: what it breaks, and the workbook.</summary>
    public static IEnumerable<(string What, byte[] Workbook)> Cases()
    {
        foreach (var number in new[] { "5000000000", "4294967296", "18446744073709551616", "0", "-1", "1048577", "2147483648", "1e3", "", "x", " 2" })
        {
            yield return ($"a row numbered '{number}'", Workbook(rows: Header + $"""<row r="{Escape(number)}"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c></row>"""));
        }
        foreach (var reference in new[] { "ZZZZZZZZ2", "A0", "A99999999999", "2A", "", "AAAAAAAAAAAAAAAAAAAAAAAA1", "XFE2", "$A$2" })
        {
            yield return ($"a cell referenced '{reference}'", Workbook(rows: Header + $"""<row r="2"><c r="{Escape(reference)}" t="s"><v>2</v></c></row>"""));
        }
        foreach (var (type, value) in new[]
        {
            ("s", "99999"), ("s", "-1"), ("s", "4294967296"), ("s", "1.5"), ("s", ""), ("s", "abc"), ("q", "1"), ("b", "2"), ("n", "1e400"),
            ("e", "#REF!"), ("d", "not a date"), ("inlineStr", ""), ("str", new string('x', 40_000)),
        })
        {
            yield return ($"a cell of type '{type}' holding '{Shorten(value)}'", Workbook(rows: Header + $"""<row r="2"><c r="A2" t="{type}"><v>{Escape(value)}</v></c><c r="B2" t="s"><v>3</v></c></row>"""));
        }
        yield return ("a cell with only a formula", Workbook(rows: Header + """<row r="2"><c r="A2"><f>1/0</f></c><c r="B2" t="s"><v>3</v></c></row>"""));
        yield return ("rows out of order and repeated", Workbook(rows: Header + """<row r="3"><c r="A3" t="s"><v>2</v></c></row><row r="2"><c r="A2" t="s"><v>2</v></c></row><row r="3"><c r="A3" t="s"><v>2</v></c></row>"""));
        yield return ("10,000 empty rows", Workbook(rows: Header + string.Concat(Enumerable.Range(2, 10_000).Select(r => $"""<row r="{r}"/>"""))));
        yield return ("a row of 20,000 cells", Workbook(rows: Header + "<row r=\"2\">" + string.Concat(Enumerable.Range(0, 20_000).Select(_ => """<c t="s"><v>2</v></c>""")) + "</row>"));
        yield return ("no shared strings part", Workbook(sharedStrings: null));
        yield return ("an empty shared strings part", Workbook(sharedStrings: ""));
        yield return ("shared strings that are not XML", Workbook(sharedStringsXml: "<sst><si><t>code"));
        yield return ("a shared string of rich runs only", Workbook(sharedStrings: """<si><t>code</t></si><si><t>name</t></si><si><r><t>NEW</t></r><r><t>9</t></r></si><si><r><t>新</t></r></si><si><t>retired</t></si>"""));
        yield return ("a shared string without text", Workbook(sharedStrings: """<si><t>code</t></si><si><t>name</t></si><si/><si><t/></si><si><t>retired</t></si>"""));
        yield return ("100,000 shared strings", Workbook(sharedStrings: Strings + string.Concat(Enumerable.Range(0, 100_000).Select(i => $"<si><t>s{i}</t></si>"))));
        foreach (var name in new[] { "", " ", "streets\u0000", "街道 streets", "STREETS", new string('s', 300), "streets", "'streets'", "<streets>", "../streets" })
        {
            yield return ($"a sheet named '{Shorten(name)}'", Workbook(sheetName: name));
        }
        yield return ("two sheets of the same name", Workbook(secondSheet: "streets"));
        yield return ("a sheet whose part is missing", Workbook(omitSheetPart: true));
        yield return ("a sheet that is not XML", Workbook(sheetXml: "<worksheet><sheetData><row"));
        yield return ("a sheet without sheetData", Workbook(sheetXml: $"""<worksheet xmlns="{Main}"/>"""));
        yield return ("a workbook without sheets", Workbook(workbookXml: $"""<workbook xmlns="{Main}"/>"""));
        yield return ("a workbook part that is not XML", Workbook(workbookXml: "<workbook"));
        yield return ("a sheet relationship to nowhere", Workbook(workbookXml: $"""<workbook xmlns="{Main}" xmlns:r="{Relationships}"><sheets><sheet name="streets" sheetId="1" r:id="rId9"/></sheets></workbook>"""));
        yield return ("a sheet without an id", Workbook(workbookXml: $"""<workbook xmlns="{Main}" xmlns:r="{Relationships}"><sheets><sheet name="streets" sheetId="1"/></sheets></workbook>"""));
        yield return ("a sheetId past any integer", Workbook(workbookXml: $"""<workbook xmlns="{Main}" xmlns:r="{Relationships}"><sheets><sheet name="streets" sheetId="99999999999999" r:id="rId1"/></sheets></workbook>"""));
        yield return ("no content types", Workbook(omitContentTypes: true));
        yield return ("a DTD with an entity", Workbook(sheetXml: $"""<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">]><worksheet xmlns="{Main}"><sheetData><row r="1"><c t="inlineStr"><is><t>&a;</t></is></c></row></sheetData></worksheet>"""));
    }

    private const string Strings = "<si><t>code</t></si><si><t>name</t></si><si><t>FUZZ1</t></si><si><t>模糊街道</t></si><si><t>retired</t></si>";
    private const string Header = """<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>4</v></c></row>""";
    private const string Rows = Header + """<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c></row>""";

    private static byte[] Workbook(
        string rows = Rows, string? sharedStrings = Strings, string? sharedStringsXml = null, string sheetName = "streets", string? secondSheet = null,
        bool omitSheetPart = false, string? sheetXml = null, string? workbookXml = null, bool omitContentTypes = false)
    {
        var sheets = $"""<sheet name="{Escape(sheetName)}" sheetId="1" r:id="rId1"/>""" + (secondSheet is null ? "" : $"""<sheet name="{Escape(secondSheet)}" sheetId="2" r:id="rId3"/>""");
        var parts = new Dictionary<string, string>
        {
            ["_rels/.rels"] = $"""<Relationships xmlns="{PackageRelationships}"><Relationship Id="rId1" Type="{Relationships}/officeDocument" Target="xl/workbook.xml"/></Relationships>""",
            ["xl/workbook.xml"] = workbookXml ?? $"""<workbook xmlns="{Main}" xmlns:r="{Relationships}"><sheets>{sheets}</sheets></workbook>""",
            ["xl/_rels/workbook.xml.rels"] = $"""<Relationships xmlns="{PackageRelationships}"><Relationship Id="rId1" Type="{Relationships}/worksheet" Target="worksheets/sheet1.xml"/>""" +
                (sharedStrings is null && sharedStringsXml is null ? "" : $"""<Relationship Id="rId2" Type="{Relationships}/sharedStrings" Target="sharedStrings.xml"/>""") +
                (secondSheet is null ? "" : $"""<Relationship Id="rId3" Type="{Relationships}/worksheet" Target="worksheets/sheet1.xml"/>""") +
                "</Relationships>",
        };
        if (!omitContentTypes)
        {
            parts["[Content_Types].xml"] =
                """<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>""" +
                """<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>""" +
                """<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>""" +
                """<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>""";
        }
        if (!omitSheetPart)
        {
            parts["xl/worksheets/sheet1.xml"] = sheetXml ?? $"""<worksheet xmlns="{Main}"><sheetData>{rows}</sheetData></worksheet>""";
        }
        if (sharedStringsXml is not null || sharedStrings is not null)
        {
            parts["xl/sharedStrings.xml"] = sharedStringsXml ?? $"""<sst xmlns="{Main}">{sharedStrings}</sst>""";
        }
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, text) in parts)
            {
                using var entry = zip.CreateEntry(name).Open();
                entry.Write(Encoding.UTF8.GetBytes(text));
            }
        }
        return buffer.ToArray();
    }

    private static string Escape(string text) => System.Security.SecurityElement.Escape(text.Replace("\u0000", "&#0;", StringComparison.Ordinal));

    private static string Shorten(string text) => text.Length <= 24 ? text : text[..24] + "…";
}
