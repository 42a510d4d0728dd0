using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Whistle.Api.Features.Webhooks;

/// <summary>
/// Sends the outbox's deliveries, signed, to their subscribers; retries failures with exponential
/// backoff and jitter for <see cref="WebhookOptions.RetryWindow"/>, then marks them failed.
/// </summary>
/// <remarks>
/// Safe with several instances on one database. A delivery is claimed before it is sent: one
/// statement locks due rows <c>FOR UPDATE SKIP LOCKED</c>, counts the attempt and moves its next
/// attempt to the end of a lease, and commits; only then is it sent, and the outcome is written
/// under the same attempt number. So no other instance takes it while it is in flight, nor after
/// (a dispatcher that dies mid-send frees it when the lease runs out). Only an order's earliest
/// pending event for a subscription is ever due, so a subscriber hears an order's events in the
/// order they were committed. Dispatchers wake on the writing transaction's NOTIFY, and poll.
/// </remarks>
public sealed class WebhookDispatcher(
    DatabaseConnections connections, IHttpClientFactory http, TimeProvider clock, IOptions<WebhookOptions> options,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    public const string HttpClientName = "webhooks";

    /// <summary>Waits after a failed attempt, by attempts made so far; the last repeats until the window ends.</summary>
    private static readonly TimeSpan[] Backoff =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10),
        TimeSpan.FromMinutes(30), TimeSpan.FromHours(1), TimeSpan.FromHours(2), TimeSpan.FromHours(4),
    ];

    private readonly WebhookOptions _options = options.Value;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    private const string ClaimSql = """
        UPDATE webhook_deliveries d
        SET attempts = d.attempts + 1, next_attempt_at = $2, first_attempt_at = COALESCE(d.first_attempt_at, $1)
        FROM webhook_subscriptions s
        WHERE s.id = d.subscription_id
          AND d.id IN (
            SELECT c.id
            FROM webhook_deliveries c JOIN webhook_subscriptions cs ON cs.id = c.subscription_id AND cs.enabled
            WHERE c.status = 'pending' AND c.next_attempt_at <= $1
              AND NOT EXISTS (
                SELECT 1 FROM webhook_deliveries e
                WHERE e.subscription_id = c.subscription_id AND e.order_id = c.order_id AND e.status = 'pending' AND e.id < c.id)
            ORDER BY c.next_attempt_at, c.id
            LIMIT $3
            FOR UPDATE OF c SKIP LOCKED)
        RETURNING d.id, d.event_id, d.attempts, d.first_attempt_at, d.payload, s.url, s.secret
        """;

    private const string RecordAttemptSql =
        "INSERT INTO webhook_attempts (delivery_id, at, status_code, error, duration_ms) VALUES ($1, $2, $3, $4, $5)";

    // Written only under the attempt number the claim took: a claim that outlived its lease changes nothing.
    private const string OutcomeSql = """
        UPDATE webhook_deliveries
        SET status = $3, next_attempt_at = $4, delivered_at = $5, failed_at = $6, last_status_code = $7, last_error = $8
        WHERE id = $1 AND attempts = $2 AND status = 'pending'
        """;

    private sealed record Claimed(long Id, Guid EventId, int Attempt, DateTimeOffset FirstAttemptAt, string Payload, string Url, string Secret);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled)
        {
            return;
        }
        var listening = ListenAsync(stoppingToken);
        var swept = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
                if (clock.GetUtcNow() - swept >= TimeSpan.FromHours(1))
                {
                    await SweepAsync(stoppingToken);
                    swept = clock.GetUtcNow();
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "The webhook dispatcher failed; it tries again shortly");
            }
            try
            {
                // A notification (a new event committed), or the poll for retries coming due.
                using var poll = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var delay = Task.Delay(_options.PollInterval, clock, poll.Token);
                await Task.WhenAny(_wake.Reader.WaitToReadAsync(stoppingToken).AsTask(), delay);
                await poll.CancelAsync();
                _wake.Reader.TryRead(out _);
            }
            catch (OperationCanceledException)
            {
            }
        }
        await listening;
    }

    /// <summary>
    /// LISTENs on its own connection (unpooled: a pooled one would go back to the pool still
    /// listening) and wakes the loop on every notification; reconnects after a failure.
    /// </summary>
    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // The direct connection: through a transaction-mode pooler the LISTEN stays on a shared server connection and is never heard here.
                var builder = new NpgsqlConnectionStringBuilder(connections.Direct) { Pooling = false, KeepAlive = 30 };
                await using var connection = new NpgsqlConnection(builder.ConnectionString);
                await connection.OpenAsync(stoppingToken);
                connection.Notification += (_, _) => _wake.Writer.TryWrite(true);
                await using (var listen = new NpgsqlCommand($"LISTEN {WebhookOutbox.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                // Anything committed before the LISTEN took effect is picked up by this pass.
                _wake.Writer.TryWrite(true);
                while (true)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "The webhook dispatcher lost its notification connection; it polls meanwhile and reconnects");
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Sends everything due now, batch after batch, until nothing is left due.</summary>
    public async Task<DispatchRun> RunOnceAsync(CancellationToken cancellationToken)
    {
        var run = new DispatchRun();
        while (true)
        {
            var claimed = await ClaimAsync(cancellationToken);
            if (claimed.Count == 0)
            {
                return run;
            }
            await Parallel.ForEachAsync(
                claimed,
                new ParallelOptions { MaxDegreeOfParallelism = _options.Concurrency, CancellationToken = cancellationToken },
                async (delivery, ct) => run.Count(await DeliverAsync(delivery, ct)));
        }
    }

    /// <summary>Deletes deliveries delivered or failed longer than <see cref="WebhookOptions.RetainFor"/> ago, with their attempts.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connections.Whistle);
        await connection.OpenAsync(cancellationToken);
        await using var sweep = new NpgsqlCommand(SweepSql, connection)
        {
            Parameters = { new() { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = clock.Now() - _options.RetainFor } },
        };
        var deleted = await sweep.ExecuteNonQueryAsync(cancellationToken);
        if (deleted > 0)
        {
            logger.LogInformation("Webhook dispatcher: {Deleted} finished deliveries past their retention deleted", deleted);
        }
        return deleted;
    }

    private const string SweepSql =
        "DELETE FROM webhook_deliveries WHERE status <> 'pending' AND coalesce(delivered_at, failed_at) < $1";

    private async Task<List<Claimed>> ClaimAsync(CancellationToken cancellationToken)
    {
        var now = clock.Now();
        await using var connection = new NpgsqlConnection(connections.Whistle);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // The claim need not wait for its WAL flush: it is visible to other dispatchers at commit all
        // the same, and the outcome's (synchronous) commit flushes it. A crash that loses it loses the
        // send's outcome too, and that delivery is sent again either way.
        await using var batch = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SET LOCAL synchronous_commit TO off"),
                new NpgsqlBatchCommand(ClaimSql)
                {
                    Parameters =
                    {
                        new() { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = now },
                        new() { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = now + _options.Lease },
                        new() { NpgsqlDbType = NpgsqlDbType.Integer, Value = _options.BatchSize },
                    },
                },
            },
        };
        var claimed = new List<Claimed>();
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                claimed.Add(new Claimed(
                    reader.GetInt64(0), reader.GetGuid(1), reader.GetInt32(2), reader.GetFieldValue<DateTimeOffset>(3),
                    reader.GetString(4), reader.GetString(5), reader.GetString(6)));
            }
        }
        // Committed before anything is sent: from here no other dispatcher takes these until the lease ends.
        await transaction.CommitAsync(cancellationToken);
        // In id order: the order events were committed in, which is the order receivers see them begin.
        claimed.Sort((a, b) => a.Id.CompareTo(b.Id));
        return claimed;
    }

    private async Task<DeliveryStatus> DeliverAsync(Claimed delivery, CancellationToken cancellationToken)
    {
        var at = clock.Now();
        var id = delivery.EventId.ToString();
        var timestamp = at.ToUnixTimeSeconds();
        int? statusCode = null;
        string? error = null;
        var stopwatch = Stopwatch.StartNew();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url)
            {
                Content = new StringContent(delivery.Payload, Encoding.UTF8, "application/json"),
            };
            request.Headers.TryAddWithoutValidation("webhook-id", id);
            request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
            request.Headers.TryAddWithoutValidation("webhook-signature", WebhookSignature.Sign(delivery.Secret, id, timestamp, delivery.Payload));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.Timeout);
            using var response = await http.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            statusCode = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
            {
                error = $"The receiver answered {statusCode}.";
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            error = $"No answer within {_options.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s.";
        }
        catch (HttpRequestException e)
        {
            error = e.Message;
        }
        stopwatch.Stop();

        var done = clock.Now();
        DeliveryStatus status;
        DateTimeOffset next;
        if (error is null)
        {
            status = DeliveryStatus.Delivered;
            next = done;
        }
        else if (done >= delivery.FirstAttemptAt + _options.RetryWindow)
        {
            status = DeliveryStatus.Failed;
            next = done;
        }
        else
        {
            status = DeliveryStatus.Pending;
            var wait = Backoff[Math.Min(delivery.Attempt, Backoff.Length) - 1] * (0.8 + (0.4 * Random.Shared.NextDouble()));
            // The last retry falls at the window's end at the latest.
            next = Min(done + wait, delivery.FirstAttemptAt + _options.RetryWindow);
        }
        if (error is not null)
        {
            logger.LogInformation("Webhook delivery {Delivery} attempt {Attempt} to {Url} failed: {Error}", delivery.Id, delivery.Attempt, delivery.Url, error);
        }
        error = error is { Length: > 2000 } ? error[..2000] : error;

        await using var connection = new NpgsqlConnection(connections.Whistle);
        await connection.OpenAsync(CancellationToken.None);
        // One round trip, one implicit transaction: the attempt and its outcome.
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(RecordAttemptSql)
                {
                    Parameters =
                    {
                        new() { NpgsqlDbType = NpgsqlDbType.Bigint, Value = delivery.Id },
                        new() { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = at },
                        new() { NpgsqlDbType = NpgsqlDbType.Integer, Value = (object?)statusCode ?? DBNull.Value },
                        new() { NpgsqlDbType = NpgsqlDbType.Varchar, Value = (object?)error ?? DBNull.Value },
                        new() { NpgsqlDbType = NpgsqlDbType.Double, Value = stopwatch.Elapsed.TotalMilliseconds },
                    },
                },
                new NpgsqlBatchCommand(OutcomeSql)
                {
                    Parameters =
                    {
                        new() { NpgsqlDbType = NpgsqlDbType.Bigint, Value = delivery.Id },
                        new() { NpgsqlDbType = NpgsqlDbType.Integer, Value = delivery.Attempt },
                        new() { NpgsqlDbType = NpgsqlDbType.Varchar, Value = Whistle.Domain.Orders.WireName.Of(status) },
                        new() { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = next },
                        new() { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = status == DeliveryStatus.Delivered ? done : DBNull.Value },
                        new() { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = status == DeliveryStatus.Failed ? done : DBNull.Value },
                        new() { NpgsqlDbType = NpgsqlDbType.Integer, Value = (object?)statusCode ?? DBNull.Value },
                        new() { NpgsqlDbType = NpgsqlDbType.Varchar, Value = (object?)error ?? DBNull.Value },
                    },
                },
            },
        };
        // Written even when stopping: the receiver has it, and the next claim must not send it again.
        await batch.ExecuteNonQueryAsync(CancellationToken.None);
        return status;
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}

/// <summary>What one pass of the dispatcher did: deliveries delivered, left for a retry, and given up.</summary>
public sealed class DispatchRun
{
    private int _delivered;
    private int _retrying;
    private int _failed;

    public int Delivered => _delivered;
    public int Retrying => _retrying;
    public int Failed => _failed;
    public int Attempts => Delivered + Retrying + Failed;

    internal void Count(DeliveryStatus status)
    {
        switch (status)
        {
            case DeliveryStatus.Delivered:
                Interlocked.Increment(ref _delivered);
                break;
            case DeliveryStatus.Failed:
                Interlocked.Increment(ref _failed);
                break;
            default:
                Interlocked.Increment(ref _retrying);
                break;
        }
    }
}
