using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Whistle.Api.Persistence.Migrations
{
    /// <summary>
    /// The server session that reserved an idempotency key (<c>IdempotencyStore</c>): once it is
    /// gone (its instance killed, its server failed over), a retry takes the key over at once
    /// instead of waiting out the lease. Outside EF's model, like <c>orders.change_xid</c>: only
    /// the store's own SQL reads and writes them.
    /// </summary>
    [DbContext(typeof(WhistleDbContext))]
    [Migration("20261208000000_IdempotencyOwner")]
    public partial class IdempotencyOwner : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder) =>
            migrationBuilder.Sql("ALTER TABLE idempotency_keys ADD COLUMN owner_pid integer, ADD COLUMN owner_started timestamp with time zone");

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder) =>
            migrationBuilder.Sql("ALTER TABLE idempotency_keys DROP COLUMN owner_pid, DROP COLUMN owner_started");
    }
}
