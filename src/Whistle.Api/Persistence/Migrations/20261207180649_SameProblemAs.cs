using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Whistle.Api.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class SameProblemAs : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "same_problem_as_id",
                table: "orders",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "same_problem_as_number",
                table: "orders",
                type: "bigint",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_orders_same_problem_as_id",
                table: "orders",
                column: "same_problem_as_id",
                filter: "same_problem_as_id IS NOT NULL");

            migrationBuilder.AddForeignKey(
                name: "fk_orders_orders_same_problem_as_id",
                table: "orders",
                column: "same_problem_as_id",
                principalTable: "orders",
                principalColumn: "id",
                onDelete: ReferentialAction.Restrict);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_orders_orders_same_problem_as_id",
                table: "orders");

            migrationBuilder.DropIndex(
                name: "ix_orders_same_problem_as_id",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "same_problem_as_id",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "same_problem_as_number",
                table: "orders");
        }
    }
}
