using Npgsql;

namespace Whistle.Api.Infrastructure;

/// <summary>
/// Boundaries and positions are PostGIS types, so a server without the extension cannot hold the
/// schema. Checked before migrating, so the service stops at start with what to install, not with
/// the migration's "could not open extension control file".
/// </summary>
public static class PostGis
{
    public const string Extension = "postgis";

    /// <summary>Debian's package for a server's major version (15 → postgresql-15-postgis-3).</summary>
    public static string DebianPackage(int serverMajorVersion) => $"postgresql-{serverMajorVersion}-postgis-3";

    /// <summary>Throws <see cref="PostGisMissingException"/> when the server offers no PostGIS to the database.</summary>
    public static async Task EnsureAvailableAsync(WhistleDbContext db, CancellationToken cancellationToken)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var opened = connection.State != System.Data.ConnectionState.Open;
        if (opened)
        {
            await connection.OpenAsync(cancellationToken);
        }
        try
        {
            await EnsureAvailableAsync(connection, Extension, cancellationToken);
        }
        finally
        {
            if (opened)
            {
                await connection.CloseAsync();
            }
        }
    }

    /// <summary>The check itself, for an extension by name (the tests ask it about one no server has).</summary>
    internal static async Task EnsureAvailableAsync(NpgsqlConnection connection, string extension, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = $1), current_setting('server_version_num')::int / 10000", connection);
        command.Parameters.AddWithValue(extension);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        if (!reader.GetBoolean(0))
        {
            var major = reader.GetInt32(1);
            throw new PostGisMissingException(
                $"The database server (PostgreSQL {major}) has no PostGIS ('{extension}' is not among its available extensions). " +
                $"Install it on the server (Debian/Ubuntu: apt-get install {DebianPackage(major)}); Whistle creates the extension itself.");
        }
    }
}

public sealed class PostGisMissingException(string message) : Exception(message);
