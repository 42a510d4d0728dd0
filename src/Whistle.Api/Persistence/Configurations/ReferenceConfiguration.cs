using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Whistle.Domain.Reference;

namespace Whistle.Api.Persistence.Configurations;

// Reference rows are keyed by their stable codes, so an order row carries the codes the API shows.

internal sealed class StreetConfiguration : IEntityTypeConfiguration<Street>
{
    public void Configure(EntityTypeBuilder<Street> street)
    {
        street.ToTable("streets");
        street.HasKey(s => s.Code);
        street.Property(s => s.Code).HasMaxLength(50);
        street.Property(s => s.Name).HasMaxLength(200);
    }
}

internal sealed class CommunityConfiguration : IEntityTypeConfiguration<Community>
{
    public void Configure(EntityTypeBuilder<Community> community)
    {
        community.ToTable("communities");
        community.HasKey(c => c.Code);
        community.Property(c => c.Code).HasMaxLength(50);
        community.Property(c => c.Name).HasMaxLength(200);
        community.HasOne<Street>().WithMany().HasForeignKey(c => c.StreetCode).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class GridConfiguration : IEntityTypeConfiguration<Grid>
{
    public void Configure(EntityTypeBuilder<Grid> grid)
    {
        grid.ToTable("grids");
        grid.HasKey(g => g.Code);
        grid.Property(g => g.Code).HasMaxLength(50);
        grid.Property(g => g.Name).HasMaxLength(200);
        grid.HasOne<Community>().WithMany().HasForeignKey(g => g.CommunityCode).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class DepartmentConfiguration : IEntityTypeConfiguration<Department>
{
    public void Configure(EntityTypeBuilder<Department> department)
    {
        department.ToTable("departments");
        department.HasKey(d => d.Code);
        department.Property(d => d.Code).HasMaxLength(50);
        department.Property(d => d.Name).HasMaxLength(200);
    }
}

internal sealed class CategoryConfiguration : IEntityTypeConfiguration<Category>
{
    public void Configure(EntityTypeBuilder<Category> category)
    {
        category.ToTable("categories", table =>
        {
            table.HasCheckConstraint("ck_categories_limits_positive",
                "acknowledge_within_hours > 0 AND resolve_within_hours > 0 AND urgent_acknowledge_within_hours > 0 AND urgent_resolve_within_hours > 0");
        });
        category.HasKey(c => c.Code);
        category.Property(c => c.Code).HasMaxLength(50);
        category.Property(c => c.Name).HasMaxLength(200);
        category.HasOne<Department>().WithMany().HasForeignKey(c => c.DepartmentCode).OnDelete(DeleteBehavior.Restrict);
    }
}
