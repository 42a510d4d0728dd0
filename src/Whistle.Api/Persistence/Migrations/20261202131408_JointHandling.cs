using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Whistle.Api.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class JointHandling : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string[]>(
                name: "co_department_codes",
                table: "orders",
                type: "text[]",
                nullable: false,
                defaultValue: new string[0]);

            migrationBuilder.AddColumn<string>(
                name: "return_basis",
                table: "orders",
                type: "character varying(2000)",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "return_reason_code",
                table: "orders",
                type: "character varying(32)",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "return_refusal_count",
                table: "orders",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateTable(
                name: "order_parts",
                columns: table => new
                {
                    order_id = table.Column<Guid>(type: "uuid", nullable: false),
                    department_code = table.Column<string>(type: "character varying(50)", nullable: false),
                    role = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    state = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    summoned_by = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    summoned_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    acknowledge_by = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    reported_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    done_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    result = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    declined_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    decline_reason = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    waived_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    waived_by = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    waive_reason = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    escalation_count = table.Column<int>(type: "integer", nullable: false),
                    last_escalated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_order_parts", x => new { x.order_id, x.department_code });
                    table.ForeignKey(
                        name: "fk_order_parts_departments_department_code",
                        column: x => x.department_code,
                        principalTable: "departments",
                        principalColumn: "code",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_order_parts_orders_order_id",
                        column: x => x.order_id,
                        principalTable: "orders",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_orders_co_department_codes",
                table: "orders",
                column: "co_department_codes")
                .Annotation("Npgsql:IndexMethod", "gin");

            migrationBuilder.CreateIndex(
                name: "ix_order_parts_department_code",
                table: "order_parts",
                column: "department_code");

            migrationBuilder.CreateIndex(
                name: "ix_order_parts_state_acknowledge_by",
                table: "order_parts",
                columns: new[] { "state", "acknowledge_by" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "order_parts");

            migrationBuilder.DropIndex(
                name: "ix_orders_co_department_codes",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "co_department_codes",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "return_basis",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "return_reason_code",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "return_refusal_count",
                table: "orders");
        }
    }
}
