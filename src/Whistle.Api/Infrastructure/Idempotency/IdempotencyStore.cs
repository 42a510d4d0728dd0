using System.Data.Common;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Whistle.Api.Infrastructure.Idempotency;

/// <summary>The SQL behind <c>idempotency_keys</c>: reserve a key, complete it with its response, release it, sweep.</summary>
public static class IdempotencyStore
{
    /// <summary>How long a key is honoured after it was first used.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    /// <summary>
    /// How long a reservation holds without its request finishing. A request that crashed (process
    /// killed) leaves its row in progress; after this a retry takes it over. A slow request that
    /// outlives its lease cannot act twice: completing checks the reservation's token in the same
    /// transaction as the change, and a lapsed one rolls the change back.
    /// </summary>
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    public abstract record Outcome;

    public sealed record Reserved : Outcome;

    public sealed record InProgress : Outcome;

    public sealed record Mismatch : Outcome;

    public sealed record Completed(int Status, string? ContentType, string? Location, string? ETag, byte[] Body) : Outcome;

    // Inserts the reservation, or takes over a row that expired, whose in-progress lease lapsed, or
    // whose server session is gone (the instance that reserved it was killed, or the database failed
    // over: the request cannot still be running, so its retry need not wait out the lease); a live
    // row is left alone and nothing is returned. Two duplicates race here and one wins: the other
    // waits on the row's lock and then sees it live.
    private const string ReserveSql = """
        INSERT INTO idempotency_keys AS k (scope, key, fingerprint, state, token, created_at, expires_at, locked_until, owner_pid, owner_started)
        SELECT @scope, @key, @fingerprint, 'in-progress', @token, @now, @expires, @lease, a.pid, a.backend_start
        FROM pg_stat_get_activity(pg_backend_pid()) a
        ON CONFLICT (scope, key) DO UPDATE SET
            fingerprint = excluded.fingerprint, state = 'in-progress', token = excluded.token,
            status = NULL, content_type = NULL, location = NULL, etag = NULL, body = NULL,
            created_at = excluded.created_at, expires_at = excluded.expires_at, locked_until = excluded.locked_until,
            owner_pid = excluded.owner_pid, owner_started = excluded.owner_started
        WHERE k.expires_at <= @now OR (k.state = 'in-progress' AND (k.locked_until <= @now OR NOT EXISTS (
            SELECT 1 FROM pg_stat_get_activity(k.owner_pid) o WHERE o.backend_start = k.owner_started)))
        RETURNING 1
        """;

    private const string ReadSql = """
        SELECT fingerprint, state, status, content_type, location, etag, body, expires_at, locked_until,
               state = 'in-progress' AND NOT EXISTS (SELECT 1 FROM pg_stat_get_activity(owner_pid) o WHERE o.backend_start = owner_started)
        FROM idempotency_keys WHERE scope = @scope AND key = @key
        """;

    /// <summary>Reserves the key for this request, or says why not: another body, still running, or done (with the response).</summary>
    public static async Task<Outcome> ReserveAsync(
        WhistleDbContext db, string scope, string key, byte[] fingerprint, Guid token, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            var connection = (NpgsqlConnection)db.Database.GetDbConnection();
            // A row can be released (deleted) or expire between the two statements: then reserve again.
            for (var attempt = 0; attempt < 3; attempt++)
            {
                await using (var reserve = new NpgsqlCommand(ReserveSql, connection))
                {
                    reserve.Parameters.Add(new("scope", NpgsqlDbType.Text) { Value = scope });
                    reserve.Parameters.Add(new("key", NpgsqlDbType.Varchar) { Value = key });
                    reserve.Parameters.Add(new("fingerprint", NpgsqlDbType.Bytea) { Value = fingerprint });
                    reserve.Parameters.Add(new("token", NpgsqlDbType.Uuid) { Value = token });
                    reserve.Parameters.Add(new("now", NpgsqlDbType.TimestampTz) { Value = now });
                    reserve.Parameters.Add(new("expires", NpgsqlDbType.TimestampTz) { Value = now + Retention });
                    reserve.Parameters.Add(new("lease", NpgsqlDbType.TimestampTz) { Value = now + Lease });
                    if (await reserve.ExecuteScalarAsync(cancellationToken) is not null)
                    {
                        return new Reserved();
                    }
                }
                await using var read = new NpgsqlCommand(ReadSql, connection);
                read.Parameters.Add(new("scope", NpgsqlDbType.Text) { Value = scope });
                read.Parameters.Add(new("key", NpgsqlDbType.Varchar) { Value = key });
                await using var row = await read.ExecuteReaderAsync(cancellationToken);
                if (!await row.ReadAsync(cancellationToken))
                {
                    continue;
                }
                var stored = row.GetFieldValue<byte[]>(0);
                var state = row.GetString(1);
                var expiresAt = row.GetFieldValue<DateTimeOffset>(7);
                var lockedUntil = row.GetFieldValue<DateTimeOffset>(8);
                if (expiresAt <= now || (state == "in-progress" && (lockedUntil <= now || row.GetBoolean(9))))
                {
                    continue;
                }
                if (!stored.AsSpan().SequenceEqual(fingerprint))
                {
                    return new Mismatch();
                }
                if (state != "completed")
                {
                    return new InProgress();
                }
                return new Completed(row.GetInt32(2), NullableString(row, 3), NullableString(row, 4), NullableString(row, 5),
                    row.GetFieldValue<byte[]>(6));
            }
            return new InProgress();
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>
    /// Stores the response on the reservation, in the request's own transaction, so the change and
    /// its stored response commit together. False when the reservation is no longer this request's.
    /// </summary>
    public static async Task<bool> CompleteAsync(
        IDbContextTransaction transaction, string scope, string key, Guid token, Completed response, CancellationToken cancellationToken)
    {
        var npgsql = (NpgsqlTransaction)transaction.GetDbTransaction();
        await using var complete = new NpgsqlCommand("""
            UPDATE idempotency_keys
            SET state = 'completed', status = @status, content_type = @contentType, location = @location, etag = @etag, body = @body
            WHERE scope = @scope AND key = @key AND token = @token AND state = 'in-progress'
            """, npgsql.Connection, npgsql);
        complete.Parameters.Add(new("scope", NpgsqlDbType.Text) { Value = scope });
        complete.Parameters.Add(new("key", NpgsqlDbType.Varchar) { Value = key });
        complete.Parameters.Add(new("token", NpgsqlDbType.Uuid) { Value = token });
        complete.Parameters.Add(new("status", NpgsqlDbType.Integer) { Value = response.Status });
        complete.Parameters.Add(new("contentType", NpgsqlDbType.Varchar) { Value = (object?)response.ContentType ?? DBNull.Value });
        complete.Parameters.Add(new("location", NpgsqlDbType.Varchar) { Value = (object?)response.Location ?? DBNull.Value });
        complete.Parameters.Add(new("etag", NpgsqlDbType.Varchar) { Value = (object?)response.ETag ?? DBNull.Value });
        complete.Parameters.Add(new("body", NpgsqlDbType.Bytea) { Value = response.Body });
        return await complete.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Forgets a reservation whose request failed, so the caller can fix the request and retry with the same key.</summary>
    public static async Task ReleaseAsync(WhistleDbContext db, string scope, string key, Guid token)
    {
        await db.Database.ExecuteSqlAsync(
            $"DELETE FROM idempotency_keys WHERE scope = {scope} AND key = {key} AND token = {token} AND state = 'in-progress'");
    }

    /// <summary>Deletes keys past their expiry; returns how many.</summary>
    public static Task<int> PurgeExpiredAsync(WhistleDbContext db, DateTimeOffset now, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"DELETE FROM idempotency_keys WHERE expires_at <= {now}", cancellationToken);

    private static string? NullableString(DbDataReader row, int ordinal) => row.IsDBNull(ordinal) ? null : row.GetString(ordinal);
}
