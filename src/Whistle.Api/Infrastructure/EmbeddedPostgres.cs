using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Whistle.Api.Infrastructure;

/// <summary>
/// A private PostgreSQL cluster started from the machine's own binaries, so that the service and
/// its tests run on a fresh machine with no configuration. It listens on a Unix socket in its own
/// folder only (no TCP port to collide with or expose), and trusts local connections there: only
/// its owner (and root) can reach the socket. As root it runs the server as the <c>postgres</c>
/// user, since PostgreSQL refuses to run as root.
/// </summary>
public sealed class EmbeddedPostgres : IAsyncDisposable
{
    private const int Port = 5432;
    private const string Superuser = "postgres";

    private readonly string _binaries;
    private readonly string _clusterDirectory;
    private readonly bool _asPostgresUser;
    private readonly bool _deleteOnDispose;
    private readonly string _rootDirectory;
    private readonly Action<string> _log;
    private int _disposed;

    private EmbeddedPostgres(
        string binaries, string root, string cluster, string socketDirectory, bool asPostgresUser, bool deleteOnDispose, Action<string> log)
    {
        _log = log;
        _binaries = binaries;
        _rootDirectory = root;
        _clusterDirectory = cluster;
        SocketDirectory = socketDirectory;
        _asPostgresUser = asPostgresUser;
        _deleteOnDispose = deleteOnDispose;
    }

    /// <summary>Where the server's socket is: <c>psql -h SocketDirectory -U postgres</c> reaches it.</summary>
    public string SocketDirectory { get; }

    /// <summary>True when this process started the server (and so stops it); false when it found one running.</summary>
    public bool StartedHere { get; private set; }

    public string ConnectionStringFor(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = SocketDirectory,
        Port = Port,
        Username = Superuser,
        Database = database,
        // Names this process's connections, so that at shutdown those of other processes can be told apart.
        ApplicationName = OwnApplicationName,
        // The service runs the same few statements all day: prepare them on the server, and keep them
        // prepared across pool rentals (the service sets no session state that would need a reset).
        MaxAutoPrepare = 64,
        NoResetOnClose = true,
    }.ConnectionString;

    // The pid alone can repeat across containers sharing a data folder (often pid 1).
    private static readonly string OwnApplicationName = $"whistle-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40];

    /// <summary>
    /// The folder the service keeps its cluster in when none is configured: <c>WHISTLE_DATA_DIR</c>,
    /// else the user's data folder; as root, <c>/var/lib/whistle</c>, which the postgres user can reach.
    /// </summary>
    public static string DefaultDataDirectory()
    {
        var configured = Environment.GetEnvironmentVariable("WHISTLE_DATA_DIR");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return Path.GetFullPath(configured);
        }
        if (IsRoot)
        {
            return "/var/lib/whistle";
        }
        var dataHome = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        if (string.IsNullOrWhiteSpace(dataHome))
        {
            dataHome = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        }
        return Path.Combine(dataHome, "whistle");
    }

    /// <summary>
    /// Starts the cluster under <paramref name="root"/> (creating it on first use), or reuses the
    /// one already running there, and makes sure <paramref name="database"/> exists.
    /// </summary>
    /// <param name="durable">False for throwaway test clusters: no fsync, much faster, lost on a crash.</param>
    /// <param name="deleteOnDispose">Remove the whole folder after stopping (test clusters).</param>
    public static async Task<EmbeddedPostgres> StartAsync(
        string root, string database, bool durable = true, bool deleteOnDispose = false,
        Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        log ??= _ => { };
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            throw new EmbeddedPostgresException("The embedded PostgreSQL runs on Linux and macOS only; set ConnectionStrings__Whistle instead.");
        }
        var binaries = FindBinaries() ?? throw new EmbeddedPostgresException(
            "No PostgreSQL server binaries found (looked in WHISTLE_PG_BIN, /usr/lib/postgresql/*/bin and PATH). " +
            "Install them (Debian: apt-get install postgresql) or set ConnectionStrings__Whistle to a database.");

        root = Path.GetFullPath(root);
        var cluster = Path.Combine(root, "pgdata");
        var asPostgres = IsRoot;
        var sockets = ConfiguredSocketDirectory(cluster) ?? Path.Combine(root, "run");
        // A Unix socket path is limited to ~107 bytes; a deep data folder gets its socket in a fresh,
        // private temporary folder (its name is not guessable, so no one can lay it out in advance).
        if (Encoding.UTF8.GetByteCount(Path.Combine(sockets, $".s.PGSQL.{Port}")) > 100)
        {
            sockets = Directory.CreateTempSubdirectory("whistle-").FullName;
        }

        var server = new EmbeddedPostgres(binaries, root, cluster, sockets, asPostgres, deleteOnDispose, log);
        await server.PrepareFoldersAsync(cancellationToken);

        if (!File.Exists(Path.Combine(cluster, "PG_VERSION")))
        {
            log($"Creating a PostgreSQL cluster in {cluster}");
            await server.InitializeAsync(cancellationToken);
        }
        // Also on every start, so a cluster interrupted between initdb and this step is never left open.
        await server.EnsureSettingsAsync(durable, cancellationToken);

        if (await server.IsRunningAsync(cancellationToken))
        {
            log($"Reusing the PostgreSQL server already running on {cluster}");
        }
        else
        {
            log($"Starting PostgreSQL on {cluster} (socket in {sockets})");
            var start = await server.RunAsync("pg_ctl", ["-D", cluster, "-l", Path.Combine(sockets, "postgresql.log"), "-w", "-t", "60", "start"], cancellationToken);
            if (start.ExitCode != 0)
            {
                // Another process may have started it at the same moment; that is fine.
                if (!await server.IsRunningAsync(cancellationToken))
                {
                    throw new EmbeddedPostgresException($"PostgreSQL did not start: {start.Output} (log: {Path.Combine(sockets, "postgresql.log")})");
                }
            }
            else
            {
                server.StartedHere = true;
            }
        }

        await server.EnsureDatabaseAsync(database, cancellationToken);
        return server;
    }

    public async Task EnsureDatabaseAsync(string database, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(ConnectionStringFor("postgres"));
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection);
        exists.Parameters.AddWithValue(database);
        if (await exists.ExecuteScalarAsync(cancellationToken) is null)
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", connection);
            try
            {
                await create.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
            {
                // Created concurrently by another process.
            }
        }
    }

    /// <summary>
    /// Stops the server now, whoever started it and whoever is connected: with <paramref name="immediate"/>
    /// as a crash would (no checkpoint; recovery at the next start), for outage drills and their tests.
    /// </summary>
    public async Task StopAsync(bool immediate, CancellationToken cancellationToken = default)
    {
        var stop = await RunAsync("pg_ctl", ["-D", _clusterDirectory, "-m", immediate ? "immediate" : "fast", "-w", "stop"], cancellationToken);
        if (stop.ExitCode != 0)
        {
            throw new EmbeddedPostgresException($"PostgreSQL did not stop: {stop.Output}");
        }
    }

    /// <summary>
    /// Stops the server if this process started it and no other process is still connected to it
    /// (another instance may have reused it), then removes the folder of a throwaway cluster.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        if (StartedHere)
        {
            NpgsqlConnection.ClearAllPools();
            Persistence.WhistleDataSources.ClearAll();
            var others = await OtherClientsAsync();
            if (others != 0 && !_deleteOnDispose)
            {
                _log(others > 0
                    ? $"Leaving PostgreSQL on {_clusterDirectory} running: {others} other connection(s) still use it"
                    : $"Leaving PostgreSQL on {_clusterDirectory} running: could not tell whether others still use it");
            }
            else
            {
                await RunAsync("pg_ctl", ["-D", _clusterDirectory, "-m", "fast", "-w", "stop"], CancellationToken.None);
                _log($"Stopped PostgreSQL on {_clusterDirectory}");
            }
            StartedHere = false;
        }
        if (_deleteOnDispose)
        {
            TryDelete(_rootDirectory);
            TryDelete(SocketDirectory);
        }
    }

    /// <summary>
    /// For a throwaway cluster: a detached watcher stops it and removes its folders once the given
    /// process has exited, however it exits (a test host may be torn down before its exit handlers
    /// finish, which left clusters running).
    /// </summary>
    public void StopAndRemoveAfterExitOf(int processId)
    {
        if (!OperatingSystem.IsLinux())
        {
            // No setsid: the best that can be done is the exit handler.
            AppDomain.CurrentDomain.ProcessExit += (_, _) => DisposeAsync().AsTask().GetAwaiter().GetResult();
            return;
        }
        static string Quote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
        var stop = (_asPostgresUser ? $"runuser -u {Superuser} -- " : "") +
            $"{Quote(Path.Combine(_binaries, "pg_ctl"))} -D {Quote(_clusterDirectory)} -m immediate -w stop";
        var script = "exec >/dev/null 2>&1 </dev/null; " +
            $"while kill -0 {processId}; do sleep 1; done; {stop}; rm -rf {Quote(_rootDirectory)} {Quote(SocketDirectory)}";
        var info = new ProcessStartInfo("setsid") { UseShellExecute = false, WorkingDirectory = "/" };
        foreach (var argument in new[] { "sh", "-c", script })
        {
            info.ArgumentList.Add(argument);
        }
        using var watcher = Process.Start(info);
    }

    private async Task<long> OtherClientsAsync()
    {
        try
        {
            await using var connection = new NpgsqlConnection(ConnectionStringFor("postgres") + ";Pooling=false;Timeout=5");
            await connection.OpenAsync();
            // Our own connections, just closed, may linger here for a moment: only other processes' count.
            await using var count = new NpgsqlCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() " +
                "AND application_name IS DISTINCT FROM $1", connection);
            count.Parameters.AddWithValue(OwnApplicationName);
            return (long)(await count.ExecuteScalarAsync())!;
        }
        catch (NpgsqlException)
        {
            return -1; // unknown: safer to leave it running than to stop it under someone
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private async Task PrepareFoldersAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_rootDirectory);
        var owner = _asPostgresUser ? Superuser : Environment.UserName;
        foreach (var directory in new[] { _clusterDirectory, SocketDirectory })
        {
            var info = new DirectoryInfo(directory);
            if (info.LinkTarget is not null)
            {
                throw new EmbeddedPostgresException($"{directory} is a symbolic link; the embedded PostgreSQL will not use it.");
            }
            Directory.CreateDirectory(directory);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            if (_asPostgresUser)
            {
                var chown = await RunRawAsync("chown", ["-h", $"{Superuser}:", directory], cancellationToken);
                if (chown.ExitCode != 0)
                {
                    throw new EmbeddedPostgresException(
                        $"Running as root, the embedded PostgreSQL runs as the '{Superuser}' user, but could not hand {directory} to it: {chown.Output}");
                }
            }
            // Whoever owns the socket folder can connect as superuser: it must be ours.
            var stat = await RunRawAsync("stat", ["-c", "%U", directory], cancellationToken);
            if (stat.ExitCode == 0 && stat.Output != owner)
            {
                throw new EmbeddedPostgresException($"{directory} belongs to '{stat.Output}', not '{owner}'; the embedded PostgreSQL will not use it.");
            }
        }
        if (_asPostgresUser)
        {
            var reach = await RunAsync("test", ["-w", SocketDirectory, "-a", "-w", _clusterDirectory], cancellationToken);
            if (reach.ExitCode != 0)
            {
                throw new EmbeddedPostgresException(
                    $"Running as root, the embedded PostgreSQL runs as the '{Superuser}' user, which cannot reach {_rootDirectory}. " +
                    "Set WHISTLE_DATA_DIR to a folder it can reach (the default as root is /var/lib/whistle).");
            }
        }
    }

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        // Trust only the Unix socket (its folder is private); refuse TCP outright.
        var init = await RunAsync("initdb",
            ["-D", _clusterDirectory, "-U", Superuser, "--auth-local=trust", "--auth-host=reject", "-E", "UTF8", "--no-locale", "--no-instructions"],
            cancellationToken);
        if (init.ExitCode != 0)
        {
            throw new EmbeddedPostgresException($"initdb failed: {init.Output}");
        }
    }

    private const string SettingsMarker = "# Whistle's embedded cluster";

    private async Task EnsureSettingsAsync(bool durable, CancellationToken cancellationToken)
    {
        var configuration = Path.Combine(_clusterDirectory, "postgresql.conf");
        if ((await File.ReadAllTextAsync(configuration, cancellationToken)).Contains(SettingsMarker, StringComparison.Ordinal))
        {
            return;
        }
        var settings = new StringBuilder()
            .AppendLine()
            .AppendLine(SettingsMarker + ": Unix socket only, in its own private folder.")
            .AppendLine("listen_addresses = ''")
            .AppendLine($"port = {Port}")
            .AppendLine($"unix_socket_directories = '{SocketDirectory.Replace("'", "''", StringComparison.Ordinal)}'")
            .AppendLine("max_connections = 300")
            .AppendLine("shared_buffers = 256MB");
        if (!durable)
        {
            settings.AppendLine("fsync = off").AppendLine("synchronous_commit = off").AppendLine("full_page_writes = off");
        }
        await File.AppendAllTextAsync(configuration, settings.ToString(), cancellationToken);
    }

    /// <summary>The socket folder an existing cluster was set up with, so a restart finds it again.</summary>
    private static string? ConfiguredSocketDirectory(string cluster)
    {
        var configuration = Path.Combine(cluster, "postgresql.conf");
        string[] lines;
        try
        {
            lines = File.ReadAllLines(configuration);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        var setting = lines.LastOrDefault(l => l.StartsWith("unix_socket_directories = '", StringComparison.Ordinal));
        // Written by EnsureSettingsAsync as exactly: unix_socket_directories = '<path, quotes doubled>'
        var value = setting?["unix_socket_directories = '".Length..].TrimEnd();
        return value is null || !value.EndsWith('\'') ? null : value[..^1].Replace("''", "'", StringComparison.Ordinal);
    }

    private async Task<bool> IsRunningAsync(CancellationToken cancellationToken) =>
        (await RunAsync("pg_ctl", ["-D", _clusterDirectory, "status"], cancellationToken)).ExitCode == 0;

    private Task<(int ExitCode, string Output)> RunAsync(string tool, string[] arguments, CancellationToken cancellationToken)
    {
        var program = tool == "test" ? "test" : Path.Combine(_binaries, tool);
        return _asPostgresUser
            ? RunRawAsync("runuser", ["-u", Superuser, "--", program, .. arguments], cancellationToken)
            : RunRawAsync(program, arguments, cancellationToken);
    }

    private static async Task<(int ExitCode, string Output)> RunRawAsync(string program, string[] arguments, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // The server must not inherit the working directory of a tool it may outlive.
            WorkingDirectory = "/",
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        using var process = Process.Start(info) ?? throw new EmbeddedPostgresException($"Could not run {program}");
        // pg_ctl start leaves the server holding our pipes open; read until the tool itself exits.
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var output = await Task.WhenAny(Task.WhenAll(stdout, stderr), Task.Delay(TimeSpan.FromSeconds(2), cancellationToken)) is Task<string[]> both
            ? string.Join(Environment.NewLine, both.Result).Trim()
            : "";
        return (process.ExitCode, output);
    }

    private static string? FindBinaries()
    {
        var configured = Environment.GetEnvironmentVariable("WHISTLE_PG_BIN");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(Path.Combine(configured, "initdb")) ? configured : null;
        }
        const string debian = "/usr/lib/postgresql";
        if (Directory.Exists(debian))
        {
            // The newest version that has PostGIS (Debian's postgresql-N-postgis-3), else the newest.
            var newest = Directory.GetDirectories(debian)
                .Select(d => (Directory: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .Where(d => File.Exists(Path.Combine(d.Directory, "initdb")))
                .OrderByDescending(d => File.Exists($"/usr/share/postgresql/{d.Version}/extension/{PostGis.Extension}.control"))
                .ThenByDescending(d => d.Version)
                .FirstOrDefault();
            if (newest.Directory is not null)
            {
                return newest.Directory;
            }
        }
        return (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")));
    }

    private static bool IsRoot => OperatingSystem.IsLinux() && GetEffectiveUserId() == 0;

#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code for this one call
    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEffectiveUserId();
#pragma warning restore SYSLIB1054
}

public sealed class EmbeddedPostgresException(string message) : Exception(message);
