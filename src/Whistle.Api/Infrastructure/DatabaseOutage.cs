using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace Whistle.Api.Infrastructure;

/// <summary>
/// A database that cannot be reached (stopped, restarting, the network down, every connection
/// taken) is the service being unavailable for a moment, not a fault in the request: 503 with
/// Retry-After, so clients and proxies retry, where any other failure would be a 500. A failover
/// is one too: while a standby is promoted, a write may reach a server that is (or just became)
/// read-only, or find no host that accepts writes yet.
/// </summary>
public static class DatabaseOutage
{
    public const int RetryAfterSeconds = 5;

    /// <summary>Whether the failure, or one it wraps, is the database being out of reach rather than refusing a statement.</summary>
    public static bool Is(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                // The server answered: only its "going away / not there yet / full / not the primary (any more)" answers count.
                case PostgresException postgres:
                    return postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
                        || postgres.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
                            or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections
                            or PostgresErrorCodes.ReadOnlySqlTransaction;
                // No answer at all: a refused or broken connection, or a timeout waiting for one.
                case NpgsqlException npgsql when npgsql.IsTransient:
                    return true;
                // Several hosts named, none of them the kind asked for (no primary while a standby is promoted).
                case NpgsqlException npgsql when npgsql.Message.StartsWith("No suitable host", StringComparison.Ordinal)
                    || npgsql.Message.StartsWith("Unable to connect to a suitable host", StringComparison.Ordinal):
                    return true;
            }
        }
        return false;
    }

    public static ProblemDetails Problem(HttpContext context)
    {
        // Connections pooled before the outage stay dead after the database is back: dropped now, the
        // first request after recovery opens a fresh one instead of failing on a stale one.
        if (context.RequestServices.GetService<Persistence.WhistleDbContext>()?.Database.GetDbConnection() is NpgsqlConnection connection)
        {
            NpgsqlConnection.ClearPool(connection);
            Persistence.WhistleDataSources.ClearAll();
        }
        context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new ProblemDetails
        {
            Status = StatusCodes.Status503ServiceUnavailable,
            Title = "Database unavailable",
            Detail = $"The service cannot reach its database just now; nothing was changed. Retry in {RetryAfterSeconds} s.",
        };
    }
}
