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

internal sealed class DutyEntryConfiguration : IEntityTypeConfiguration<DutyEntry>
{
    public void Configure(EntityTypeBuilder<DutyEntry> entry)
    {
        entry.ToTable("duty_catalogue", table =>
            table.HasCheckConstraint("ck_duty_catalogue_one_area", "(street_code IS NULL) <> (community_code IS NULL)"));
        entry.HasKey(e => e.Id);
        entry.Property(e => e.Id).UseIdentityAlwaysColumn();
        entry.Ignore(e => e.Name);
        entry.Property(e => e.CategoryCode).HasMaxLength(50);
        entry.Property(e => e.StreetCode).HasMaxLength(50);
        entry.Property(e => e.CommunityCode).HasMaxLength(50);
        entry.Property(e => e.DepartmentCode).HasMaxLength(50);
        entry.Property(e => e.CoDepartmentCodes).HasColumnType("varchar(50)[]");
        // One entry per category and area: the routing never has two answers.
        entry.HasIndex(e => new { e.CategoryCode, e.StreetCode, e.CommunityCode }).IsUnique().AreNullsDistinct(false);
        entry.HasOne<Category>().WithMany().HasForeignKey(e => e.CategoryCode).OnDelete(DeleteBehavior.Restrict);
        entry.HasOne<Street>().WithMany().HasForeignKey(e => e.StreetCode).OnDelete(DeleteBehavior.Restrict);
        entry.HasOne<Community>().WithMany().HasForeignKey(e => e.CommunityCode).OnDelete(DeleteBehavior.Restrict);
        entry.HasOne<Department>().WithMany().HasForeignKey(e => e.DepartmentCode).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class CalendarDayConfiguration : IEntityTypeConfiguration<CalendarDay>
{
    public void Configure(EntityTypeBuilder<CalendarDay> day)
    {
        day.ToTable("calendar_days");
        day.HasKey(d => d.Date);
        day.Property(d => d.Kind).HasConversion<WireNameConverter<CalendarDayKind>>().HasMaxLength(16);
        day.Property(d => d.Name).HasMaxLength(200);
    }
}

internal sealed class ReferenceChangeConfiguration : IEntityTypeConfiguration<Features.Reference.ReferenceChange>
{
    public void Configure(EntityTypeBuilder<Features.Reference.ReferenceChange> change)
    {
        change.ToTable("reference_changes");
        change.HasKey(c => c.Id);
        change.Property(c => c.Id).UseIdentityAlwaysColumn();
        change.Property(c => c.Actor).HasMaxLength(200);
        change.Property(c => c.ActorId).HasMaxLength(200);
        change.Property(c => c.Entity).HasMaxLength(32);
        change.Property(c => c.Code).HasMaxLength(50);
        change.Property(c => c.Action).HasMaxLength(16);
        change.Property(c => c.Before).HasColumnType("jsonb");
        change.Property(c => c.After).HasColumnType("jsonb");
        change.HasIndex(c => new { c.Entity, c.Code, c.Id });
    }
}
