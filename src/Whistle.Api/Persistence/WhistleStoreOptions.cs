namespace Whistle.Api.Persistence;

public static class WhistleStoreOptions
{
    /// <summary>The options the service, its tests and its tools use; the one place they are set.</summary>
    public static DbContextOptionsBuilder UseWhistleStore(this DbContextOptionsBuilder options, string connectionString) =>
        options
            .UseNpgsql(WhistleDataSources.For(connectionString), npgsql => npgsql.MigrationsHistoryTable("__ef_migrations_history").UseNetTopologySuite())
            .UseSnakeCaseNamingConvention()
            .AddInterceptors(RowLocks.Instance);
}
