using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Npgsql;

namespace Whistle.Api.Tests.Pooling;

/// <summary>
/// Debian's PgBouncer (1.18), started by the tests in a temporary folder in front of the tests'
/// PostgreSQL: transaction mode, a small pool per database so that clients really share server
/// connections, listening on loopback only with a random password. As root it runs as the
/// <c>postgres</c> user (its own <c>-u</c>, so the process we hold is PgBouncer itself); it is
/// killed by its PID when disposed, or by a watcher when the test process is gone.
/// </summary>
public sealed class PgBouncer : IAsyncDisposable
{
    public const string Binary = "/usr/sbin/pgbouncer";
    private const string User = "postgres";

    private readonly Process _process;
    private readonly string _directory;
    private readonly string _password;

    private PgBouncer(Process process, string directory, int port, string password)
    {
        _process = process;
        _directory = directory;
        Port = port;
        _password = password;
    }

    public int Port { get; }

    public static bool Installed => File.Exists(Binary);

    /// <summary>
    /// A connection string through PgBouncer to <paramref name="database"/>, as docs/operating.md
    /// recommends: no auto-preparation, no reset on close (PgBouncer's transaction mode keeps no session
    /// to reset). <paramref name="extra"/> is appended as written, e.g. <c>Max Auto Prepare=16</c>.
    /// </summary>
    public string ConnectionStringFor(string database, string extra = "") =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Database = database,
            Username = User,
            Password = _password,
            NoResetOnClose = true,
            MaxAutoPrepare = 0,
            // PgBouncer answers at once, but a full pool queues the client: a bounded wait, not a hang.
            Timeout = 15,
            CommandTimeout = 30,
        }.ConnectionString + (extra.Length > 0 ? ";" + extra : "");

    /// <summary>Starts PgBouncer in front of the server <paramref name="server"/> names (any of its databases).</summary>
    public static async Task<PgBouncer> StartAsync(string server, int poolSize = 2)
    {
        if (!Installed)
        {
            throw new InvalidOperationException($"PgBouncer is not installed ({Binary}): apt-get install pgbouncer (.ci/run does).");
        }
        var target = new NpgsqlConnectionStringBuilder(server);
        var asRoot = Environment.UserName == "root";
        var directory = Directory.CreateTempSubdirectory("whistle-pgbouncer-").FullName;
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var port = FreePort();
        var backend = $"host={target.Host} port={target.Port} user={target.Username}" +
            (string.IsNullOrEmpty(target.Password) ? "" : $" password={target.Password}");
        await File.WriteAllTextAsync(Path.Combine(directory, "userlist.txt"), $"\"{User}\" \"{password}\"\n");
        await File.WriteAllTextAsync(Path.Combine(directory, "pgbouncer.ini"), $"""
            [databases]
            * = {backend}

            [pgbouncer]
            listen_addr = 127.0.0.1
            listen_port = {port}
            unix_socket_dir =
            auth_type = scram-sha-256
            auth_file = {directory}/userlist.txt
            pool_mode = transaction
            default_pool_size = {poolSize}
            min_pool_size = 0
            reserve_pool_size = 0
            max_client_conn = 500
            logfile = {directory}/pgbouncer.log
            pidfile =
            """);
        if (asRoot)
        {
            // Its folder (and log) become the postgres user's; the tests' server socket is already theirs.
            using var chown = Process.Start("chown", ["-R", $"{User}:", directory])!;
            await chown.WaitForExitAsync();
        }
        var info = new ProcessStartInfo(Binary) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true, WorkingDirectory = "/" };
        if (asRoot)
        {
            info.ArgumentList.Add("-u");
            info.ArgumentList.Add(User);
        }
        info.ArgumentList.Add(Path.Combine(directory, "pgbouncer.ini"));
        var process = Process.Start(info)!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        var bouncer = new PgBouncer(process, directory, port, password);
        bouncer.KillAfterExitOf(Environment.ProcessId);

        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return bouncer;
            }
            catch (SocketException) when (!process.HasExited && deadline.Elapsed < TimeSpan.FromSeconds(15))
            {
                await Task.Delay(50);
            }
            catch (SocketException)
            {
                var log = bouncer.Log();
                await bouncer.DisposeAsync();
                throw new InvalidOperationException($"PgBouncer did not start within 15 s on port {port}: {log}");
            }
        }
    }

    /// <summary>PgBouncer's own log, for a failing test's message.</summary>
    public string Log()
    {
        try
        {
            return File.ReadAllText(Path.Combine(_directory, "pgbouncer.log"));
        }
        catch (IOException)
        {
            return "";
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A detached watcher kills PgBouncer (by its PID) once the test process has gone, however it ends.</summary>
    private void KillAfterExitOf(int processId)
    {
        var script = "exec >/dev/null 2>&1 </dev/null; " +
            $"while kill -0 {processId}; do sleep 1; done; " +
            // Only if that PID is still this PgBouncer (its command line names its folder), not a process that reused the number.
            $"grep -q '{_directory}' /proc/{_process.Id}/cmdline && kill -9 {_process.Id}; rm -rf '{_directory}'";
        using var watcher = Process.Start(new ProcessStartInfo("setsid", ["sh", "-c", script]) { UseShellExecute = false, WorkingDirectory = "/" });
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
