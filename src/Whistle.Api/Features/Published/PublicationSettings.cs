using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Whistle.Domain.Reference;

namespace Whistle.Api.Features.Published;

/// <summary>A category whose orders the results list never shows (domestic violence, a neighbour dispute): set by an admin.</summary>
public sealed class PrivateCategory
{
    public required string CategoryCode { get; init; }
    public required string MarkedBy { get; init; }
    public DateTimeOffset MarkedAt { get; init; }
}

/// <summary>One order an admin holds back from the results list, with the reason (the desk's, never published).</summary>
public sealed class PublicationHold
{
    public Guid OrderId { get; init; }
    public required string Reason { get; init; }
    public required string HeldBy { get; init; }
    public DateTimeOffset HeldAt { get; init; }
}

internal sealed class PrivateCategoryConfiguration : IEntityTypeConfiguration<PrivateCategory>
{
    public void Configure(EntityTypeBuilder<PrivateCategory> category)
    {
        category.ToTable("private_categories");
        category.HasKey(c => c.CategoryCode);
        category.Property(c => c.CategoryCode).HasMaxLength(50);
        category.HasOne<Category>().WithMany().HasForeignKey(c => c.CategoryCode).OnDelete(DeleteBehavior.Cascade);
        category.Property(c => c.MarkedBy).HasMaxLength(200);
    }
}

internal sealed class PublicationHoldConfiguration : IEntityTypeConfiguration<PublicationHold>
{
    public void Configure(EntityTypeBuilder<PublicationHold> hold)
    {
        hold.ToTable("publication_holds");
        hold.HasKey(h => h.OrderId);
        hold.HasOne<Order>().WithMany().HasForeignKey(h => h.OrderId).OnDelete(DeleteBehavior.Cascade);
        hold.Property(h => h.Reason).HasMaxLength(2000);
        hold.Property(h => h.HeldBy).HasMaxLength(200);
    }
}
