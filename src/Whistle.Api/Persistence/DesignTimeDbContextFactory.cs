using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Npgsql;

namespace Whistle.Api.Persistence;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without starting the service or a database.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<WhistleDbContext>
{
    public WhistleDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<WhistleDbContext>();
        options.UseWhistleStore("Host=localhost;Database=whistle");
        return new WhistleDbContext(options.Options);
    }
}

public static class WhistleStoreOptions
{
    /// <summary>The options the service, its tests and its tools use; the one place they are set.</summary>
    public static DbContextOptionsBuilder UseWhistleStore(this DbContextOptionsBuilder options, string connectionString) =>
        options
            .UseNpgsql(Tuned(connectionString), npgsql => npgsql.MigrationsHistoryTable("__ef_migrations_history"))
            .UseSnakeCaseNamingConvention()
            .AddInterceptors(RowLocks.Instance);

    /// <summary>
    /// The service runs the same few statements all day: let Npgsql prepare them on the server, and
    /// keep them prepared across pool rentals (the service sets no session state to reset). A
    /// connection string that says otherwise wins.
    /// </summary>
    private static string Tuned(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var given = connectionString.ToLowerInvariant();
        if (!given.Contains("auto prepare", StringComparison.Ordinal) && !given.Contains("autoprepare", StringComparison.Ordinal))
        {
            builder.MaxAutoPrepare = 64;
        }
        if (!given.Contains("reset on close", StringComparison.Ordinal) && !given.Contains("resetonclose", StringComparison.Ordinal))
        {
            builder.NoResetOnClose = true;
        }
        return builder.ConnectionString;
    }
}
