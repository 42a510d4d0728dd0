using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Whistle.Api.Persistence.Configurations;

internal sealed class CredentialConfiguration : IEntityTypeConfiguration<Credential>
{
    public void Configure(EntityTypeBuilder<Credential> credential)
    {
        credential.ToTable("credentials", table => table.HasCheckConstraint(
            "ck_credentials_scope",
            // A department key names its department; a community key its community; a grid worker grids or a community.
            "(role <> 'department' OR department_code IS NOT NULL) AND (role <> 'community' OR community_code IS NOT NULL)"
            + " AND (role <> 'grid-worker' OR community_code IS NOT NULL OR cardinality(grid_codes) > 0)"));
        credential.HasKey(c => c.Id);
        credential.Property(c => c.Name).HasMaxLength(200);
        credential.Property(c => c.DepartmentCode).HasMaxLength(50);
        credential.Property(c => c.CommunityCode).HasMaxLength(50);
        credential.Property(c => c.StreetCode).HasMaxLength(50);
        credential.Property(c => c.KeyPrefix).HasMaxLength(16);
        credential.Property(c => c.CreatedBy).HasMaxLength(200);
        credential.Property(c => c.RevokedBy).HasMaxLength(200);
        // Every request finds its key by the hash.
        credential.HasIndex(c => c.KeyHash).IsUnique();
    }
}
