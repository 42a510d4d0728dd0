using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Whistle.Api.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class Statistics : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "escalation_count",
                table: "orders",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "escalation_level",
                table: "orders",
                type: "character varying(16)",
                maxLength: 16,
                nullable: false,
                defaultValue: "none");

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "first_acknowledge_by",
                table: "orders",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "first_acknowledged_at",
                table: "orders",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "last_escalated_at",
                table: "orders",
                type: "timestamp with time zone",
                nullable: true);

            // Orders acknowledged before this migration: their first acknowledgement and the
            // deadline of the whistle it answered, from the history.
            migrationBuilder.Sql("""
                UPDATE orders o
                SET first_acknowledged_at = a.at,
                    first_acknowledge_by = (
                        SELECT (w.details ->> 'acknowledgeBy')::timestamptz FROM order_history w
                        WHERE w.order_id = o.id AND w.action = 'whistle' AND w.version < a.version
                        ORDER BY w.version DESC LIMIT 1)
                FROM (SELECT DISTINCT ON (order_id) order_id, at, version FROM order_history
                      WHERE action = 'acknowledge' ORDER BY order_id, version) a
                WHERE a.order_id = o.id;
                """);

            // The transaction that last wrote each order, stamped by the database itself so no
            // writer can forget it: the statistics read only what changed since their last
            // snapshot (rows whose writer is not older than that snapshot's xmin). Not in EF's
            // model: nothing in the application writes or reads it through EF.
            migrationBuilder.Sql("""
                ALTER TABLE orders ADD COLUMN change_xid xid8 NOT NULL DEFAULT pg_current_xact_id();
                CREATE FUNCTION orders_stamp_change() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    NEW.change_xid := pg_current_xact_id();
                    RETURN NEW;
                END $$;
                CREATE TRIGGER orders_stamp_change BEFORE INSERT OR UPDATE ON orders
                    FOR EACH ROW EXECUTE FUNCTION orders_stamp_change();
                CREATE INDEX ix_orders_change_xid ON orders (change_xid);
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER orders_stamp_change ON orders;
                DROP FUNCTION orders_stamp_change();
                ALTER TABLE orders DROP COLUMN change_xid;
                """);

            migrationBuilder.DropColumn(
                name: "escalation_count",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "escalation_level",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "first_acknowledge_by",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "first_acknowledged_at",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "last_escalated_at",
                table: "orders");
        }
    }
}
