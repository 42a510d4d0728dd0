namespace Whistle.Api.Features.Geo;

/// <summary>
/// <c>reference import boundaries.geojson [--dry-run]</c>: the GeoJSON import from the command line,
/// on the configured database or the embedded default, through the same <see cref="ImportBoundaries"/>
/// as the admin API. <see cref="Reference.ReferenceCommand"/> hands it a path ending in .geojson; workbooks and CSV files are its own.
/// </summary>
public static class ImportBoundariesCommand
{
    public const string Usage = "usage: reference import <boundaries.geojson> [--dry-run]";

    /// <summary>Whether the arguments after <c>reference</c> are this command's: import, then a .geojson path.</summary>
    public static bool Recognises(string[] args) =>
        args is ["import", var path, ..] && path.EndsWith(".geojson", StringComparison.OrdinalIgnoreCase);

    public static async Task<int> RunAsync(string[] args, IConfiguration configuration, TextWriter output, TextWriter errors)
    {
        if (args is not ["import", var path, .. var rest] || rest.Any(a => a != "--dry-run"))
        {
            await errors.WriteLineAsync(Usage);
            return 2;
        }
        if (!File.Exists(path))
        {
            await errors.WriteLineAsync($"reference import: no file {path}");
            return 2;
        }
        var dryRun = rest.Contains("--dry-run");
        return await Reference.ReferenceCommand.WithStoreAsync(configuration, async db =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            ImportBoundaries.Result result;
            try
            {
                result = await new ImportBoundaries.Handler(db).Handle(new(await File.ReadAllBytesAsync(path), dryRun), default);
            }
            catch (ValidationException invalid)
            {
                foreach (var error in invalid.Errors)
                {
                    await errors.WriteLineAsync($"{error.PropertyName}: {error.ErrorMessage}");
                }
                await errors.WriteLineAsync($"reference import: {path} refused; nothing imported.");
                return 2;
            }
            await transaction.CommitAsync();
            await output.WriteLineAsync(dryRun
                ? $"{result.Imported} grid boundaries would be imported from {path} (dry run: nothing written)."
                : $"Imported {result.Imported} grid boundaries from {path}.");
            return 0;
        });
    }
}
