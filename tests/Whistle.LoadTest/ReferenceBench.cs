using System.Diagnostics;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Whistle.Api.Features.Reference;
using Whistle.Api.Infrastructure;
using Whistle.Api.Persistence;

namespace Whistle.LoadTest;

/// <summary>
/// <c>dotnet run -c Release --project tests/Whistle.LoadTest -- reference [--runs N]</c>: the spreadsheet
/// import, in process, on a private PostgreSQL cluster. (1) The whole Hohhot-shaped set, exported as CSV
/// files, into an empty store (a new district's first import): dry run, then apply. (2) A change touching
/// 10 % of every list's rows (every tenth entry renamed) on the full store: dry run, then apply. Each
/// figure is the median of N runs (default 3), in seconds, reading the files included.
/// </summary>
public static class ReferenceBench
{
    public static async Task<int> RunAsync(string[] args, Action<string> log)
    {
        var runs = args is ["--runs", var n] ? int.Parse(n, CultureInfo.InvariantCulture) : 3;
        var root = Directory.CreateTempSubdirectory("whistle-reference-bench-");
        // Run as root, the cluster runs as postgres, who must reach the folder.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(root.FullName, (UnixFileMode)0b111_101_101);
        }
        await using var server = await EmbeddedPostgres.StartAsync(Path.Combine(root.FullName, "pg"), "full", durable: true, deleteOnDispose: true, log: log);
        var files = Path.Combine(root.FullName, "csv");
        await using (var full = Context(server.ConnectionStringFor("full")))
        {
            await DatabaseStartup.PrepareAsync(full, loadReferenceData: true, default);
            Directory.CreateDirectory(files);
            await ReferenceSpreadsheetEndpoints.WriteCsvFilesAsync(full, name => File.Create(Path.Combine(files, name)), default);
        }
        var rows = Directory.GetFiles(files).Sum(f => File.ReadAllLines(f).Length - 1);
        log($"The Hohhot-shaped set: {rows} rows in {Directory.GetFiles(files).Length} CSV files.");

        var (wholeDry, wholeApply) = (new List<double>(), new List<double>());
        for (var run = 0; run < runs; run++)
        {
            var name = $"empty_{run}";
            await server.EnsureDatabaseAsync(name);
            await using var empty = Context(server.ConnectionStringFor(name));
            await DatabaseStartup.PrepareAsync(empty, loadReferenceData: false, default);
            wholeDry.Add(await TimeAsync(empty, files, dryRun: true, rows, log));
            wholeApply.Add(await TimeAsync(empty, files, dryRun: false, rows, log));
        }

        var (tenthDry, tenthApply) = (new List<double>(), new List<double>());
        for (var run = 0; run < runs; run++)
        {
            var edited = Path.Combine(root.FullName, $"tenth_{run}");
            Directory.CreateDirectory(edited);
            var touched = 0;
            foreach (var file in Directory.GetFiles(files))
            {
                var lines = File.ReadAllLines(file);
                var named = Path.GetFileName(file) is not ("catalogue.csv" or "calendar.csv");
                for (var i = 1; i < lines.Length && named; i += 10)
                {
                    var fields = lines[i].Split(',');
                    fields[1] += $" {run + 1}";
                    lines[i] = string.Join(',', fields);
                    touched++;
                }
                File.WriteAllLines(Path.Combine(edited, Path.GetFileName(file)), lines);
            }
            await using var db = Context(server.ConnectionStringFor("full"));
            tenthDry.Add(await TimeAsync(db, edited, dryRun: true, touched, log));
            tenthApply.Add(await TimeAsync(db, edited, dryRun: false, touched, log));
        }

        Console.WriteLine($"| import of {rows} rows (median of {runs}) | dry run | apply |");
        Console.WriteLine("|---|---|---|");
        Console.WriteLine($"| the whole set into an empty store | {Median(wholeDry):F2} s | {Median(wholeApply):F2} s |");
        Console.WriteLine($"| every tenth entry renamed (10 % of the places, departments and categories) | {Median(tenthDry):F2} s | {Median(tenthApply):F2} s |");
        return 0;
    }

    private static async Task<double> TimeAsync(WhistleDbContext db, string folder, bool dryRun, int expected, Action<string> log)
    {
        var clock = Stopwatch.StartNew();
        var errors = new List<ImportError>();
        var sheets = await SheetReader.ReadFolderAsync(folder, errors, default);
        await using var transaction = await db.Database.BeginTransactionAsync();
        var plan = await new ImportReference.Handler(db, TimeProvider.System).Handle(new(sheets, errors, dryRun, new("bench")), default);
        await transaction.CommitAsync();
        var seconds = clock.Elapsed.TotalSeconds;
        db.ChangeTracker.Clear();
        if (plan.Errors.Count > 0)
        {
            throw new InvalidOperationException("The benchmark's import has errors: " + string.Join("; ", plan.Errors.Take(5).Select(e => $"{e.Sheet} {e.Row} {e.Column}: {e.Message}")));
        }
        var changed = plan.Sheets.Sum(s => s.Added.Count + s.Changed.Count);
        log($"{(dryRun ? "dry run" : "apply  ")}: {changed} added or changed (expected {expected}) in {seconds:F2} s");
        return seconds;
    }

    private static WhistleDbContext Context(string connectionString)
    {
        var options = new DbContextOptionsBuilder<WhistleDbContext>();
        options.UseWhistleStore(connectionString);
        return new WhistleDbContext(options.Options);
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
