using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Whistle.Api.Tests.Reference;

/// <summary>The reference lists as files a district sends: exported, edited as text, zipped and uploaded.</summary>
public static class SpreadsheetFiles
{
    public static async Task<byte[]> Export(this HttpClient client, string format)
    {
        var response = await client.GetAsync($"/api/v1/reference/export?format={format}");
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"export: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadAsByteArrayAsync();
    }

    /// <summary>Each CSV file of an exported zip, as text (without its byte order mark).</summary>
    public static Dictionary<string, string> Unzip(byte[] zip)
    {
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        return archive.Entries.ToDictionary(e => e.Name, e =>
        {
            using var reader = new StreamReader(e.Open(), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            return reader.ReadToEnd();
        });
    }

    /// <summary>Files as a zip, CSV text written as UTF-8 with a byte order mark (as Excel's "CSV UTF-8" does).</summary>
    public static byte[] Zip(IReadOnlyDictionary<string, string> files) =>
        Zip(files.ToDictionary(f => f.Key, f => (byte[])[.. Encoding.UTF8.Preamble, .. Encoding.UTF8.GetBytes(f.Value)]));

    public static byte[] Zip(IReadOnlyDictionary<string, byte[]> files)
    {
        using var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, bytes) in files)
            {
                using var entry = archive.CreateEntry(name).Open();
                entry.Write(bytes);
            }
        }
        return buffer.ToArray();
    }

    public static async Task<HttpResponseMessage> Import(this HttpClient client, byte[] file, string name, bool dryRun)
    {
        var content = new MultipartFormDataContent();
        var part = new ByteArrayContent(file);
        part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Add(part, "file", name);
        return await client.PostAsync($"/api/v1/reference/import?dryRun={(dryRun ? "true" : "false")}", content);
    }

    /// <summary>The plan of an import that had no error (200).</summary>
    public static async Task<JsonElement> Planned(this HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"import: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement;
    }

    /// <summary>The errors of an import refused with 400, as (sheet, row, column) and message.</summary>
    public static async Task<List<(string Sheet, int? Row, string? Column, string Message)>> Refused(this HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"import: {(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var plan = JsonDocument.Parse(body).RootElement.GetProperty("plan");
        Assert.False(plan.GetProperty("applied").GetBoolean());
        return plan.GetProperty("errors").EnumerateArray().Select(e => (
            e.GetProperty("sheet").GetString()!,
            e.GetProperty("row").ValueKind == JsonValueKind.Null ? (int?)null : e.GetProperty("row").GetInt32(),
            e.GetProperty("column").GetString(),
            e.GetProperty("message").GetString()!)).ToList();
    }

    /// <summary>One sheet's plan: counts of added, changed, moved, retired, reinstated, removed, and unchanged.</summary>
    public static (int Added, int Changed, int Moved, int Retired, int Reinstated, int Removed, int Unchanged) Counts(this JsonElement plan, string sheet)
    {
        var s = plan.GetProperty("sheets").EnumerateArray().Single(x => x.GetProperty("sheet").GetString() == sheet);
        int Count(string name) => s.GetProperty(name).GetProperty("count").GetInt32();
        return (Count("added"), Count("changed"), Count("moved"), Count("retired"), Count("reinstated"), Count("removed"), s.GetProperty("unchanged").GetInt32());
    }

    public static string[] Codes(this JsonElement plan, string sheet, string bucket) =>
        plan.GetProperty("sheets").EnumerateArray().Single(x => x.GetProperty("sheet").GetString() == sheet)
            .GetProperty(bucket).GetProperty("codes").EnumerateArray().Select(c => c.GetString()!).ToArray();

    /// <summary>Replaces the line that starts with the code (its first field) in a CSV text.</summary>
    public static string WithLine(this string csv, string code, string line)
    {
        var lines = csv.Split("\r\n").ToList();
        var index = lines.FindIndex(l => l.StartsWith(code + ",", StringComparison.Ordinal));
        Assert.True(index > 0, $"no line for {code}");
        lines[index] = line;
        return string.Join("\r\n", lines);
    }

    public static string Line(this string csv, string code) => csv.Split("\r\n").Single(l => l.StartsWith(code + ",", StringComparison.Ordinal));

    public static string Adding(this string csv, params string[] lines) => csv + string.Concat(lines.Select(l => l + "\r\n"));
}
