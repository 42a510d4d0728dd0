using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Whistle.Api.Features.Webhooks;

namespace Whistle.Api.Persistence.Configurations;

internal sealed class WebhookSubscriptionConfiguration : IEntityTypeConfiguration<WebhookSubscription>
{
    public void Configure(EntityTypeBuilder<WebhookSubscription> subscription)
    {
        subscription.ToTable("webhook_subscriptions");
        subscription.HasKey(s => s.Id);
        subscription.Property(s => s.Url).HasMaxLength(2000);
        subscription.Property(s => s.Events).HasColumnType("varchar(64)[]");
        subscription.Property(s => s.Secret).HasMaxLength(100);
        subscription.Property(s => s.OwnerId).HasMaxLength(200);
        subscription.Property(s => s.OwnerRole).HasConversion<WireNameConverter<Role>>().HasMaxLength(32);
        subscription.Property(s => s.OwnerDepartmentCode).HasMaxLength(50);
        subscription.Property(s => s.OwnerCommunityCode).HasMaxLength(50);
        subscription.HasIndex(s => s.OwnerId);
    }
}

internal sealed class WebhookDeliveryConfiguration : IEntityTypeConfiguration<WebhookDelivery>
{
    public void Configure(EntityTypeBuilder<WebhookDelivery> delivery)
    {
        delivery.ToTable("webhook_deliveries", table => table.HasCheckConstraint(
            "ck_webhook_deliveries_status", "status IN ('pending', 'delivered', 'failed')"));
        delivery.HasKey(d => d.Id);
        delivery.Property(d => d.Id).UseIdentityAlwaysColumn();
        delivery.Property(d => d.EventType).HasMaxLength(64);
        delivery.Property(d => d.Status).HasConversion<WireNameConverter<DeliveryStatus>>().HasMaxLength(16);
        delivery.Property(d => d.LastError).HasMaxLength(2000);
        delivery.HasOne<WebhookSubscription>().WithMany().HasForeignKey(d => d.SubscriptionId).OnDelete(DeleteBehavior.Cascade);
        // The dispatcher's queue: pending rows due first.
        delivery.HasIndex(d => new { d.NextAttemptAt, d.Id }).HasFilter("status = 'pending'").HasDatabaseName("ix_webhook_deliveries_due");
        // An order's earlier pending event for the same subscription holds back its later ones.
        delivery.HasIndex(d => new { d.SubscriptionId, d.OrderId, d.Id }).HasFilter("status = 'pending'")
            .HasDatabaseName("ix_webhook_deliveries_pending_per_order");
        // The deliveries API: a subscription's deliveries, newest first, by status.
        delivery.HasIndex(d => new { d.SubscriptionId, d.Id });
    }
}

internal sealed class WebhookAttemptConfiguration : IEntityTypeConfiguration<WebhookAttempt>
{
    public void Configure(EntityTypeBuilder<WebhookAttempt> attempt)
    {
        attempt.ToTable("webhook_attempts");
        attempt.HasKey(a => a.Id);
        attempt.Property(a => a.Id).UseIdentityAlwaysColumn();
        attempt.Property(a => a.Error).HasMaxLength(2000);
        attempt.HasOne<WebhookDelivery>().WithMany().HasForeignKey(a => a.DeliveryId).OnDelete(DeleteBehavior.Cascade);
    }
}
