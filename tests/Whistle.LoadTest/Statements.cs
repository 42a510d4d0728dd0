using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace Whistle.LoadTest;

/// <summary>One normalised statement's work over a phase, from <c>pg_stat_statements</c>.</summary>
internal sealed record StatementStat(string Query, long Calls, long Rows, double TotalMs, double SharedHits, double SharedReads, long Plans, double PlanMs);

/// <summary>The database's own counters (this database's transactions and sessions, the cluster's WAL), to subtract over a phase.</summary>
internal sealed record DatabaseCounters(long Commits, long Rollbacks, long Sessions, long WalRecords, double WalBytes, long WalFullPages)
{
    public static DatabaseCounters operator -(DatabaseCounters end, DatabaseCounters start) => new(
        end.Commits - start.Commits, end.Rollbacks - start.Rollbacks, end.Sessions - start.Sessions,
        end.WalRecords - start.WalRecords, end.WalBytes - start.WalBytes, end.WalFullPages - start.WalFullPages);

    /// <summary>Per request (or transaction): what each cost the database beyond its statements.</summary>
    public string Per(long requests, string per) => string.Create(CultureInfo.InvariantCulture,
        $"per {per}: {Commits / (double)requests:F2} commits, {Rollbacks / (double)requests:F3} rollbacks, " +
        $"{WalRecords / (double)requests:F1} WAL records, {WalBytes / requests:F0} WAL bytes ({WalFullPages / (double)requests:F2} full pages); " +
        $"{Sessions} sessions opened in the phase");
}

/// <summary>
/// What the database ran during a phase, per statement: the view is reset when a phase starts and read
/// when it ends, so each phase's table holds only that phase's statements (the benchmark's own
/// bookkeeping queries are left out by their marker comment).
/// </summary>
internal static partial class Statements
{
    /// <summary>Marks the benchmark's own queries, which the tables leave out.</summary>
    public const string Marker = "/* whistle-bench */";

    public static async Task ResetAsync(string connectionString, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand($"{Marker} SELECT pg_stat_statements_reset()", connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    public static async Task<DatabaseCounters> CountersAsync(string connectionString, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            $"""
            {Marker} SELECT d.xact_commit, d.xact_rollback, d.sessions, w.wal_records, w.wal_bytes::float8, w.wal_fpi
            FROM pg_stat_database d, pg_stat_wal w WHERE d.datname = current_database()
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new DatabaseCounters(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetDouble(4), reader.GetInt64(5));
    }

    public static async Task<IReadOnlyList<StatementStat>> ReadAsync(string connectionString, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            $"""
            {Marker} SELECT query, calls, rows, total_exec_time, shared_blks_hit, shared_blks_read, plans, total_plan_time
            FROM pg_stat_statements
            WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE '%whistle-bench%' AND query NOT LIKE '%pg_stat_statements%'
            ORDER BY total_exec_time DESC
            """, connection);
        var rows = new List<StatementStat>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new StatementStat(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetDouble(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6), reader.GetDouble(7)));
        }
        return rows;
    }

    /// <summary>
    /// The phase's statements as a Markdown table: calls and execution time per request of the phase (so
    /// phases and pgbench compare), rows per call, and each statement's share of the database's time.
    /// </summary>
    public static void Table(StringBuilder text, IReadOnlyList<StatementStat> statements, long requests, string per, int top = 15)
    {
        var totalMs = statements.Sum(s => s.TotalMs);
        var calls = statements.Sum(s => s.Calls);
        Line(text, $"{calls / (double)requests:F2} statements, {totalMs / requests:F3} ms of execution and " +
            $"{statements.Sum(s => s.PlanMs) / requests:F3} ms of planning per {per} " +
            $"({requests} {per}s, {statements.Count} distinct statements).");
        Line(text);
        Line(text, $"| statement | calls / {per} | rows / call | mean ms | total ms | share | buffers hit / call | plans / call | plan ms / call |");
        Line(text, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var s in statements.Take(top))
        {
            Line(text, string.Create(CultureInfo.InvariantCulture,
                $"| `{Shorten(s.Query)}` | {s.Calls / (double)requests:F2} | {s.Rows / (double)Math.Max(1, s.Calls):F1} | " +
                $"{s.TotalMs / Math.Max(1, s.Calls):F3} | {s.TotalMs:F0} | {100 * s.TotalMs / Math.Max(totalMs, 1e-9):F0} % | " +
                $"{s.SharedHits / Math.Max(1, s.Calls):F1} | {s.Plans / (double)Math.Max(1, s.Calls):F2} | {s.PlanMs / Math.Max(1, s.Calls):F3} |"));
        }
        if (statements.Count > top)
        {
            var rest = statements.Skip(top).ToList();
            Line(text, string.Create(CultureInfo.InvariantCulture,
                $"| {rest.Count} others | {rest.Sum(s => s.Calls) / (double)requests:F2} | | | {rest.Sum(s => s.TotalMs):F0} | " +
                $"{100 * rest.Sum(s => s.TotalMs) / Math.Max(totalMs, 1e-9):F0} % | | | |"));
        }
    }

    /// <summary>One line, column lists elided: enough to tell the statements apart in a table.</summary>
    private static string Shorten(string query)
    {
        var line = Spaces().Replace(query, " ").Trim();
        line = ColumnList().Replace(line, "(…)");
        line = line.Replace("|", "\\|", StringComparison.Ordinal).Replace("`", "'", StringComparison.Ordinal);
        return line.Length > 140 ? line[..140] + "…" : line;
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    // A parenthesised list of more than three commas (the INSERTs' column and value lists).
    [GeneratedRegex(@"\((?:[^()]*,){4,}[^()]*\)")]
    private static partial Regex ColumnList();

    private static void Line(StringBuilder text, string line = "") => text.Append(line).Append('\n');
}
