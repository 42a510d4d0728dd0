using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;
using Whistle.Api.Features.Access;
using Whistle.Api.Persistence;
using Whistle.Api.Tests.Infrastructure;
using Whistle.Domain.Orders;
using Order = Whistle.Domain.Orders.Order;

namespace Whistle.Api.Tests.Robustness;

/// <summary>
/// A write the database refuses fails alone: the connection it ran on (pooled, and next lent to
/// someone else) saves the next order as if nothing had happened.
/// </summary>
public class FailedBatchTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    // Past Npgsql's auto-preparation threshold (a statement's fifth use), so some failures fall on it.
    private const int Failures = 7;

    [Fact]
    public async Task An_order_whose_parameters_the_server_refuses_leaves_the_connection_fit_for_the_next_order()
    {
        // One physical connection: every save below runs on the one the refused ones used.
        var connectionString = new NpgsqlConnectionStringBuilder(app.ConnectionString) { MaxPoolSize = 1 }.ConnectionString;
        for (var i = 0; i < Failures; i++)
        {
            var order = await NewOrderAsync("Refused\0title");
            var refused = await Assert.ThrowsAsync<PostgresException>(() => SaveAsync(connectionString, order));
            Assert.Equal(PostgresErrorCodes.CharacterNotInRepertoire, refused.SqlState);
        }

        await AssertNextOrdersAreSaved(connectionString);
    }

    [Fact]
    public async Task An_order_whose_later_statement_breaks_a_constraint_leaves_the_connection_fit_for_the_next_order()
    {
        var connectionString = new NpgsqlConnectionStringBuilder(app.ConnectionString) { MaxPoolSize = 1 }.ConnectionString;
        for (var i = 0; i < Failures; i++)
        {
            // After the order's row and its history: an outbox row for a subscription that does not exist.
            var orphan = new NpgsqlBatchCommand(
                "INSERT INTO webhook_deliveries (event_id, subscription_id, order_id, event_type, payload, created_at, status, attempts, next_attempt_at) " +
                "VALUES (gen_random_uuid(), $1, $2, 'order.whistled', '{}', now(), 'pending', 0, now()) RETURNING id");
            var order = await NewOrderAsync("Orphaned event");
            orphan.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Uuid, Value = Guid.NewGuid() });
            orphan.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Uuid, Value = order.Id });

            var refused = await Assert.ThrowsAsync<PostgresException>(() => SaveAsync(connectionString, order, [orphan]));
            Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, refused.SqlState);
        }

        await AssertNextOrdersAreSaved(connectionString);
    }

    [Fact]
    public async Task After_refused_filings_over_the_api_the_next_filings_all_succeed()
    {
        var client = app.CreateClient();
        for (var i = 0; i < Failures; i++)
        {
            var body = Filing.Valid();
            body["title"] = "Refused\0title";
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, (await client.Post("/api/v1/orders", body)).StatusCode);
        }
        for (var i = 0; i < 30; i++)
        {
            await client.File();
        }
    }

    private async Task AssertNextOrdersAreSaved(string connectionString)
    {
        for (var i = 0; i < 3; i++)
        {
            var order = await NewOrderAsync($"Fine {i}");
            await SaveAsync(connectionString, order);
            Assert.True(order.Number > 0);
            await using var db = TestDatabase.Context(connectionString);
            Assert.Equal($"Fine {i}", (await db.Orders.FindAsync(order.Id))?.Title);
        }
    }

    private async Task<Order> NewOrderAsync(string title)
    {
        await using var db = app.Db();
        var reference = app.Services.GetRequiredService<ReferenceCache>();
        var category = await reference.CategoryAsync(db, "garbage", default);
        var placed = await reference.GridAsync(db, "ST01-C01-G01", default);
        return Order.File(
            Guid.CreateVersion7(), title, "A pile of rubbish by the gate.", category!, placed!.Grid, placed.Community,
            new Location(40.84, 111.75, "Gate 3"), Priority.Normal, new Caller("tester", "tester", Role.Admin).Actor, app.Clock.GetUtcNow());
    }

    private static async Task SaveAsync(string connectionString, Order order, NpgsqlBatchCommand[]? alongside = null)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await OrderRows.SaveAsync(connection, transaction, order, filed: true, default, alongside);
        await transaction.CommitAsync();
    }
}
