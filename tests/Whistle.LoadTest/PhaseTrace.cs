using System.Diagnostics;
using System.Globalization;
using System.Text;
using Npgsql;

namespace Whistle.LoadTest;

/// <summary>
/// What the machine and PostgreSQL were doing during the half load, every 100 ms: the CPU each
/// party took in the interval, the hypervisor's steal, the active client backends and what they
/// waited on, autovacuum workers, checkpoints so far. The report splits the half load's latency by
/// it: requests due in a quiet interval, and those due while autovacuum ran or the machine's cores
/// were taken by another guest. <c>--trace FILE</c> writes the samples (tab-separated).
/// </summary>
internal sealed class PhaseTrace(string connectionString, CpuMeter cpu)
{
    private static readonly TimeSpan Every = TimeSpan.FromMilliseconds(100);

    /// <summary>Steal above this share of an interval (of all cores) marks it disturbed: another guest had the cores.</summary>
    private const double StealShare = 0.05;

    private const string Sql = """
        SELECT count(*) FILTER (WHERE backend_type = 'client backend' AND state = 'active'),
               coalesce(string_agg(wait_event_type || ':' || wait_event, ',' ORDER BY wait_event) FILTER (WHERE backend_type = 'client backend' AND state = 'active' AND wait_event IS NOT NULL), ''),
               count(*) FILTER (WHERE backend_type = 'autovacuum worker'),
               coalesce(string_agg(query, ' | ') FILTER (WHERE backend_type = 'autovacuum worker'), ''),
               (SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter),
               (SELECT wal_sync FROM pg_stat_wal), (SELECT wal_sync_time FROM pg_stat_wal)
        FROM pg_stat_activity WHERE pid <> pg_backend_pid()
        """;

    /// <summary>A WAL flush slower than this on average over an interval marks it disturbed: the disk stalled every commit.</summary>
    public const double SlowSyncMs = 20;

    /// <summary>One interval, ending at <see cref="At"/> (a Stopwatch timestamp); WAL syncs and their time in it (<c>track_wal_io_timing</c>).</summary>
    public sealed record Sample(long At, CpuReading Cpu, long Active, string Waits, long Autovacuum, string AutovacuumQuery, long Checkpoints, long WalSyncs, double WalSyncMs)
    {
        public double MeanSyncMs => WalSyncs == 0 ? 0 : WalSyncMs / WalSyncs;

        public bool Stolen(int cores) => Cpu.MachineSteal > StealShare * cores * Cpu.Seconds;

        public bool Disturbed(int cores) => Autovacuum > 0 || Stolen(cores) || MeanSyncMs > SlowSyncMs;
    }

    public List<Sample> Samples { get; } = [];

    public async Task<T> RunAsync<T>(Func<Task<T>> phase, string? file, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var sampling = Task.Run(async () =>
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(stop.Token);
            // WAL sync times are counted only with this on (a superuser's setting: the private cluster's; a given server may refuse).
            try
            {
                await using var timing = new NpgsqlCommand("ALTER SYSTEM SET track_wal_io_timing = on; SELECT pg_reload_conf()", connection);
                await timing.ExecuteNonQueryAsync(stop.Token);
            }
            catch (PostgresException)
            {
            }
            var last = cpu.Read();
            var (syncs, syncMs) = (-1L, 0.0);
            using var timer = new PeriodicTimer(Every);
            try
            {
                while (await timer.WaitForNextTickAsync(stop.Token))
                {
                    var now = cpu.Read();
                    var at = Stopwatch.GetTimestamp();
                    await using var command = new NpgsqlCommand(Sql, connection);
                    await using var row = await command.ExecuteReaderAsync(stop.Token);
                    await row.ReadAsync(stop.Token);
                    var (nowSyncs, nowSyncMs) = (row.GetInt64(5), row.GetDouble(6));
                    if (syncs >= 0)
                    {
                        Samples.Add(new Sample(at, now - last, row.GetInt64(0), row.GetString(1), row.GetInt64(2), row.GetString(3), row.GetInt64(4),
                            nowSyncs - syncs, nowSyncMs - syncMs));
                    }
                    (last, syncs, syncMs) = (now, nowSyncs, nowSyncMs);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        }, ct);
        try
        {
            return await phase();
        }
        finally
        {
            await stop.CancelAsync();
            await sampling;
            if (file is not null)
            {
                await File.WriteAllTextAsync(file, Tsv(), ct);
            }
        }
    }

    /// <summary>Whether a request due at <paramref name="due"/> met a disturbed interval: its own, or the one after (it ran on into it).</summary>
    public bool Disturbed(long due, int cores)
    {
        var i = Samples.FindIndex(s => s.At >= due);
        return i >= 0 && (Samples[i].Disturbed(cores) || (i + 1 < Samples.Count && Samples[i + 1].Disturbed(cores)));
    }

    private string Tsv()
    {
        var text = new StringBuilder("seconds\tapi_cpu\tpostgres_cpu\tgenerator_cpu\tsteal\twal_syncs\tmean_sync_ms\tactive\twaits\tautovacuum\tcheckpoints\n");
        var start = Samples.Count > 0 ? Samples[0].At : 0;
        foreach (var s in Samples)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"{Stopwatch.GetElapsedTime(start, s.At).TotalSeconds:F2}\t{s.Cpu.Api:F2}\t{s.Cpu.Postgres:F2}\t{s.Cpu.LoadGenerator:F2}\t{s.Cpu.MachineSteal:F2}\t{s.WalSyncs}\t{s.MeanSyncMs:F1}\t{s.Active}\t{s.Waits}\t{s.Autovacuum} {(s.AutovacuumQuery.Length > 80 ? s.AutovacuumQuery[..80] : s.AutovacuumQuery)}\t{s.Checkpoints}\n");
        }
        return text.ToString();
    }
}
