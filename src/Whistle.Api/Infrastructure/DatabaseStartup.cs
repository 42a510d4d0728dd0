namespace Whistle.Api.Infrastructure;

/// <summary>
/// Decides which database the service uses: the configured <c>ConnectionStrings:Whistle</c> (and
/// <c>ConnectionStrings:WhistleDirect</c>, see <see cref="DatabaseConnections"/>), or, with none, the
/// embedded default: a private PostgreSQL cluster that it starts (or reuses) and fills with the
/// built-in reference set.
/// </summary>
public static class DatabaseStartup
{
    public const string ConnectionName = DatabaseConnections.WhistleName;

    /// <summary>The configured connection strings, or the embedded default's (started or reused here).</summary>
    /// <param name="command">
    /// For a command-line verb: also say which database it uses, and warn when no running service uses that
    /// one (a verb run by another user, or with another data folder, changes a database the service never reads).
    /// </param>
    public static async Task<(DatabaseConnections Connections, EmbeddedPostgres? Embedded)> ResolveAsync(IConfiguration configuration, bool command = false)
    {
        // A verb's standard output is its answer (keys, a plan, ids a script reads): what it says about the database goes to standard error.
        using var loggerFactory = LoggerFactory.Create(logging => logging
            .AddSimpleConsole(o => o.SingleLine = true)
            .AddConsole(o => o.LogToStandardErrorThreshold = command ? LogLevel.Trace : LogLevel.None));
        var logger = loggerFactory.CreateLogger("Whistle.Database");
        var configured = configuration.GetConnectionString(ConnectionName);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            if (command)
            {
                var named = new Npgsql.NpgsqlConnectionStringBuilder(configured);
                logger.LogInformation("Using database {Database} on {Host}:{Port} as {User} (ConnectionStrings:Whistle)", named.Database, named.Host, named.Port, named.Username);
                await WarnUnlessServedAsync(configured, logger, "Start the service with the same ConnectionStrings__Whistle");
            }
            return (DatabaseConnections.Resolve(configuration, WhistleDataSources.WithDefaults(configured)), null);
        }
        var directory = configuration[$"{WhistleOptions.Section}:{nameof(WhistleOptions.DataDirectory)}"]
            ?? EmbeddedPostgres.DefaultDataDirectory();
        var server = await EmbeddedPostgres.StartAsync(directory, "whistle", log: message => Console.WriteLine($"info: Whistle.EmbeddedPostgres {message}"));
        logger.LogInformation("Embedded PostgreSQL ready; psql -h {Socket} -U postgres whistle reaches it", server.SocketDirectory);
        if (command)
        {
            logger.LogInformation("Using database whistle in the data folder {Directory} (the embedded default)", Path.GetFullPath(directory));
            var hint = $"Start the service with the same data folder (WHISTLE_DATA_DIR={Path.GetFullPath(directory)}, as the same user)";
            if (server.StartedHere)
            {
                // It was not running, so no service is using it.
                logger.LogWarning("No running service uses this data folder: its PostgreSQL was not running. {Hint} to see what this command does.", hint);
            }
            else
            {
                await WarnUnlessServedAsync(server.ConnectionStringFor("whistle"), logger, hint);
            }
        }
        return (DatabaseConnections.Resolve(configuration, server.ConnectionStringFor("whistle")), server);
    }

    /// <summary>Warns when nothing else is connected to the database: no service is running on it.</summary>
    private static async Task WarnUnlessServedAsync(string connectionString, ILogger logger, string hint)
    {
        if (await OtherConnectionsAsync(connectionString) == 0)
        {
            logger.LogWarning("No running service uses this database (nothing else is connected to it). {Hint} to see what this command does.", hint);
        }
    }

    /// <summary>
    /// How many other clients are connected to the database (a running service holds its pool's
    /// connections); null when it cannot be asked, e.g. it does not exist yet (the command says so itself).
    /// </summary>
    internal static async Task<long?> OtherConnectionsAsync(string connectionString)
    {
        try
        {
            await using var connection = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
            await connection.OpenAsync();
            await using var count = new Npgsql.NpgsqlCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
                connection);
            return (long)(await count.ExecuteScalarAsync())!;
        }
        catch (Npgsql.NpgsqlException)
        {
            return null;
        }
    }

    /// <summary>
    /// Applies pending migrations; on the embedded default, loads the reference set into an empty store.
    /// On the direct connection: a migration's DDL and its table lock (Npgsql's migration lock is
    /// <c>LOCK TABLE … IN ACCESS EXCLUSIVE MODE</c>, held by the transaction, not a session advisory
    /// lock) would work through a transaction-mode pooler, but a long one would hold one of its few
    /// server connections and meet its query timeouts.
    /// </summary>
    public static async Task MigrateAsync(WebApplication app, bool loadReferenceData)
    {
        var direct = app.Services.GetRequiredService<DatabaseConnections>().Direct;
        var options = new DbContextOptionsBuilder<WhistleDbContext>();
        options.UseWhistleStore(direct);
        await using var db = new WhistleDbContext(options.Options);
        var loaded = await PrepareAsync(db, loadReferenceData, default);
        // The configuration's holidays seed a calendar never written (from then on the data rules).
        await Features.Reference.CalendarEndpoints.SeedAsync(db, app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<WhistleOptions>>().Value, default);
        if (loaded)
        {
            app.Logger.LogInformation(
                "Loaded the built-in reference set: {Streets} streets, {Communities} communities, {Grids} grids, {Departments} departments, {Categories} categories",
                BuiltInReferenceData.StreetCount, BuiltInReferenceData.CommunityCount, BuiltInReferenceData.GridCount,
                BuiltInReferenceData.Departments.Count, BuiltInReferenceData.Categories.Count);
        }
    }

    /// <summary>
    /// What the service and the command-line verbs do to a store before using it: apply pending
    /// migrations and, when asked, load the reference set into an empty one. True if it loaded it.
    /// </summary>
    public static async Task<bool> PrepareAsync(WhistleDbContext db, bool loadReferenceData, CancellationToken cancellationToken)
    {
        await PostGis.EnsureAvailableAsync(db, cancellationToken);
        var migrating = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).Any();
        await db.Database.MigrateAsync(cancellationToken);
        if (migrating)
        {
            await ReloadTypesAsync(db, cancellationToken);
        }
        if (!loadReferenceData)
        {
            return false;
        }
        var loaded = await BuiltInReferenceData.LoadIfEmptyAsync(db, cancellationToken);
        // Also for a store that had the set before boundaries existed: locating works out of the box.
        await Features.Geo.BuiltInBoundaries.LoadIfNoneAsync(db, cancellationToken);
        return loaded;
    }

    /// <summary>
    /// Npgsql learns the database's types when a data source first connects, which on a new database is
    /// before the migration has created PostGIS: without a reload, the first geometry read or written
    /// fails with "the data type name 'geometry' could not be found". The pool's idle connections loaded
    /// the old set too, so they are closed (all pools': the connection no longer shows its password to find its own).
    /// </summary>
    private static async Task ReloadTypesAsync(WhistleDbContext db, CancellationToken cancellationToken)
    {
        var connection = (Npgsql.NpgsqlConnection)db.Database.GetDbConnection();
        var opened = connection.State != System.Data.ConnectionState.Open;
        if (opened)
        {
            await connection.OpenAsync(cancellationToken);
        }
        try
        {
            await connection.ReloadTypesAsync(cancellationToken);
        }
        finally
        {
            if (opened)
            {
                await connection.CloseAsync();
            }
        }
        WhistleDataSources.ClearAll();
    }
}
