using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;
using NpgsqlTypes;
using Whistle.Api.Features.Stats;
using Whistle.Api.Persistence;
using Whistle.Api.Tests.Infrastructure;
using Whistle.Domain.Orders;
using Whistle.Domain.Reference;
using DomainOrder = Whistle.Domain.Orders.Order;
using Order = Whistle.Api.Tests.Infrastructure.Order;

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
    [Fact]
    public async Task Every_write_of_an_order_stamps_its_change_xid_which_the_statistics_read_from()
    {
        var order = await _client.File();
        await using var db = app.Db();
        await db.Database.OpenConnectionAsync();
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        async Task<T> Scalar<T>(string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            return (T)(await command.ExecuteScalarAsync())!;
        }
        var stamp = $"SELECT {ChangedOrders.Column}::text::numeric FROM orders WHERE id = '{order.Id}'";

        var filed = await Scalar<decimal>(stamp);
        await _client.Whistle(order.Id);
        var whistled = await Scalar<decimal>(stamp);
        // Even a write that bypasses the service is stamped: the trigger, not the code, keeps the contract.
        await Scalar<int>($"UPDATE orders SET title = title WHERE id = '{order.Id}' RETURNING 1");

        Assert.Equal(1L, await Scalar<long>($"SELECT count(*) FROM pg_trigger WHERE tgname = '{ChangedOrders.Trigger}' AND tgrelid = 'orders'::regclass AND tgenabled = 'O'"));
        Assert.True(whistled > filed);
        Assert.True(await Scalar<decimal>(stamp) > whistled);
    }

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
    private static (IEntityType Entity, StoreObjectIdentifier Table) Model(WhistleDbContext db, Type type)
    {
        var entity = db.Model.FindEntityType(type)!;
        return (entity, StoreObjectIdentifier.Table(entity.GetTableName()!));
    }

    [Fact]
    public void Order_and_history_rows_name_every_column_but_the_generated_and_computed_ones()
    {
        using var db = TestDatabase.Context("Host=unused");
        string[] Columns(Type type, string generated)
        {
            var (entity, table) = Model(db, type);
            // The store computes some columns itself (an order's position): no row names them.
            return entity.GetFlattenedProperties().Where(p => p.GetComputedColumnSql() is null)
                .Select(p => p.GetColumnName(table)!).Where(c => c != generated).Order().ToArray();
        }

        Assert.Equal(Columns(typeof(DomainOrder), "number"), OrderRows.Orders.Select(c => c.Name).Order());
        Assert.Equal(Columns(typeof(OrderHistoryEntry), "id"), OrderRows.History.Select(c => c.Name).Order());
    }

    // The store type each parameter type is written into; a mismatch would be converted, or refused, by the server.
    private static readonly Dictionary<NpgsqlDbType, string> StoreTypes = new()
    {
        [NpgsqlDbType.Uuid] = "uuid",
        [NpgsqlDbType.Integer] = "integer",
        [NpgsqlDbType.Bigint] = "bigint",
        [NpgsqlDbType.Varchar] = "character varying",
        [NpgsqlDbType.TimestampTz] = "timestamp with time zone",
        [NpgsqlDbType.Double] = "double precision",
        [NpgsqlDbType.Jsonb] = "jsonb",
        [NpgsqlDbType.Array | NpgsqlDbType.Text] = "text[]",
    };

    [Fact]
    public void Each_column_is_written_as_the_type_the_model_stores_and_the_key_is_never_updated()
    {
        using var db = TestDatabase.Context("Host=unused");
        void Check<T>(Type type, OrderRows.Column<T>[] columns)
        {
            var (entity, table) = Model(db, type);
            foreach (var column in columns)
            {
                var property = entity.GetFlattenedProperties().Single(p => p.GetColumnName(table) == column.Name);
                var storeType = property.GetColumnType(table);
                Assert.True(storeType.StartsWith(StoreTypes[column.Type], StringComparison.Ordinal), $"{column.Name}: written as {column.Type}, stored as {storeType}");
                // What EF would refuse to change after saving (the key) the update must not set; the concurrency token it must.
                if (property.GetAfterSaveBehavior() == PropertySaveBehavior.Throw)
                {
                    Assert.False(column.Mutable, $"{column.Name} is the model's key: it must not be updated");
                }
                if (property.IsConcurrencyToken)
                {
                    Assert.True(column.Mutable, $"{column.Name} is the model's concurrency token: every update sets it");
                }
            }
        }

        Check(typeof(DomainOrder), OrderRows.Orders);
        Check(typeof(OrderHistoryEntry), OrderRows.History);
        Check(typeof(OrderPart), OrderRows.Parts);
    }

    [Fact]
    public void No_action_changes_a_column_the_update_leaves_out()
    {
        var category = new Category
        {
            Code = "garbage",
            Name = "垃圾清运",
            DepartmentCode = "sanitation",
            AcknowledgeWithinHours = 4,
            ResolveWithinHours = 24,
            UrgentAcknowledgeWithinHours = 1,
            UrgentResolveWithinHours = 6,
        };
        var community = new Community { Code = "ST01-C01", Name = "第一社区", StreetCode = "ST01" };
        var grid = new Grid { Code = "ST01-C01-G01", Name = "第一网格", CommunityCode = "ST01-C01" };
        var limits = new DeadlineLimits(TimeSpan.FromHours(4), TimeSpan.FromHours(24));
        var t = WhistleApp.Start;
        DomainOrder Filed() => DomainOrder.File(Guid.NewGuid(), "Bins", "Overflowing", category, grid, community, new Location(40.8, 111.7, "Gate 3"),
            Priority.Normal, "grid worker", t);
        Dictionary<string, object?> Fixed(DomainOrder order) =>
            OrderRows.Orders.Where(c => !c.Mutable).ToDictionary(c => c.Name, c => c.Value(order));

        // Between them, the three paths take every action a client or the scheduler can.
        var paths = new Action<DomainOrder>[]
        {
            o =>
            {
                o.Whistle("sanitation", limits, "community", t.AddHours(1));
                o.Acknowledge(null, "sanitation", t.AddHours(2));
                o.RequestExtension(t.AddDays(5), "Parts", "sanitation", t.AddHours(3));
                o.ApproveExtension(null, "supervisor", t.AddHours(4));
                o.RequestExtension(t.AddDays(6), "More parts", "sanitation", t.AddHours(5));
                o.RefuseExtension("No", "supervisor", t.AddHours(6));
                o.Escalate("Slow", "supervisor", t.AddHours(7));
                o.Reassign("housing", limits, "Its duty", "supervisor", t.AddHours(8));
                o.Acknowledge(null, "housing", t.AddHours(9));
                o.Resolve("Done", "housing", t.AddHours(10));
                o.Evaluate(Rating.Unsatisfied, "Not done", limits, "community", t.AddHours(11));
                o.Resolve("Done again", "housing", t.AddHours(12));
                o.CloseUnevaluated(TimeSpan.FromDays(7), "scheduler", t.AddDays(9));
            },
            o =>
            {
                o.Whistle("sanitation", limits, "community", t.AddHours(1));
                o.Return("Not ours", "sanitation", t.AddHours(2));
                o.Whistle("housing", limits, "community", t.AddHours(3));
                o.EscalateOverdue("scheduler", t.AddDays(2));
                o.Acknowledge(null, "housing", t.AddDays(3));
                o.Resolve("Done", "housing", t.AddDays(4));
                o.Evaluate(Rating.Satisfied, null, limits, "community", t.AddDays(5));
            },
            o =>
            {
                // Joint handling and a reviewed return.
                o.Whistle("urban-management", limits, "community", t.AddHours(1), ["housing", "market-supervision", "water"]);
                o.Summon("gas", limits, "supervisor", t.AddHours(2));
                o.ReportPart("housing", null, "housing", t.AddHours(3));
                o.CompletePart("housing", "Checked", "housing", t.AddHours(4));
                o.DeclinePart("market-supervision", "No shop", "market-supervision", t.AddHours(5));
                o.WaivePart("water", "Not needed", "supervisor", t.AddHours(6));
                o.EscalatePart("gas", "scheduler", t.AddDays(1));
                o.Return("Not ours", "urban-management", t.AddDays(1).AddHours(1), ReturnReasonCode.NotOurDuty, "Item 3", reviewed: true);
                o.RefuseReturn("It is", "supervisor", t.AddDays(1).AddHours(2));
                o.Return("Not ours", "urban-management", t.AddDays(1).AddHours(3), ReturnReasonCode.NotOurDuty, "Item 3", reviewed: true);
                o.ApproveReturn(null, "supervisor", t.AddDays(1).AddHours(4));
            },
            o => o.Cancel(CancelReason.Withdrawn, null, "community", t.AddHours(1)),
            o => o.HandleLocally("Swept", "community", t.AddHours(1)),
            o => o.MergeInto(Filed(), "community", t.AddHours(1)),
        };
        var taken = new HashSet<string>();
        foreach (var path in paths)
        {
            var order = Filed();
            var before = Fixed(order);
            path(order);
            taken.UnionWith(order.NewHistory.Select(e => e.Action));
            Assert.Equal(before, Fixed(order));
        }
        Assert.Equal(WireName.All<OrderAction>().Append(OrderHistoryEntry.FileAction)
            .Concat(Enum.GetValues<PartAction>().Select(DomainOrder.HistoryActionOf)).Order(), taken.Order());
    }
}
