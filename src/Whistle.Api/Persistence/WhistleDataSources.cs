using System.Collections.Concurrent;
using Npgsql;

namespace Whistle.Api.Persistence;

/// <summary>
/// One data source per connection string, with NetTopologySuite's types (PostGIS geometry and
/// geography) on its connections. Npgsql's pool manager, which NpgsqlConnection.ClearPool and
/// ClearAllPools act on, does not know data sources built this way: clear them here as well.
/// </summary>
public static class WhistleDataSources
{
    private static readonly ConcurrentDictionary<string, NpgsqlDataSource> Sources = new(StringComparer.Ordinal);

    public static NpgsqlDataSource For(string connectionString) => Sources.GetOrAdd(connectionString, static text =>
    {
        var builder = new NpgsqlDataSourceBuilder(text);
        builder.UseNetTopologySuite();
        return builder.Build();
    });

    /// <summary>
    /// The service's defaults for a configured connection string, each unless the string sets it:
    /// <list type="bullet">
    /// <item><c>Cancellation Timeout=-1</c>: a command that times out (or whose request is abandoned)
    /// breaks its connection instead of waiting for the server's answer to the cancel. PostgreSQL ends
    /// a commit's wait for a synchronous standby when it is cancelled and answers success, the change
    /// then on the primary alone: read, that answer would acknowledge a write a failover loses.</item>
    /// <item>With several hosts (a primary and its standbys, in any order): <c>Target Session
    /// Attributes</c> <c>read-write</c>, as writes need the primary, and hosts' roles checked again
    /// every second instead of Npgsql's ten, so that after a failover the new primary is found at once.</item>
    /// </list>
    /// </summary>
    public static string WithDefaults(string connectionString, string targetSession = "read-write")
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!Names(connectionString, "Cancellation Timeout", "CancellationTimeout"))
        {
            builder.CancellationTimeout = -1;
        }
        if (builder.Host?.Contains(',', StringComparison.Ordinal) == true)
        {
            if (!Names(connectionString, "Target Session Attributes", "TargetSessionAttributes"))
            {
                builder.TargetSessionAttributes = targetSession;
            }
            if (!Names(connectionString, "Host Recheck Seconds", "HostRecheckSeconds"))
            {
                builder.HostRecheckSeconds = 1;
            }
        }
        return builder.ConnectionString;
    }

    private static bool Names(string connectionString, params string[] keys) =>
        keys.Any(key => connectionString.Contains(key, StringComparison.OrdinalIgnoreCase));

    /// <summary>Closes the idle connections of every data source built here (busy ones close when returned).</summary>
    public static void ClearAll()
    {
        foreach (var source in Sources.Values)
        {
            source.Clear();
        }
    }

    public static void Clear(string connectionString)
    {
        if (Sources.TryGetValue(connectionString, out var source))
        {
            source.Clear();
        }
    }
}
