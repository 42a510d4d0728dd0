using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Whistle.Api.Infrastructure.Idempotency;

namespace Whistle.Api.Persistence.Configurations;

internal sealed class IdempotencyKeyConfiguration : IEntityTypeConfiguration<IdempotencyKey>
{
    public void Configure(EntityTypeBuilder<IdempotencyKey> key)
    {
        key.ToTable("idempotency_keys", table => table.HasCheckConstraint(
            "ck_idempotency_keys_state", "state IN ('in-progress', 'completed')"));
        // One row per caller and key: the primary key is what makes two duplicates race for one reservation.
        key.HasKey(k => new { k.Scope, k.Key });
        key.Property(k => k.Key).HasMaxLength(255);
        key.Property(k => k.Fingerprint).HasMaxLength(32);
        key.Property(k => k.State).HasMaxLength(16);
        key.Property(k => k.ContentType).HasMaxLength(200);
        key.Property(k => k.Location).HasMaxLength(2000);
        key.Property(k => k.ETag).HasColumnName("etag").HasMaxLength(200);
        // The sweep deletes by expiry.
        key.HasIndex(k => k.ExpiresAt);
    }
}
