using System.Diagnostics;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Whistle.Api.Infrastructure;

/// <summary>Where a read was answered from.</summary>
public enum ReadFrom
{
    Primary,
    Standby,
}

/// <summary>Whistle:Replicas: when reads that may lag go to the standby.</summary>
public sealed class ReplicaOptions
{
    public const string Section = "Whistle:Replicas";

    /// <summary>A standby further behind than this is not read; its reads go to the primary until it catches up.</summary>
    public double MaxLagSeconds { get; set; } = 5;

    /// <summary>How often the standby's lag is measured.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    public bool IsValid() => MaxLagSeconds is > 0 and <= 3600 && CheckInterval > TimeSpan.Zero && CheckInterval <= TimeSpan.FromMinutes(1);
}

/// <summary>
/// The standby that reads allowed to lag may use (<see cref="DatabaseConnections.ReadOnly"/>, typically
/// several hosts with <c>Target Session Attributes=prefer-standby</c>): the statistics' catch-up, and
/// with them the dashboards. It measures the standby's replay lag every <see cref="ReplicaOptions.CheckInterval"/>
/// and offers it only while the lag is within <see cref="ReplicaOptions.MaxLagSeconds"/> and the
/// measurement is recent; otherwise those reads go to the primary, as all others always do.
/// </summary>
/// <remarks>
/// Reading one's own writes is kept by the primary: what a person files or changes, and reads back
/// (an order, the lists, their own orders), is never read from a standby. Only answers over many
/// orders may lag, by at most the bound, and they say so: <c>readFrom</c>, and an <c>asOf</c> that
/// is the standby's last replayed commit when it is behind.
/// </remarks>
public sealed class ReadReplica(DatabaseConnections connections, IOptions<ReplicaOptions> options, ILogger<ReadReplica> logger) : BackgroundService
{
    /// <summary>
    /// The standby's lag in seconds: none while it has replayed all it received (an idle primary
    /// sends nothing, so an old last commit is not lag); otherwise the age of its last replayed commit.
    /// </summary>
    private const string LagSql = """
        SELECT pg_is_in_recovery(),
               CASE WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                    ELSE coalesce(extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8, 'Infinity') END
        """;

    /// <summary>The time up to which a standby's data holds every commit: now when caught up, else its last replayed commit.</summary>
    private const string DataAsOfSql = """
        SELECT CASE WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN clock_timestamp()
                    ELSE pg_last_xact_replay_timestamp() END
        """;

    private readonly ReplicaOptions _options = options.Value;
    private readonly string? _connectionString = connections.ReadOnly;
    private Reading? _last;

    private sealed record Reading(bool Standby, double LagSeconds, long MeasuredAt);

    public bool Configured => _connectionString is not null;

    /// <summary>The last lag measured, in seconds; null when none is configured or none measured yet.</summary>
    public double? LagSeconds => Volatile.Read(ref _last)?.LagSeconds;

    /// <summary>The standby to read from now, or null for the primary (none configured, too far behind, or not heard from).</summary>
    public NpgsqlDataSource? Choose()
    {
        if (_connectionString is null || Volatile.Read(ref _last) is not { Standby: true } last)
        {
            return null;
        }
        var fresh = Stopwatch.GetElapsedTime(last.MeasuredAt) <= 3 * _options.CheckInterval + TimeSpan.FromSeconds(1);
        return fresh && last.LagSeconds <= _options.MaxLagSeconds ? Source() : null;
    }

    /// <summary>The standby failed a read: the primary takes its reads until the next measurement says otherwise.</summary>
    public void Failed() => Volatile.Write(ref _last, null);

    /// <summary>Up to when the connection's data holds every commit (null on a primary: it holds them all).</summary>
    public static async Task<DateTimeOffset?> DataAsOfAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(DataAsOfSql + ", pg_is_in_recovery()", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return reader.GetBoolean(1) && !reader.IsDBNull(0) ? reader.GetFieldValue<DateTimeOffset>(0) : null;
    }

    private NpgsqlDataSource Source() => Persistence.WhistleDataSources.For(_connectionString!);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_connectionString is null)
        {
            return;
        }
        var failing = false;
        using var timer = new PeriodicTimer(_options.CheckInterval);
        do
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(_options.CheckInterval + TimeSpan.FromSeconds(2));
                await using var connection = await Source().OpenConnectionAsync(timeout.Token);
                await using var command = new NpgsqlCommand(LagSql, connection);
                await using var reader = await command.ExecuteReaderAsync(timeout.Token);
                await reader.ReadAsync(timeout.Token);
                var reading = new Reading(reader.GetBoolean(0), reader.GetDouble(1), Stopwatch.GetTimestamp());
                if (failing || (reading.LagSeconds > _options.MaxLagSeconds) != (Volatile.Read(ref _last)?.LagSeconds > _options.MaxLagSeconds))
                {
                    logger.LogInformation("Read replica: {Kind}, {Lag:0.###} s behind (bound {Bound} s)",
                        reading.Standby ? "a standby" : "the primary", reading.LagSeconds, _options.MaxLagSeconds);
                }
                failing = false;
                Volatile.Write(ref _last, reading);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                if (!failing)
                {
                    logger.LogWarning("Read replica unreachable ({Reason}); its reads go to the primary", e.Message);
                }
                failing = true;
                Volatile.Write(ref _last, null);
                Source().Clear();
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
