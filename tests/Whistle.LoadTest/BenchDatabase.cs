using Microsoft.EntityFrameworkCore;
using Npgsql;
using Whistle.Api.Infrastructure;
using Whistle.Api.Persistence;

namespace Whistle.LoadTest;

/// <summary>
/// The database under the benchmark: a private durable cluster in a temporary folder (the settings
/// the service runs with by default), removed at the end; or a given throwaway database.
/// </summary>
internal sealed class BenchDatabase : IAsyncDisposable
{
    private const string DatabaseName = "whistle_bench";
    private readonly EmbeddedPostgres? _embedded;

    private BenchDatabase(string connectionString, EmbeddedPostgres? embedded)
    {
        ConnectionString = connectionString;
        _embedded = embedded;
    }

    public string ConnectionString { get; }

    public bool IsEmbedded => _embedded is not null;

    public static async Task<BenchDatabase> OpenAsync(string? connection, Action<string> log, CancellationToken ct)
    {
        if (connection is not null)
        {
            log($"Using the given database {new NpgsqlConnectionStringBuilder(connection).Database}");
            return new BenchDatabase(connection, null);
        }
        var folder = Path.Combine(Path.GetTempPath(), $"whistle-bench-{Guid.NewGuid():N}"[..25]);
        var first = await EmbeddedPostgres.StartAsync(folder, DatabaseName, durable: true, deleteOnDispose: true, log: log, cancellationToken: ct);
        // pg_stat_statements needs loading at server start: set it, then restart the same cluster once. It is on for
        // pgbench's phases as well as the service's, so its small cost falls on both sides of the comparison.
        try
        {
            await using (var admin = new NpgsqlConnection(first.ConnectionStringFor(DatabaseName)))
            {
                await admin.OpenAsync(ct);
                await using var command = new NpgsqlCommand("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'", admin);
                await command.ExecuteNonQueryAsync(ct);
            }
            NpgsqlConnection.ClearAllPools();
            await first.StopAsync(immediate: false, ct);
        }
        catch
        {
            // Stopped and removed, not left running in the temporary folder.
            await first.DisposeAsync();
            throw;
        }
        var server = await EmbeddedPostgres.StartAsync(folder, DatabaseName, durable: true, deleteOnDispose: true, log: log, cancellationToken: ct);
        // Planning tracked too (a setting the library defines, so only once it is loaded): a statement planned at every
        // call (not prepared, or a custom plan each time) shows it.
        try
        {
            await using var admin = new NpgsqlConnection(server.ConnectionStringFor(DatabaseName));
            await admin.OpenAsync(ct);
            await using var command = new NpgsqlCommand("ALTER SYSTEM SET pg_stat_statements.track_planning = on; SELECT pg_reload_conf()", admin);
            await command.ExecuteNonQueryAsync(ct);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return new BenchDatabase(server.ConnectionStringFor(DatabaseName), server);
    }

    /// <summary>
    /// Whether <c>pg_stat_statements</c> can be read here (always on the private cluster; on a given database only
    /// when its server preloads the library): then each phase reports the statements it ran.
    /// </summary>
    public async Task<bool> TrackStatementsAsync(CancellationToken ct)
    {
        try
        {
            await using var connection = new NpgsqlConnection(ConnectionString);
            await connection.OpenAsync(ct);
            await using var command = new NpgsqlCommand(
                $"{Statements.Marker} CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT count(*) FROM pg_stat_statements", connection);
            await command.ExecuteScalarAsync(ct);
            return true;
        }
        catch (PostgresException)
        {
            return false;
        }
    }

    /// <summary>
    /// Migrates and loads the reference set: with a configured connection string the service does
    /// the first but not the second, and filing needs categories and grids.
    /// </summary>
    public async Task PrepareAsync(CancellationToken ct)
    {
        var options = new DbContextOptionsBuilder<WhistleDbContext>();
        options.UseWhistleStore(ConnectionString);
        await using var db = new WhistleDbContext(options.Options);
        await DatabaseStartup.PrepareAsync(db, loadReferenceData: true, ct);
    }

    /// <summary>
    /// The postmaster's process id, found as the parent of our own backend; null when the server
    /// is not on this machine (then its CPU cannot be measured here).
    /// </summary>
    public async Task<int?> PostmasterPidAsync(CancellationToken ct)
    {
        var backend = await ScalarAsync<int>("SELECT pg_backend_pid()", ct);
        return CpuMeter.ParentOf(backend);
    }

    public Task<string> ServerVersionAsync(CancellationToken ct) => ScalarAsync<string>("SHOW server_version", ct);

    /// <summary>pgbench's -D variables: valid reference codes for filings, and the order numbers actions pick from.</summary>
    public async Task<IReadOnlyDictionary<string, string>> PgbenchVariablesAsync(CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            """
            SELECT (SELECT code FROM categories ORDER BY code LIMIT 1), g.code, c.code, c.street_code,
                   (SELECT coalesce(max(number), 0) FROM orders)
            FROM grids g JOIN communities c ON c.code = g.community_code
            ORDER BY g.code LIMIT 1
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct) || reader.GetInt64(4) == 0)
        {
            throw new InvalidOperationException("pgbench needs reference data and at least one order in the database.");
        }
        return new Dictionary<string, string>
        {
            ["category"] = reader.GetString(0),
            ["grid"] = reader.GetString(1),
            ["community"] = reader.GetString(2),
            ["street"] = reader.GetString(3),
            ["max_number"] = reader.GetInt64(4).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    private async Task<T> ScalarAsync<T>(string sql, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(ct))!;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        WhistleDataSources.ClearAll();
        if (_embedded is not null)
        {
            await _embedded.DisposeAsync();
        }
    }
}
