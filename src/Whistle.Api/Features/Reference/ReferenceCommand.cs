using System.Text.Json;
using Whistle.Api.Features.Geo;

namespace Whistle.Api.Features.Reference;

/// <summary>
/// <c>reference export --format xlsx|csv --output PATH</c> and <c>reference import PATH [--dry-run]</c>:
/// the spreadsheets from the command line, on the configured database or the embedded default
/// (started here if the service is not running), through the same export and <see cref="ImportReference"/>
/// as the admin API. The import takes what its path is: an .xlsx workbook, a folder of CSV files, a .zip
/// of them or one .csv file; a .geojson file is grid boundaries (<see cref="ImportBoundariesCommand"/>).
/// </summary>
public static class ReferenceCommand
{
    public const string Actor = "command line";

    public const string Usage = """
        usage: reference export --format xlsx|csv --output PATH   (csv: PATH is a folder, one file per list)
               reference import PATH [--dry-run]                  (PATH: an .xlsx workbook, a folder of CSV files, a .zip of them,
                                                                   one .csv file, or a .geojson of grid boundaries)
        import prints the plan; exit 0 when it applied (or would apply, with --dry-run), 2 when the plan has errors (nothing written).
        """;

    /// <summary>Exit codes: 0 done, 2 a bad argument or a file with errors (the plan and its errors printed).</summary>
    public static async Task<int> RunAsync(string[] args, IConfiguration configuration, TextWriter output, TextWriter errors)
    {
        if (CommandLine.VerbAsksForHelp(args))
        {
            await output.WriteLineAsync(Usage);
            return 0;
        }
        if (ImportBoundariesCommand.Recognises(args))
        {
            return await ImportBoundariesCommand.RunAsync(args, configuration, output, errors);
        }
        switch (args)
        {
            case ["export", .. var rest] when Export(rest) is { } export:
                return await WithStoreAsync(configuration, db => ExportAsync(db, export.Xlsx, export.Output, output));
            case ["import", var path, .. var rest] when rest.All(a => a == "--dry-run"):
                if (!File.Exists(path) && !Directory.Exists(path))
                {
                    await errors.WriteLineAsync($"reference import: no file or folder {path}");
                    return 2;
                }
                return await WithStoreAsync(configuration, db => ImportAsync(db, path, rest.Length > 0, output, errors));
            default:
                await errors.WriteLineAsync(Usage);
                return 2;
        }
    }

    private static (bool Xlsx, string Output)? Export(string[] args) => args switch
    {
        ["--format", "xlsx" or "csv", "--output", var path] => (args[1] == "xlsx", path),
        ["--output", var path, "--format", "xlsx" or "csv"] => (args[3] == "xlsx", path),
        _ => null,
    };

    private static async Task<int> ExportAsync(WhistleDbContext db, bool xlsx, string path, TextWriter output)
    {
        if (xlsx)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            await using var file = File.Create(path);
            await ReferenceSpreadsheetEndpoints.WriteWorkbookAsync(db, file, default);
            await output.WriteLineAsync($"Exported the reference lists to {path}.");
            return 0;
        }
        Directory.CreateDirectory(path);
        await ReferenceSpreadsheetEndpoints.WriteCsvFilesAsync(db, name => File.Create(Path.Combine(path, name)), default);
        await output.WriteLineAsync($"Exported the reference lists to {path}/ ({string.Join(", ", ReferenceSheets.All.Select(s => s.Name + ".csv"))}).");
        return 0;
    }

    private static async Task<int> ImportAsync(WhistleDbContext db, string path, bool dryRun, TextWriter output, TextWriter errors)
    {
        var readErrors = new List<ImportError>();
        var sheets = Directory.Exists(path)
            ? await SheetReader.ReadFolderAsync(path, readErrors, default)
            : await SheetReader.ReadFileAsync(Path.GetFileName(path), await File.ReadAllBytesAsync(path), readErrors, default);
        await using var transaction = await db.Database.BeginTransactionAsync();
        var plan = await new ImportReference.Handler(db, TimeProvider.System).Handle(new(sheets, readErrors, dryRun, new Actor(Actor)), default);
        await transaction.CommitAsync();
        foreach (var sheet in plan.Sheets)
        {
            await output.WriteLineAsync(
                $"{sheet.Sheet}: {sheet.Rows} rows; {sheet.Added.Count} added, {sheet.Changed.Count} changed, {sheet.Moved.Count} moved, " +
                $"{sheet.Retired.Count} retired, {sheet.Reinstated.Count} reinstated, {sheet.Removed.Count} removed, {sheet.Unchanged} unchanged");
        }
        foreach (var error in plan.Errors)
        {
            await errors.WriteLineAsync($"{error.Sheet}{(error.Row is { } row ? $" row {row}" : "")}{(error.Column is { } column ? $" {column}" : "")}: {error.Message}");
        }
        // The whole plan as the API answers it, for a script to read.
        await output.WriteLineAsync(JsonSerializer.Serialize(plan, ApiJson.Options));
        if (plan.Errors.Count > 0)
        {
            await errors.WriteLineAsync($"reference import: {plan.Errors.Count} errors in {path}; nothing was changed.");
            return 2;
        }
        await output.WriteLineAsync(dryRun
            ? $"Dry run: {path} would apply as planned above; nothing was written."
            : $"Imported {path}.");
        return 0;
    }

    /// <summary>Runs a verb on the configured database or the embedded default (started and stopped around it), prepared as the service prepares it.</summary>
    internal static async Task<int> WithStoreAsync(IConfiguration configuration, Func<WhistleDbContext, Task<int>> verb)
    {
        var (connections, embedded) = await DatabaseStartup.ResolveAsync(configuration, command: true);
        // A verb migrates as the service's start does: the direct connection.
        var connectionString = connections.Direct;
        try
        {
            var options = new DbContextOptionsBuilder<WhistleDbContext>();
            options.UseWhistleStore(connectionString);
            await using var db = new WhistleDbContext(options.Options);
            // As the service does at start: migrated, the embedded default given its reference set, the calendar seeded once.
            await DatabaseStartup.PrepareAsync(db, loadReferenceData: embedded is not null, default);
            await CalendarEndpoints.SeedAsync(db, configuration.GetSection(WhistleOptions.Section).Get<WhistleOptions>() ?? new WhistleOptions(), default);
            return await verb(db);
        }
        finally
        {
            if (embedded is not null)
            {
                await embedded.DisposeAsync();
            }
        }
    }
}
