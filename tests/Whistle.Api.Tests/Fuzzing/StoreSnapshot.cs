using Npgsql;

namespace Whistle.Api.Tests.Fuzzing;

/// <summary>
/// A fingerprint of every table the service writes (orders, history, outbox and deliveries,
/// credentials, webhooks, idempotency records): what a refused request must leave as it was.
/// </summary>
public sealed class StoreSnapshot
{
    private readonly NpgsqlConnection _connection;
    private readonly string[] _tables;
    private readonly string _sql;

    private StoreSnapshot(NpgsqlConnection connection, string[] tables)
    {
        _connection = connection;
        _tables = tables;
        // Each table's rows as text, hashed: a changed column anywhere changes its fingerprint.
        _sql = string.Join(" UNION ALL ", tables.Select((table, i) =>
            $"SELECT {i}, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM \"{table}\" t"));
    }

    /// <summary>
    /// The tables are read from the catalogue, so one added later is watched too. Left out for speed: the
    /// migrations' history, PostGIS's own spatial_ref_sys (8,500 long rows: 240 ms a snapshot, more than all
    /// the rest) and the reference lists (their every change is also a row of reference_changes, watched).
    /// </summary>
    public static async Task<StoreSnapshot> ForAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT table_name FROM information_schema.tables
            WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
              AND table_name NOT IN ('__ef_migrations_history', 'spatial_ref_sys', 'streets', 'communities', 'grids', 'departments', 'categories')
            ORDER BY table_name
            """, connection);
        var tables = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }
        return new StoreSnapshot(connection, [.. tables]);
    }

    public async Task<Fingerprint> TakeAsync()
    {
        await using var command = new NpgsqlCommand(_sql, _connection);
        var hashes = new string[_tables.Length];
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            hashes[reader.GetInt32(0)] = reader.GetString(1);
        }
        return new Fingerprint(_tables, hashes);
    }

    public sealed record Fingerprint(string[] Tables, string[] Hashes)
    {
        public List<string> ChangedSince(Fingerprint before) =>
            Tables.Where((_, i) => Hashes[i] != before.Hashes[i]).ToList();
    }
}
