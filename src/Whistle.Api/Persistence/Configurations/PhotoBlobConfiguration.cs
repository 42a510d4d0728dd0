using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Whistle.Api.Features.Photos;

namespace Whistle.Api.Persistence.Configurations;

internal sealed class PhotoBlobConfiguration : IEntityTypeConfiguration<PhotoBlob>
{
    public void Configure(EntityTypeBuilder<PhotoBlob> blob)
    {
        blob.ToTable("photo_blobs");
        blob.HasKey(b => b.Hash);
        blob.Property(b => b.Hash).HasMaxLength(64);
        blob.Property(b => b.ContentType).HasMaxLength(32);
        // The sweep looks for old unreferenced rows.
        blob.HasIndex(b => b.StoredAt);
    }
}
