using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Whistle.Api.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "departments",
                columns: table => new
                {
                    code = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_departments", x => x.code);
                });

            migrationBuilder.CreateTable(
                name: "streets",
                columns: table => new
                {
                    code = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_streets", x => x.code);
                });

            migrationBuilder.CreateTable(
                name: "categories",
                columns: table => new
                {
                    code = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    department_code = table.Column<string>(type: "character varying(50)", nullable: false),
                    acknowledge_within_hours = table.Column<int>(type: "integer", nullable: false),
                    resolve_within_hours = table.Column<int>(type: "integer", nullable: false),
                    urgent_acknowledge_within_hours = table.Column<int>(type: "integer", nullable: false),
                    urgent_resolve_within_hours = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_categories", x => x.code);
                    table.CheckConstraint("ck_categories_limits_positive", "acknowledge_within_hours > 0 AND resolve_within_hours > 0 AND urgent_acknowledge_within_hours > 0 AND urgent_resolve_within_hours > 0");
                    table.ForeignKey(
                        name: "fk_categories_departments_department_code",
                        column: x => x.department_code,
                        principalTable: "departments",
                        principalColumn: "code",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "communities",
                columns: table => new
                {
                    code = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    street_code = table.Column<string>(type: "character varying(50)", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_communities", x => x.code);
                    table.ForeignKey(
                        name: "fk_communities_streets_street_code",
                        column: x => x.street_code,
                        principalTable: "streets",
                        principalColumn: "code",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "grids",
                columns: table => new
                {
                    code = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    community_code = table.Column<string>(type: "character varying(50)", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_grids", x => x.code);
                    table.ForeignKey(
                        name: "fk_grids_communities_community_code",
                        column: x => x.community_code,
                        principalTable: "communities",
                        principalColumn: "code",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "orders",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    number = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    version = table.Column<int>(type: "integer", nullable: false),
                    state = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    title = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    description = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    category_code = table.Column<string>(type: "character varying(50)", nullable: false),
                    grid_code = table.Column<string>(type: "character varying(50)", nullable: false),
                    community_code = table.Column<string>(type: "character varying(50)", nullable: false),
                    street_code = table.Column<string>(type: "character varying(50)", nullable: false),
                    priority = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    department_code = table.Column<string>(type: "character varying(50)", nullable: true),
                    returned_by_department_code = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: true),
                    filed_by = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    filed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    first_whistled_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    whistled_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    acknowledged_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    returned_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    resolved_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    evaluated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    closed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    handled_locally_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    cancelled_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    acknowledge_by = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    resolve_by = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    whistle_count = table.Column<int>(type: "integer", nullable: false),
                    return_count = table.Column<int>(type: "integer", nullable: false),
                    reopen_count = table.Column<int>(type: "integer", nullable: false),
                    result = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    return_reason = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    rating = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    evaluation_comment = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    cancel_reason = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    location_address = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    location_latitude = table.Column<double>(type: "double precision", nullable: false),
                    location_longitude = table.Column<double>(type: "double precision", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_orders", x => x.id);
                    table.ForeignKey(
                        name: "fk_orders_categories_category_code",
                        column: x => x.category_code,
                        principalTable: "categories",
                        principalColumn: "code",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_orders_communities_community_code",
                        column: x => x.community_code,
                        principalTable: "communities",
                        principalColumn: "code",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_orders_departments_department_code",
                        column: x => x.department_code,
                        principalTable: "departments",
                        principalColumn: "code",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_orders_grids_grid_code",
                        column: x => x.grid_code,
                        principalTable: "grids",
                        principalColumn: "code",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_orders_streets_street_code",
                        column: x => x.street_code,
                        principalTable: "streets",
                        principalColumn: "code",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "order_history",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    order_id = table.Column<Guid>(type: "uuid", nullable: false),
                    version = table.Column<int>(type: "integer", nullable: false),
                    action = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    from_state = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    to_state = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    actor = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    details = table.Column<string>(type: "jsonb", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_order_history", x => x.id);
                    table.ForeignKey(
                        name: "fk_order_history_orders_order_id",
                        column: x => x.order_id,
                        principalTable: "orders",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_categories_department_code",
                table: "categories",
                column: "department_code");

            migrationBuilder.CreateIndex(
                name: "ix_communities_street_code",
                table: "communities",
                column: "street_code");

            migrationBuilder.CreateIndex(
                name: "ix_grids_community_code",
                table: "grids",
                column: "community_code");

            migrationBuilder.CreateIndex(
                name: "ix_order_history_order_id_version",
                table: "order_history",
                columns: new[] { "order_id", "version" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_orders_category_code_number",
                table: "orders",
                columns: new[] { "category_code", "number" });

            migrationBuilder.CreateIndex(
                name: "ix_orders_community_code_number",
                table: "orders",
                columns: new[] { "community_code", "number" });

            migrationBuilder.CreateIndex(
                name: "ix_orders_department_code_number",
                table: "orders",
                columns: new[] { "department_code", "number" });

            migrationBuilder.CreateIndex(
                name: "ix_orders_first_whistled_at",
                table: "orders",
                column: "first_whistled_at");

            migrationBuilder.CreateIndex(
                name: "ix_orders_grid_code",
                table: "orders",
                column: "grid_code");

            migrationBuilder.CreateIndex(
                name: "ix_orders_number",
                table: "orders",
                column: "number",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_orders_state_number",
                table: "orders",
                columns: new[] { "state", "number" });

            migrationBuilder.CreateIndex(
                name: "ix_orders_street_code",
                table: "orders",
                column: "street_code");

            // History is append-only: a row, once written, is never changed or removed.
            migrationBuilder.Sql("""
                CREATE FUNCTION order_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'order_history is append-only: % refused', TG_OP;
                END $$;
                CREATE TRIGGER order_history_append_only
                    BEFORE UPDATE OR DELETE OR TRUNCATE ON order_history
                    FOR EACH STATEMENT EXECUTE FUNCTION order_history_append_only();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER order_history_append_only ON order_history; DROP FUNCTION order_history_append_only();");

            migrationBuilder.DropTable(
                name: "order_history");

            migrationBuilder.DropTable(
                name: "orders");

            migrationBuilder.DropTable(
                name: "categories");

            migrationBuilder.DropTable(
                name: "grids");

            migrationBuilder.DropTable(
                name: "departments");

            migrationBuilder.DropTable(
                name: "communities");

            migrationBuilder.DropTable(
                name: "streets");
        }
    }
}
