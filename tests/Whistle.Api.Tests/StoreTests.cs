using System.Net;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Whistle.Api.Persistence;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests;

/// <summary>What the database guarantees under the API: all or nothing, and history that cannot be rewritten.</summary>
public class StoreTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    private readonly HttpClient _client = app.CreateClient();

    [Fact]
    public async Task History_is_append_only()
    {
        var order = await _client.File();
        await using var db = app.Db();

        var update = await Assert.ThrowsAsync<PostgresException>(() => db.Database.ExecuteSqlRawAsync("UPDATE order_history SET actor = 'someone else'"));
        var delete = await Assert.ThrowsAsync<PostgresException>(() => db.Database.ExecuteSqlRawAsync("DELETE FROM order_history"));
        var truncate = await Assert.ThrowsAsync<PostgresException>(() => db.Database.ExecuteSqlRawAsync("TRUNCATE order_history CASCADE"));

        Assert.Contains("append-only", update.MessageText);
        Assert.Contains("append-only", delete.MessageText);
        Assert.Contains("append-only", truncate.MessageText);
        Assert.Single(await _client.History(order.Id));
    }

    [Fact]
    public async Task An_action_whose_history_cannot_be_written_changes_nothing()
    {
        var order = await _client.File();
        await _client.Whistle(order.Id);
        await Sabotage();

        var response = await _client.Post($"/api/v1/orders/{order.Id}/acknowledge", actor: "saboteur");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var after = await _client.Get(order.Id);
        Assert.Equal(("whistled", 2, (DateTimeOffset?)null), (after.State, after.Version, after.Milestones.AcknowledgedAt));
        Assert.Equal(2, (await _client.History(order.Id)).Length);
    }

    [Fact]
    public async Task A_filing_whose_history_cannot_be_written_leaves_no_order()
    {
        await Sabotage();
        await using var db = app.Db();
        var before = await db.Orders.CountAsync();

        var response = await _client.Post("/api/v1/orders", Filing.Valid(), actor: "saboteur");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal(before, await db.Orders.CountAsync());
    }

    /// <summary>Makes the history insert fail for one actor, the way a full disk or a bug would, after the order row is written.</summary>
    private async Task Sabotage()
    {
        await using var db = app.Db();
        await db.Database.ExecuteSqlRawAsync("""
            CREATE OR REPLACE FUNCTION refuse_saboteur() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.actor = 'saboteur' THEN RAISE EXCEPTION 'history refused'; END IF;
                RETURN NEW;
            END $$;
            DROP TRIGGER IF EXISTS refuse_saboteur ON order_history;
            CREATE TRIGGER refuse_saboteur BEFORE INSERT ON order_history FOR EACH ROW EXECUTE FUNCTION refuse_saboteur();
            """);
    }
}

/// <summary>The hand-laid rows of the write path and the seed verb match the schema EF's model (and so the migrations) define.</summary>
public class OrderRowsTests
{
    [Fact]
    public void Order_and_history_rows_name_every_column_but_the_generated_ones()
    {
        using var db = TestDatabase.Context("Host=unused");
        string[] Columns(Type type, string generated)
        {
            var entity = db.Model.FindEntityType(type)!;
            var table = Microsoft.EntityFrameworkCore.Metadata.StoreObjectIdentifier.Table(entity.GetTableName()!);
            return entity.GetFlattenedProperties().Select(p => p.GetColumnName(table)!).Where(c => c != generated).Order().ToArray();
        }

        Assert.Equal(Columns(typeof(Whistle.Domain.Orders.Order), "number"), OrderRows.Orders.Select(c => c.Name).Order());
        Assert.Equal(Columns(typeof(Whistle.Domain.Orders.OrderHistoryEntry), "id"), OrderRows.History.Select(c => c.Name).Order());
    }
}
