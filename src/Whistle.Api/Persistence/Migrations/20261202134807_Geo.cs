using System;
using Microsoft.EntityFrameworkCore.Migrations;
using NetTopologySuite.Geometries;

#nullable disable

namespace Whistle.Api.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class Geo : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterDatabase()
                .Annotation("Npgsql:PostgresExtension:postgis", ",,");

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "merged_at",
                table: "orders",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "merged_into",
                table: "orders",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<Point>(
                name: "position",
                table: "orders",
                type: "geography(Point,4326)",
                nullable: true,
                computedColumnSql: "ST_Point(location_longitude, location_latitude, 4326)::geography",
                stored: true);

            migrationBuilder.CreateTable(
                name: "grid_boundaries",
                columns: table => new
                {
                    grid_code = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: false),
                    boundary = table.Column<MultiPolygon>(type: "geometry(MultiPolygon,4326)", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_grid_boundaries", x => x.grid_code);
                    table.ForeignKey(
                        name: "fk_grid_boundaries_grids_grid_code",
                        column: x => x.grid_code,
                        principalTable: "grids",
                        principalColumn: "code",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_orders_position",
                table: "orders",
                column: "position")
                .Annotation("Npgsql:IndexMethod", "gist");

            migrationBuilder.CreateIndex(
                name: "ix_grid_boundaries_boundary",
                table: "grid_boundaries",
                column: "boundary")
                .Annotation("Npgsql:IndexMethod", "gist");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "grid_boundaries");

            migrationBuilder.DropIndex(
                name: "ix_orders_position",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "position",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "merged_at",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "merged_into",
                table: "orders");

            migrationBuilder.AlterDatabase()
                .OldAnnotation("Npgsql:PostgresExtension:postgis", ",,");
        }
    }
}
