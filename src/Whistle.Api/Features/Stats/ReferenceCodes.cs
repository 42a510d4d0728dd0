using Npgsql;

namespace Whistle.Api.Features.Stats;

/// <summary>
/// The reference codes the facts point at, as small numbers, with names for the breakdown's
/// rows. Codes are never deleted or renumbered here, so an index stays valid for the process.
/// </summary>
public sealed class ReferenceCodes
{
    public sealed class Table
    {
        private readonly Dictionary<string, short> _index = new(StringComparer.Ordinal);
        private readonly List<(string Code, string Name)> _rows = [];

        public int Count => _rows.Count;

        public bool Contains(string code) => _index.ContainsKey(code);

        public short IndexOf(string code) => _index.TryGetValue(code, out var i) ? i : (short)-1;

        public string CodeOf(int index) => _rows[index].Code;

        public string NameOf(int index) => _rows[index].Name;

        internal void Put(string code, string name)
        {
            if (_index.TryGetValue(code, out var i))
            {
                _rows[i] = (code, name);
                return;
            }
            _index[code] = (short)_rows.Count;
            _rows.Add((code, name));
        }
    }

    public Table Streets { get; } = new();
    public Table Communities { get; } = new();
    public Table Departments { get; } = new();
    public Table Categories { get; } = new();

    /// <summary>The street each community belongs to, by index.</summary>
    public short[] StreetOfCommunity { get; private set; } = [];

    public bool Loaded { get; private set; }

    internal bool Knows(OrderRow row) =>
        Streets.Contains(row.Street) && Communities.Contains(row.Community) && Categories.Contains(row.Category)
        && (row.Department is null || Departments.Contains(row.Department))
        && (row.CoDepartments ?? []).All(Departments.Contains);

    /// <summary>Code, name and (communities) street code of each reference row, as read.</summary>
    internal sealed record Rows(
        List<(string, string, string?)> Streets, List<(string, string, string?)> Communities,
        List<(string, string, string?)> Departments, List<(string, string, string?)> Categories);

    internal static async Task<Rows> ReadAsync(NpgsqlConnection connection, CancellationToken cancellationToken) => new(
        await ReadAsync(connection, "SELECT code, name, NULL FROM streets ORDER BY code", cancellationToken),
        await ReadAsync(connection, "SELECT code, name, street_code FROM communities ORDER BY code", cancellationToken),
        await ReadAsync(connection, "SELECT code, name, NULL FROM departments ORDER BY code", cancellationToken),
        await ReadAsync(connection, "SELECT code, name, NULL FROM categories ORDER BY code", cancellationToken));

    /// <summary>Under the facts' write lock: readers never see a table half changed.</summary>
    internal void Put(Rows rows)
    {
        foreach (var (code, name, _) in rows.Streets)
        {
            Streets.Put(code, name);
        }
        foreach (var (code, name, _) in rows.Communities)
        {
            Communities.Put(code, name);
        }
        foreach (var (code, name, _) in rows.Departments)
        {
            Departments.Put(code, name);
        }
        foreach (var (code, name, _) in rows.Categories)
        {
            Categories.Put(code, name);
        }
        var streetOf = new short[Communities.Count];
        foreach (var (code, _, street) in rows.Communities)
        {
            streetOf[Communities.IndexOf(code)] = Streets.IndexOf(street!);
        }
        StreetOfCommunity = streetOf;
        Loaded = true;
    }

    private static async Task<List<(string, string, string?)>> ReadAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<(string, string, string?)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add((reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
        }
        return rows;
    }
}
