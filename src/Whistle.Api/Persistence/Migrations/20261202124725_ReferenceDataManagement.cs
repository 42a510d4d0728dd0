using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Whistle.Api.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class ReferenceDataManagement : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "retired_at",
                table: "streets",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "version",
                table: "streets",
                type: "integer",
                nullable: false,
                defaultValue: 1);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "retired_at",
                table: "grids",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "version",
                table: "grids",
                type: "integer",
                nullable: false,
                defaultValue: 1);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "retired_at",
                table: "departments",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "version",
                table: "departments",
                type: "integer",
                nullable: false,
                defaultValue: 1);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "retired_at",
                table: "communities",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "version",
                table: "communities",
                type: "integer",
                nullable: false,
                defaultValue: 1);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "retired_at",
                table: "categories",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "version",
                table: "categories",
                type: "integer",
                nullable: false,
                defaultValue: 1);

            migrationBuilder.CreateTable(
                name: "calendar_days",
                columns: table => new
                {
                    date = table.Column<DateOnly>(type: "date", nullable: false),
                    kind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_calendar_days", x => x.date);
                });

            migrationBuilder.CreateTable(
                name: "duty_catalogue",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    category_code = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: false),
                    street_code = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: true),
                    community_code = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: true),
                    department_code = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: false),
                    co_department_codes = table.Column<List<string>>(type: "varchar(50)[]", nullable: false),
                    version = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_duty_catalogue", x => x.id);
                    table.CheckConstraint("ck_duty_catalogue_one_area", "(street_code IS NULL) <> (community_code IS NULL)");
                    table.ForeignKey(
                        name: "fk_duty_catalogue_categories_category_code",
                        column: x => x.category_code,
                        principalTable: "categories",
                        principalColumn: "code",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_duty_catalogue_communities_community_code",
                        column: x => x.community_code,
                        principalTable: "communities",
                        principalColumn: "code",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_duty_catalogue_departments_department_code",
                        column: x => x.department_code,
                        principalTable: "departments",
                        principalColumn: "code",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_duty_catalogue_streets_street_code",
                        column: x => x.street_code,
                        principalTable: "streets",
                        principalColumn: "code",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "reference_changes",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    actor = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    actor_id = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    entity = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    code = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: false),
                    action = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    before = table.Column<string>(type: "jsonb", nullable: true),
                    after = table.Column<string>(type: "jsonb", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_reference_changes", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_duty_catalogue_category_code_street_code_community_code",
                table: "duty_catalogue",
                columns: new[] { "category_code", "street_code", "community_code" },
                unique: true)
                .Annotation("Npgsql:NullsDistinct", false);

            migrationBuilder.CreateIndex(
                name: "ix_duty_catalogue_community_code",
                table: "duty_catalogue",
                column: "community_code");

            migrationBuilder.CreateIndex(
                name: "ix_duty_catalogue_department_code",
                table: "duty_catalogue",
                column: "department_code");

            migrationBuilder.CreateIndex(
                name: "ix_duty_catalogue_street_code",
                table: "duty_catalogue",
                column: "street_code");

            migrationBuilder.CreateIndex(
                name: "ix_reference_changes_entity_code_id",
                table: "reference_changes",
                columns: new[] { "entity", "code", "id" });

            // The change log is append-only: a row once written is never changed or removed.
            migrationBuilder.Sql("""
                CREATE FUNCTION reference_changes_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'reference_changes is append-only';
                END $$;
                CREATE TRIGGER reference_changes_append_only BEFORE UPDATE OR DELETE ON reference_changes
                    FOR EACH ROW EXECUTE FUNCTION reference_changes_append_only();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER reference_changes_append_only ON reference_changes; DROP FUNCTION reference_changes_append_only();");
            migrationBuilder.DropTable(
                name: "calendar_days");

            migrationBuilder.DropTable(
                name: "duty_catalogue");

            migrationBuilder.DropTable(
                name: "reference_changes");

            migrationBuilder.DropColumn(
                name: "retired_at",
                table: "streets");

            migrationBuilder.DropColumn(
                name: "version",
                table: "streets");

            migrationBuilder.DropColumn(
                name: "retired_at",
                table: "grids");

            migrationBuilder.DropColumn(
                name: "version",
                table: "grids");

            migrationBuilder.DropColumn(
                name: "retired_at",
                table: "departments");

            migrationBuilder.DropColumn(
                name: "version",
                table: "departments");

            migrationBuilder.DropColumn(
                name: "retired_at",
                table: "communities");

            migrationBuilder.DropColumn(
                name: "version",
                table: "communities");

            migrationBuilder.DropColumn(
                name: "retired_at",
                table: "categories");

            migrationBuilder.DropColumn(
                name: "version",
                table: "categories");
        }
    }
}
