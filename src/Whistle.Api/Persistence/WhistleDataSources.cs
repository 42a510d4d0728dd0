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
