using Microsoft.EntityFrameworkCore;
using Npgsql;
using Whistle.Api.Infrastructure;
using Whistle.Api.Persistence;

namespace Whistle.Api.Tests.Infrastructure;

/// <summary>
/// The real PostgreSQL the tests run against: a throwaway embedded cluster started once per test
/// run from the machine's binaries, or the server named by <c>WHISTLE_TEST_CONNECTION</c> (a
/// connection string whose user may create databases). A template database is migrated and
/// loaded with the built-in reference set once; each test class gets its own copy of it.
/// </summary>
public static class TestDatabase
{
    private const string Template = "whistle_template";
    private static readonly SemaphoreSlim CreateLock = new(1, 1);
    private static readonly Lazy<Task<Server>> Shared = new(StartAsync);
    private static int _counter;

    private sealed record Server(string AdminConnectionString, EmbeddedPostgres? Embedded);

    /// <summary>Creates a fresh database from the template and returns its connection string.</summary>
    public static async Task<string> CreateAsync()
    {
        var server = await Shared.Value;
        var name = $"whistle_test_{Environment.ProcessId}_{Interlocked.Increment(ref _counter)}";
        // CREATE DATABASE ... TEMPLATE needs the template to have no other connections: one at a time.
        await CreateLock.WaitAsync();
        try
        {
            await using var connection = new NpgsqlConnection(server.AdminConnectionString);
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name} TEMPLATE {Template}", connection);
            await create.ExecuteNonQueryAsync();
        }
        finally
        {
            CreateLock.Release();
        }
        return new NpgsqlConnectionStringBuilder(server.AdminConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>A new database with nothing in it, not even PostGIS: what an operator points ConnectionStrings__Whistle at.</summary>
    public static async Task<string> CreateEmptyAsync()
    {
        var server = await Shared.Value;
        var name = $"whistle_empty_{Environment.ProcessId}_{Interlocked.Increment(ref _counter)}";
        await using (var connection = new NpgsqlConnection(server.AdminConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name} TEMPLATE template0", connection);
            await create.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(server.AdminConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>A context on a test database, for looking under the API.</summary>
    public static WhistleDbContext Context(string connectionString)
    {
        var options = new DbContextOptionsBuilder<WhistleDbContext>();
        options.UseWhistleStore(connectionString);
        return new WhistleDbContext(options.Options);
    }

    /// <summary>
    /// The test host may be torn down before its exit handlers finish; whatever an earlier run left
    /// (its process gone) is stopped and removed here.
    /// </summary>
    private static void SweepEarlierRuns()
    {
        foreach (var directory in Directory.GetDirectories(Path.GetTempPath(), "whistle-tests-*"))
        {
            var parts = Path.GetFileName(directory).Split('-');
            if (parts.Length < 3 || !int.TryParse(parts[2], out var pid) || IsRunning(pid))
            {
                continue;
            }
            try
            {
                var postmaster = Path.Combine(directory, "pgdata", "postmaster.pid");
                if (File.Exists(postmaster) && int.TryParse(File.ReadLines(postmaster).FirstOrDefault(), out var server) && IsRunning(server)
                    && IsPostgresOn(server, directory))
                {
                    using var process = System.Diagnostics.Process.GetProcessById(server);
                    process.Kill();
                    process.WaitForExit(10_000);
                }
                Directory.Delete(directory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
            {
                // Someone else's, or busy: leave it.
            }
        }
    }

    /// <summary>A stale pid file may name a process that reused the number: kill only the postgres serving that folder.</summary>
    private static bool IsPostgresOn(int pid, string directory)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Contains(directory, StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static async Task<Server> StartAsync()
    {
        var configured = Environment.GetEnvironmentVariable("WHISTLE_TEST_CONNECTION");
        Server server;
        if (!string.IsNullOrWhiteSpace(configured))
        {
            server = new Server(configured, null);
        }
        else
        {
            SweepEarlierRuns();
            var directory = Path.Combine(Path.GetTempPath(), $"whistle-tests-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
            var embedded = await EmbeddedPostgres.StartAsync(directory, "postgres", durable: false, deleteOnDispose: true);
            // The run's cluster goes when the test process does, however that ends.
            embedded.StopAndRemoveAfterExitOf(Environment.ProcessId);
            server = new Server(embedded.ConnectionStringFor("postgres"), embedded);
        }

        await using (var connection = new NpgsqlConnection(server.AdminConnectionString))
        {
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Template} WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {Template}", connection);
            await create.ExecuteNonQueryAsync();
        }
        var templateConnection = new NpgsqlConnectionStringBuilder(server.AdminConnectionString) { Database = Template, Pooling = false }.ConnectionString;
        await using (var db = Context(templateConnection))
        {
            // As the embedded default does: migrated, the reference set and its generated boundaries loaded.
            await DatabaseStartup.PrepareAsync(db, loadReferenceData: true, default);
        }
        return server;
    }
}
