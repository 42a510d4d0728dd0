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
    /// The service's defaults for a connection string naming several hosts (a primary and its
    /// standbys, in any order): writes need the primary, so <c>Target Session Attributes</c> is
    /// <c>read-write</c> unless it says otherwise, and hosts' roles are checked again every second
    /// instead of Npgsql's ten, so that after a failover the new primary is found at once.
    /// </summary>
    public static string WithReplicaDefaults(string connectionString, string targetSession = "read-write")
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (builder.Host?.Contains(',', StringComparison.Ordinal) != true)
        {
            return connectionString;
        }
        if (!Names(connectionString, "Target Session Attributes", "TargetSessionAttributes"))
        {
            builder.TargetSessionAttributes = targetSession;
        }
        if (!Names(connectionString, "Host Recheck Seconds", "HostRecheckSeconds"))
        {
            builder.HostRecheckSeconds = 1;
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
