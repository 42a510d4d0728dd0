using Npgsql;

namespace Whistle.Api.Infrastructure;

/// <summary>
/// The connection strings the service uses, resolved in one place, each configured one with the
/// service's defaults (<see cref="WhistleDataSources.WithDefaults"/>).
/// <list type="bullet">
/// <item><see cref="Whistle"/> (<c>ConnectionStrings:Whistle</c>): every request's transaction, the
/// scheduler and the webhook dispatcher's claims. It may go through a transaction-mode pooler such as
/// PgBouncer, since nothing sent on it outlives its transaction.</item>
/// <item><see cref="Direct"/> (<c>ConnectionStrings:WhistleDirect</c>, else the same as
/// <see cref="Whistle"/>): a connection straight to the primary for what needs a session of its own:
/// the LISTEN connections (a pooler hands the listening server connection to other clients, and the
/// notifications never reach this one) and the migrations at start-up (long DDL, and what the
/// command-line verbs do).</item>
/// <item><see cref="ReadOnly"/> (<c>ConnectionStrings:WhistleReadOnly</c>, optional): the standby that
/// reads allowed to lag may use (<see cref="ReadReplica"/>); several hosts prefer a standby.</item>
/// </list>
/// </summary>
public sealed record DatabaseConnections(string Whistle, string Direct, string? ReadOnly = null)
{
    public const string WhistleName = "Whistle";
    public const string DirectName = "WhistleDirect";
    public const string ReadOnlyName = "WhistleReadOnly";

    /// <summary>
    /// The direct connection string when configured, else <paramref name="whistle"/> (already resolved:
    /// configured or embedded); the read-only one when configured.
    /// </summary>
    public static DatabaseConnections Resolve(IConfiguration configuration, string whistle) =>
        new(whistle,
            Configured(configuration, DirectName) is { } direct ? WhistleDataSources.WithDefaults(direct) : whistle,
            Configured(configuration, ReadOnlyName) is { } readOnly ? WhistleDataSources.WithDefaults(readOnly, "prefer-standby") : null);

    private static string? Configured(IConfiguration configuration, string name) =>
        configuration.GetConnectionString(name) is { } text && !string.IsNullOrWhiteSpace(text) ? text : null;

    /// <summary>
    /// Whether statements may be prepared on the server over this connection string: only when it asks
    /// for auto-preparation (<c>Max Auto Prepare</c> above 0). A transaction-mode pooler (PgBouncer 1.18)
    /// runs each transaction on whichever server connection is free, where a statement prepared on
    /// another does not exist, or another client's of the same name does.
    /// </summary>
    public static bool Prepares(string connectionString) => PreparesCache.GetOrAdd(
        connectionString, static text => new NpgsqlConnectionStringBuilder(text).MaxAutoPrepare > 0);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> PreparesCache = new(StringComparer.Ordinal);
}
