namespace Whistle.Api.Infrastructure;

/// <summary>
/// Decides which database the service uses: the configured <c>ConnectionStrings:Whistle</c>, or,
/// with none, the embedded default: a private PostgreSQL cluster that it starts (or reuses) and
/// fills with the built-in reference set.
/// </summary>
public static class DatabaseStartup
{
    public const string ConnectionName = "Whistle";

    /// <summary>The configured connection string, or the embedded default's (started or reused here).</summary>
    public static async Task<(string ConnectionString, EmbeddedPostgres? Embedded)> ResolveAsync(IConfiguration configuration)
    {
        var configured = configuration.GetConnectionString(ConnectionName);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return (configured, null);
        }
        var directory = configuration[$"{WhistleOptions.Section}:{nameof(WhistleOptions.DataDirectory)}"]
            ?? EmbeddedPostgres.DefaultDataDirectory();
        using var loggerFactory = LoggerFactory.Create(logging => logging.AddSimpleConsole(o => o.SingleLine = true));
        var logger = loggerFactory.CreateLogger("Whistle.EmbeddedPostgres");
        var server = await EmbeddedPostgres.StartAsync(directory, "whistle", log: message => Console.WriteLine($"info: Whistle.EmbeddedPostgres {message}"));
        logger.LogInformation("Embedded PostgreSQL ready; psql -h {Socket} -U postgres whistle reaches it", server.SocketDirectory);
        return (server.ConnectionStringFor("whistle"), server);
    }

    /// <summary>Applies pending migrations; on the embedded default, loads the reference set into an empty store.</summary>
    public static async Task MigrateAsync(WebApplication app, bool loadReferenceData)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDbContext>();
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
