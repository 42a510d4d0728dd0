using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Whistle.Api.Features.Open311;

/// <summary>
/// Who reported an order through an outside app (Open311's <c>email</c>, <c>first_name</c>, <c>last_name</c>,
/// <c>phone</c>, <c>device_id</c>, <c>account_id</c>), kept beside the order for the desk that follows it up.
/// Never part of an order's JSON, its history, webhooks, Open311 answers or the published results
/// (<see cref="Published.Publication"/> reads no column of it); read only by <c>GET /api/v1/orders/{id}/reporter</c>.
/// </summary>
public sealed class OrderReporter
{
    public Guid OrderId { get; init; }
    /// <summary>The app's credential (<c>key:…</c>) that filed it: an app follows the reports it filed itself.</summary>
    public required string FiledVia { get; init; }
    public string? Email { get; init; }
    public string? FirstName { get; init; }
    public string? LastName { get; init; }
    public string? Phone { get; init; }
    public string? DeviceId { get; init; }
    public string? AccountId { get; init; }

    // Lengths the filing checks (Open311Filing), so no input reaches the store's limit.
    public const int EmailLength = 254;
    public const int NameLength = 100;
    public const int PhoneLength = 40;
    public const int IdLength = 200;
}

internal sealed class OrderReporterConfiguration : IEntityTypeConfiguration<OrderReporter>
{
    public void Configure(EntityTypeBuilder<OrderReporter> reporter)
    {
        reporter.ToTable("order_reporters");
        reporter.HasKey(r => r.OrderId);
        reporter.HasOne<Order>().WithOne().HasForeignKey<OrderReporter>(r => r.OrderId).OnDelete(DeleteBehavior.Cascade);
        reporter.Property(r => r.FiledVia).HasMaxLength(300);
        reporter.Property(r => r.Email).HasMaxLength(OrderReporter.EmailLength);
        reporter.Property(r => r.FirstName).HasMaxLength(OrderReporter.NameLength);
        reporter.Property(r => r.LastName).HasMaxLength(OrderReporter.NameLength);
        reporter.Property(r => r.Phone).HasMaxLength(OrderReporter.PhoneLength);
        reporter.Property(r => r.DeviceId).HasMaxLength(OrderReporter.IdLength);
        reporter.Property(r => r.AccountId).HasMaxLength(OrderReporter.IdLength);
        // An app's requests list: the orders it filed.
        reporter.HasIndex(r => r.FiledVia);
    }
}
