using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace Whistle.LoadTest;

internal sealed record PgbenchResult(double Tps, long Transactions, long Failed, double LatencyMs, string CommandLine);

/// <summary>
/// Runs the committed pgbench scripts against the benchmark's own database: the rows the service
/// writes per filing and per action, with no HTTP, no ORM and no .NET in between, in the
/// service's mix of one filing per four actions. Its rate is the ceiling the service works under.
/// </summary>
internal static partial class Pgbench
{
    public static async Task<PgbenchResult> RunAsync(BenchDatabase database, string scripts, int clients, int seconds, CancellationToken ct)
    {
        var target = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        var info = new ProcessStartInfo("pgbench")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // -n: the scripts' tables are not pgbench's own, nothing to vacuum. -M extended: parameters
        // sent unprepared, as Npgsql sends EF Core's commands.
        string[] arguments =
        [
            "-n", "-M", "extended", "-c", $"{clients}", "-j", $"{Math.Min(2, clients)}", "-T", $"{seconds}",
            "-f", $"{Path.Combine(scripts, "file.sql")}@1", "-f", $"{Path.Combine(scripts, "action.sql")}@4",
            .. (await database.PgbenchVariablesAsync(ct)).SelectMany(v => new[] { "-D", $"{v.Key}={v.Value}" }),
            "-h", target.Host!, "-p", $"{target.Port}", "-U", target.Username ?? "postgres", target.Database!,
        ];
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        if (!string.IsNullOrEmpty(target.Password))
        {
            info.Environment["PGPASSWORD"] = target.Password;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start pgbench");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(seconds + 60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        var output = await stdout;
        var errors = await stderr;
        var tps = TpsLine().Match(output);
        if (process.ExitCode != 0 || !tps.Success)
        {
            throw new InvalidOperationException($"pgbench failed ({process.ExitCode}):{Environment.NewLine}{output}{errors}");
        }
        return new PgbenchResult(
            Number(tps.Groups[1].Value),
            (long)Number(Field(output, "number of transactions actually processed")),
            (long)Number(Field(output, "number of failed transactions")),
            Number(Field(output, "latency average")),
            "pgbench " + string.Join(' ', arguments));
    }

    private static string Field(string output, string name)
    {
        var match = Regex.Match(output, $@"^{Regex.Escape(name)}\s*=?:?\s*([\d.]+)", RegexOptions.Multiline);
        return match.Success ? match.Groups[1].Value : "NaN";
    }

    private static double Number(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^tps = ([\d.]+)", RegexOptions.Multiline)]
    private static partial Regex TpsLine();
}
