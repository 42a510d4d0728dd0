using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Whistle.Api.Infrastructure;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Replication;

/// <summary>One PostgreSQL server of a replicated pair or cluster: where it listens, and how to reach it.</summary>
public sealed record Node(string Name, int Port, string DataDirectory)
{
    public string ConnectionString(string database = "whistle") =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=false;Timeout=3;Command Timeout=10";

    /// <summary>The postmaster's process id, from its pid file; null when it is not running.</summary>
    public int? PostmasterPid()
    {
        var file = Path.Combine(DataDirectory, "postmaster.pid");
        try
        {
            return File.Exists(file) && int.TryParse(File.ReadLines(file).First(), out var pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    public async Task<T> ScalarAsync<T>(string sql, string database = "whistle")
    {
        await using var connection = new NpgsqlConnection(ConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async Task<bool> IsPrimaryAsync() => !await ScalarAsync<bool>("SELECT pg_is_in_recovery()", "postgres");

    /// <summary>Signals the postmaster and every process it started (a kill -9 or a freeze of the whole server).</summary>
    public void SignalAll(string signal)
    {
        if (PostmasterPid() is not { } pid)
        {
            return;
        }
        Daemon.Kill(pid, signal);
        foreach (var child in Children(pid))
        {
            Daemon.Kill(child, signal);
        }
    }

    private static IEnumerable<int> Children(int pid)
    {
        var file = $"/proc/{pid}/task/{pid}/children";
        return File.Exists(file)
            ? File.ReadAllText(file).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(c => int.Parse(c, CultureInfo.InvariantCulture))
            : [];
    }
}

/// <summary>What both kinds of cluster share: the database the service uses, created and migrated on the primary.</summary>
public abstract class ReplicatedDatabase : IAsyncDisposable
{
    protected const string Binaries = "/usr/lib/postgresql/15/bin";

    protected ReplicatedDatabase(string name) => Folder = Daemon.NewFolder(name);

    public string Folder { get; }

    protected List<Daemon> Daemons { get; } = [];

    public abstract IReadOnlyList<Node> Nodes { get; }

    /// <summary>Every node in one Npgsql connection string: writes find the primary wherever it is.</summary>
    public string ConnectionString => WhistleReadWrite();

    public string WhistleReadWrite(string extra = "") =>
        $"Host={string.Join(',', Nodes.Select(n => $"127.0.0.1:{n.Port}"))};Username=postgres;Database=whistle;Timeout=3;Command Timeout=10;Keepalive=1;Maximum Pool Size=40{extra}";

    public async Task<Node> PrimaryAsync()
    {
        foreach (var node in Nodes)
        {
            try
            {
                if (await node.IsPrimaryAsync())
                {
                    return node;
                }
            }
            catch (NpgsqlException)
            {
            }
        }
        throw new InvalidOperationException("No primary");
    }

    /// <summary>Creates the database on the primary and migrates it with the built-in reference set, as the service's first start does.</summary>
    protected async Task CreateDatabaseAsync(Node primary)
    {
        await using (var connection = new NpgsqlConnection(primary.ConnectionString("postgres")))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE DATABASE whistle", connection);
            await create.ExecuteNonQueryAsync();
        }
        await using var db = TestDatabase.Context(primary.ConnectionString() + ";Pooling=true");
        await DatabaseStartup.PrepareAsync(db, loadReferenceData: true, default);
    }

    public string Logs() => string.Join("\n", Daemons.Select(d => $"--- {Path.GetFileName(d.LogFile)}\n{d.Tail(15)}\n--- {Path.GetFileName(d.LogFile)}, its events\n{d.Events()}"));

    public virtual async ValueTask DisposeAsync()
    {
        foreach (var daemon in Enumerable.Reverse(Daemons))
        {
            await daemon.DisposeAsync();
        }
        foreach (var node in Nodes)
        {
            node.SignalAll("CONT");
            node.SignalAll("KILL");
        }
        NpgsqlConnection.ClearAllPools();
        Persistence.WhistleDataSources.ClearAll();
        Daemon.RemoveFolder(Folder);
        GC.SuppressFinalize(this);
    }
}

/// <summary>
/// A primary and one synchronous standby, by hand: initdb, pg_basebackup, streaming replication,
/// promotion with pg_ctl. The fast variant, and the standby that dashboards read.
/// </summary>
public sealed class StreamingPair : ReplicatedDatabase
{
    private readonly List<Node> _nodes = [];

    private StreamingPair() : base("pair")
    {
    }

    public override IReadOnlyList<Node> Nodes => _nodes;

    public Node Primary => _nodes[0];

    public Node Standby => _nodes[1];

    public static string? Unavailable => Daemon.Missing($"{Binaries}/initdb", $"{Binaries}/pg_basebackup");

    /// <param name="synchronousCommit">on, remote_apply, local…: what an acknowledged commit waits for.</param>
    public static async Task<StreamingPair> StartAsync(string synchronousCommit = "on")
    {
        var pair = new StreamingPair();
        try
        {
            var primary = new Node("primary", Daemon.FreePort(), Path.Combine(pair.Folder, "primary"));
            Daemon.Run($"{Binaries}/initdb", "-D", primary.DataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync");
            File.AppendAllText(Path.Combine(primary.DataDirectory, "postgresql.conf"), $"""

                listen_addresses = '127.0.0.1'
                port = {primary.Port}
                unix_socket_directories = '{pair.Folder}'
                wal_level = replica
                hot_standby = on
                max_wal_senders = 5
                max_connections = 200
                synchronous_standby_names = 'standby'
                synchronous_commit = {synchronousCommit}
                wal_keep_size = '256MB'
                """);
            File.AppendAllText(Path.Combine(primary.DataDirectory, "pg_hba.conf"), "\nhost replication all 127.0.0.1/32 trust\n");
            pair._nodes.Add(primary);
            pair.StartServer(primary);
            await Daemon.UntilAsync(async () => await primary.IsPrimaryAsync(), TimeSpan.FromSeconds(30), "the primary accepts connections");

            var standby = new Node("standby", Daemon.FreePort(), Path.Combine(pair.Folder, "standby"));
            Daemon.Run($"{Binaries}/pg_basebackup", "-h", "127.0.0.1", "-p", primary.Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres",
                "-D", standby.DataDirectory, "-R", "-X", "stream", "--no-sync");
            File.AppendAllText(Path.Combine(standby.DataDirectory, "postgresql.conf"), $"\nport = {standby.Port}\n");
            // After -R's own line (postgresql.auto.conf wins over postgresql.conf): named, so the primary waits for it.
            File.AppendAllText(Path.Combine(standby.DataDirectory, "postgresql.auto.conf"),
                $"\nprimary_conninfo = 'host=127.0.0.1 port={primary.Port} user=postgres application_name=standby'\n");
            pair._nodes.Add(standby);
            pair.StartServer(standby);
            await Daemon.UntilAsync(
                async () => await primary.ScalarAsync<long>("SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'", "postgres") == 1,
                TimeSpan.FromSeconds(30), "the standby streams synchronously");
            await pair.CreateDatabaseAsync(primary);
            return pair;
        }
        catch (Exception e)
        {
            var logs = pair.Logs();
            await pair.DisposeAsync();
            throw new InvalidOperationException($"{e.Message}\n{logs}", e);
        }
    }

    private void StartServer(Node node) =>
        Daemons.Add(Daemon.Start($"{Binaries}/postgres", ["-D", node.DataDirectory], Path.Combine(Folder, node.Name + ".log")));

    /// <summary>
    /// Promotes the standby, as an operator would after losing the primary, and lets it commit
    /// alone (no synchronous standby is left to wait for).
    /// </summary>
    public async Task PromoteAsync()
    {
        Daemon.Run($"{Binaries}/pg_ctl", "promote", "-w", "-D", Standby.DataDirectory);
        await Daemon.UntilAsync(() => Standby.IsPrimaryAsync(), TimeSpan.FromSeconds(30), "the standby is promoted");
        await using var connection = new NpgsqlConnection(Standby.ConnectionString("postgres"));
        await connection.OpenAsync();
        foreach (var sql in (string[])["ALTER SYSTEM SET synchronous_standby_names = ''", "SELECT pg_reload_conf()"])
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }
    }

    /// <summary>Stops the standby cleanly: the primary's commits then wait for a standby that is not there.</summary>
    public void StopStandby() => Daemon.Run($"{Binaries}/pg_ctl", "stop", "-m", "fast", "-w", "-D", Standby.DataDirectory);

    /// <summary>Starts the standby again on its data directory (it resumes from where it stopped).</summary>
    public async Task StartStandbyAsync()
    {
        StartServer(Standby);
        await Daemon.UntilAsync(async () => await Standby.ScalarAsync<bool>("SELECT pg_is_in_recovery()", "postgres"),
            TimeSpan.FromSeconds(30), "the standby accepts connections");
    }

    /// <summary>Waits until the standby has replayed everything the primary has written so far.</summary>
    public async Task CaughtUpAsync()
    {
        var written = await Primary.ScalarAsync<string>("SELECT pg_current_wal_lsn()::text", "postgres");
        await Daemon.UntilAsync(async () => await Standby.ScalarAsync<bool>($"SELECT pg_last_wal_replay_lsn() >= '{written}'::pg_lsn", "postgres"),
            TimeSpan.FromSeconds(30), "the standby replays what the primary wrote");
    }

    public Task PauseReplayAsync() => Standby.ScalarAsync<object>("SELECT pg_wal_replay_pause()::text", "postgres");

    public Task ResumeReplayAsync() => Standby.ScalarAsync<object>("SELECT pg_wal_replay_resume()::text", "postgres");

    /// <summary>The read-only connection string: the standby first, the primary should it be gone.</summary>
    public string ReadOnly => $"Host=127.0.0.1:{Standby.Port},127.0.0.1:{Primary.Port};Username=postgres;Database=whistle;Timeout=3;Command Timeout=10;Target Session Attributes=prefer-standby";
}

/// <summary>
/// Two PostgreSQL nodes under Patroni 3.0 with one etcd: Patroni elects the primary, keeps the
/// other a synchronous standby (synchronous_mode), and promotes it when the primary's leader key
/// expires (TTL 10 s here, so a test sees a failover in seconds).
/// </summary>
/// <remarks>
/// Through etcd's v2 API (<c>etcd:</c>), not v3 (<c>etcd3:</c>): Patroni 3.0.2 renews its leader key over
/// v3 with a plain write under a fresh lease, so a frozen leader's Patroni, thawed, wrote the key back
/// over the new primary's from its stale view and the new primary was demoted (seen twice in CI). Over v2
/// the renewal is a compare-and-swap on its own name, which fails once another node holds the key.
/// </remarks>
public sealed class PatroniCluster : ReplicatedDatabase
{
    public const int TtlSeconds = 10;
    private readonly List<Node> _nodes = [];
    private readonly Dictionary<string, (Daemon Patroni, int RestPort, string Config)> _patroni = [];
    private int _etcdPort;

    private PatroniCluster() : base("patroni")
    {
    }

    public override IReadOnlyList<Node> Nodes => _nodes;

    public static string? Unavailable => Daemon.Missing("/usr/bin/patroni", "/usr/bin/etcd", $"{Binaries}/initdb");

    public static async Task<PatroniCluster> StartAsync()
    {
        var cluster = new PatroniCluster();
        try
        {
            cluster._etcdPort = Daemon.FreePort();
            var peer = Daemon.FreePort();
            cluster.Daemons.Add(Daemon.Start("/usr/bin/etcd",
            [
                "--name", "etcd", "--data-dir", Path.Combine(cluster.Folder, "etcd"),
                "--listen-client-urls", $"http://127.0.0.1:{cluster._etcdPort}", "--advertise-client-urls", $"http://127.0.0.1:{cluster._etcdPort}",
                "--listen-peer-urls", $"http://127.0.0.1:{peer}", "--initial-advertise-peer-urls", $"http://127.0.0.1:{peer}",
                "--initial-cluster", $"etcd=http://127.0.0.1:{peer}",
                // Patroni talks to it through the v2 API (see StartNode).
                "--enable-v2=true",
            ], Path.Combine(cluster.Folder, "etcd.log")));
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            await Daemon.UntilAsync(async () => (await http.GetAsync($"http://127.0.0.1:{cluster._etcdPort}/health")).IsSuccessStatusCode,
                TimeSpan.FromSeconds(30), "etcd is healthy");

            cluster.StartNode("n1");
            await Daemon.UntilAsync(async () => await cluster._nodes[0].IsPrimaryAsync(), TimeSpan.FromSeconds(60), "n1 is the primary");
            cluster.StartNode("n2");
            await Daemon.UntilAsync(async () => await cluster.RoleAsync("n2") == "sync_standby", TimeSpan.FromSeconds(90), "n2 is a synchronous standby");
            await cluster.CreateDatabaseAsync(cluster._nodes[0]);
            return cluster;
        }
        catch (Exception e)
        {
            var logs = cluster.Logs();
            await cluster.DisposeAsync();
            throw new InvalidOperationException($"{e.Message}\n{logs}", e);
        }
    }

    private void StartNode(string name)
    {
        var node = new Node(name, Daemon.FreePort(), Path.Combine(Folder, name));
        var rest = Daemon.FreePort();
        var config = Path.Combine(Folder, name + ".yml");
        Daemon.WriteFile(config, $"""
            scope: whistle
            name: {name}
            restapi:
              listen: 127.0.0.1:{rest}
              connect_address: 127.0.0.1:{rest}
            etcd:
              host: 127.0.0.1:{_etcdPort}
            bootstrap:
              dcs:
                ttl: {TtlSeconds}
                loop_wait: 1
                retry_timeout: 4
                maximum_lag_on_failover: 1048576
                synchronous_mode: true
                postgresql:
                  use_pg_rewind: true
                  use_slots: true
                  parameters:
                    wal_log_hints: 'on'
                    max_wal_senders: 10
                    max_replication_slots: 10
                    max_connections: 200
                    hot_standby: 'on'
                    synchronous_commit: 'on'
              initdb:
              - encoding: UTF8
              - locale: C
              pg_hba:
              - host replication all 127.0.0.1/32 trust
              - host all all 127.0.0.1/32 trust
              - local all all trust
            postgresql:
              listen: 127.0.0.1:{node.Port}
              connect_address: 127.0.0.1:{node.Port}
              data_dir: {node.DataDirectory}
              bin_dir: {Binaries}
              pgpass: {Path.Combine(Folder, name + ".pgpass")}
              authentication:
                replication:
                  username: postgres
                superuser:
                  username: postgres
                rewind:
                  username: postgres
              parameters:
                unix_socket_directories: '{Folder}'
            """);
        var patroni = Daemon.Start("/usr/bin/patroni", [config], Path.Combine(Folder, name + ".log"));
        Daemons.Add(patroni);
        _patroni[name] = (patroni, rest, config);
        if (!_nodes.Exists(n => n.Name == name))
        {
            _nodes.Add(node);
        }
    }

    /// <summary>The node's role as its Patroni says: master/primary, replica, sync_standby…; null when it does not answer.</summary>
    public async Task<string?> RoleAsync(string name)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var status = await http.GetFromJsonAsync<JsonObject>($"http://127.0.0.1:{_patroni[name].RestPort}/patroni");
        var role = (string?)status?["role"];
        if (role == "replica" && await SyncStandbyAsync() == name)
        {
            return "sync_standby";
        }
        return role;
    }

    private async Task<string?> SyncStandbyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var cluster = await http.GetFromJsonAsync<JsonObject>($"http://127.0.0.1:{_patroni.Values.First().RestPort}/cluster");
        return cluster?["members"]?.AsArray().FirstOrDefault(m => (string?)m?["role"] == "sync_standby")?["name"]?.GetValue<string>();
    }

    /// <summary>The node dies: its Patroni and its PostgreSQL killed with SIGKILL, as a lost machine would.</summary>
    public void Kill(Node node)
    {
        _patroni[node.Name].Patroni.Signal("KILL");
        node.SignalAll("KILL");
    }

    /// <summary>The node freezes (SIGSTOP): its Patroni and its PostgreSQL stop answering without closing a connection.</summary>
    public void Freeze(Node node)
    {
        _patroni[node.Name].Patroni.Signal("STOP");
        node.SignalAll("STOP");
    }

    public void Thaw(Node node)
    {
        node.SignalAll("CONT");
        _patroni[node.Name].Patroni.Signal("CONT");
    }
}
