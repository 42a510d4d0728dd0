using Npgsql;
using Whistle.Api.Features.Reference;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Pooling;

/// <summary>One database for the class; each test gets its own PgBouncer, since a test may leave its one server connection poisoned.</summary>
public sealed class PoolingDatabase : IAsyncLifetime
{
    public string Direct { get; private set; } = "";

    public async Task InitializeAsync() => Direct = await TestDatabase.CreateAsync();

    public Task DisposeAsync() => Task.CompletedTask;
}

/// <summary>
/// Why each rule in docs/operating.md's PgBouncer section is a rule: broken, each fails the way a
/// user or an operator would see it, and kept, the same steps work. PgBouncer here has one server
/// connection per database, so that two clients' transactions surely meet on it (as they do, more
/// rarely, on a pool of any size).
/// </summary>
public sealed class PgBouncerRulesTests(PoolingDatabase database) : IClassFixture<PoolingDatabase>, IAsyncLifetime
{
    private PgBouncer? _bouncer;

    public async Task InitializeAsync() => _bouncer = await PgBouncer.StartAsync(database.Direct, poolSize: 1);

    public async Task DisposeAsync() => await _bouncer!.DisposeAsync();

    private string Database => new NpgsqlConnectionStringBuilder(database.Direct).Database!;

    /// <summary>Two clients of their own (unpooled), as two service instances are.</summary>
    private static async Task<NpgsqlConnection> OpenAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>Runs the service's kind of query a few times, each in a transaction of its own; the first failure, if any.</summary>
    private static async Task<PostgresException?> QueryRepeatedlyAsync(NpgsqlConnection connection, string sql)
    {
        for (var i = 0; i < 4; i++)
        {
            try
            {
                await using var command = new NpgsqlCommand(sql, connection) { Parameters = { new() { Value = "ST01" } } };
                await command.ExecuteScalarAsync();
            }
            catch (PostgresException e)
            {
                return e;
            }
        }
        return null;
    }

    [Fact]
    public async Task Auto_prepared_statements_through_PgBouncer_meet_another_clients_of_the_same_name_and_the_query_fails()
    {
        const string prepare = "Max Auto Prepare=16;Auto Prepare Min Usages=2";
        const string streets = "SELECT count(*) FROM streets WHERE code = $1";
        const string orders = "SELECT count(*) FROM orders WHERE street_code = $1";

        // Broken: each client names its first prepared statement _p1, on the one server connection they share.
        await using (var first = await OpenAsync(_bouncer!.ConnectionStringFor(Database, prepare)))
        await using (var second = await OpenAsync(_bouncer.ConnectionStringFor(Database, prepare)))
        {
            Assert.Null(await QueryRepeatedlyAsync(first, streets));
            var failure = await QueryRepeatedlyAsync(second, orders);
            Assert.NotNull(failure);
            // 42P05 "prepared statement already exists", or 26000 "does not exist" where PgBouncer moved a client to another connection.
            Assert.Contains(failure.SqlState, new[] { PostgresErrorCodes.DuplicatePreparedStatement, PostgresErrorCodes.InvalidSqlStatementName });
            Assert.Contains("prepared statement", failure.MessageText, StringComparison.Ordinal);
        }

        // Kept: the recommended connection string (no auto-preparation) runs the same steps.
        await using (var first = await OpenAsync(_bouncer.ConnectionStringFor(Database)))
        await using (var second = await OpenAsync(_bouncer.ConnectionStringFor(Database)))
        {
            Assert.Null(await QueryRepeatedlyAsync(first, streets));
            Assert.Null(await QueryRepeatedlyAsync(second, orders));
            Assert.Null(await QueryRepeatedlyAsync(first, streets));
        }
    }

    [Fact]
    public async Task A_plain_SET_through_PgBouncer_changes_another_clients_transactions_and_SET_LOCAL_does_not()
    {
        // Broken: someone's session-level SET (a tool, a report, a psql) stays on the shared server connection,
        // and the next client's query, which names its tables unqualified as the service's do, finds none.
        await using (var other = await OpenAsync(_bouncer!.ConnectionStringFor(Database)))
        {
            await using var set = new NpgsqlCommand("SET search_path TO pg_catalog", other);
            await set.ExecuteNonQueryAsync();
        }
        await using (var service = await OpenAsync(_bouncer.ConnectionStringFor(Database)))
        {
            var failure = await QueryRepeatedlyAsync(service, "SELECT count(*) FROM orders WHERE street_code = $1");
            Assert.NotNull(failure);
            Assert.Equal(PostgresErrorCodes.UndefinedTable, failure.SqlState);
            await using var reset = new NpgsqlCommand("RESET ALL", service);
            await reset.ExecuteNonQueryAsync();
        }

        // Kept: SET LOCAL (what the service uses, e.g. the webhook claim's synchronous_commit) ends with its transaction.
        await using (var other = await OpenAsync(_bouncer.ConnectionStringFor(Database)))
        {
            await using var transaction = await other.BeginTransactionAsync();
            await using var set = new NpgsqlCommand("SET LOCAL search_path TO pg_catalog", other, transaction);
            await set.ExecuteNonQueryAsync();
            await transaction.CommitAsync();
        }
        await using (var service = await OpenAsync(_bouncer.ConnectionStringFor(Database)))
        {
            Assert.Null(await QueryRepeatedlyAsync(service, "SELECT count(*) FROM orders WHERE street_code = $1"));
        }

        // And directly, each client has its own session: the same plain SET stays with the one that made it.
        await using (var other = await OpenAsync(database.Direct))
        await using (var service = await OpenAsync(database.Direct))
        {
            await using var set = new NpgsqlCommand("SET search_path TO pg_catalog", other);
            await set.ExecuteNonQueryAsync();
            Assert.Null(await QueryRepeatedlyAsync(service, "SELECT count(*) FROM orders WHERE street_code = $1"));
        }
    }

    [Fact]
    public async Task LISTEN_through_PgBouncer_never_hears_a_reference_change_that_the_direct_connection_hears()
    {
        await using var throughBouncer = await OpenAsync(_bouncer!.ConnectionStringFor(Database));
        await using var direct = await OpenAsync(database.Direct);
        foreach (var listener in new[] { throughBouncer, direct })
        {
            await using var listen = new NpgsqlCommand($"LISTEN {ReferenceStore.Channel}", listener);
            await listen.ExecuteNonQueryAsync();
        }
        var heardThroughBouncer = 0;
        var heardDirectly = 0;
        throughBouncer.Notification += (_, _) => Interlocked.Increment(ref heardThroughBouncer);
        direct.Notification += (_, _) => Interlocked.Increment(ref heardDirectly);

        // As a reference change notifies: pg_notify in the writing transaction, itself through PgBouncer.
        await using (var writer = await OpenAsync(_bouncer.ConnectionStringFor(Database)))
        {
            await using var notify = new NpgsqlCommand($"SELECT pg_notify('{ReferenceStore.Channel}', '')", writer);
            await notify.ExecuteNonQueryAsync();
        }

        Assert.True(await direct.WaitAsync(TimeSpan.FromSeconds(10)), "The direct connection did not hear the notification.");
        Assert.Equal(1, heardDirectly);
        // The LISTEN ran on a server connection PgBouncer gave back to the pool; this client has no session to hear on.
        Assert.False(await throughBouncer.WaitAsync(TimeSpan.FromSeconds(3)), "The connection through PgBouncer heard the notification.");
        Assert.Equal(0, heardThroughBouncer);
    }
}
