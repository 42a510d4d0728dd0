using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Whistle.Api.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class Credentials : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "credentials",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    role = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    department_code = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: true),
                    community_code = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: true),
                    street_code = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: true),
                    grid_codes = table.Column<List<string>>(type: "text[]", nullable: false),
                    key_prefix = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    key_hash = table.Column<byte[]>(type: "bytea", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    created_by = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    revoked_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    revoked_by = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_credentials", x => x.id);
                    table.CheckConstraint("ck_credentials_scope", "(role <> 'department' OR department_code IS NOT NULL) AND (role <> 'community' OR community_code IS NOT NULL) AND (role <> 'grid-worker' OR community_code IS NOT NULL OR cardinality(grid_codes) > 0)");
                });

            migrationBuilder.CreateIndex(
                name: "ix_credentials_key_hash",
                table: "credentials",
                column: "key_hash",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "credentials");
        }
    }
}
