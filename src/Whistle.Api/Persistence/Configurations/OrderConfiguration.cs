using System.Text.Json;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Whistle.Domain.Reference;

namespace Whistle.Api.Persistence.Configurations;

internal sealed class OrderConfiguration : IEntityTypeConfiguration<Order>
{
    public void Configure(EntityTypeBuilder<Order> order)
    {
        order.ToTable("orders");
        order.HasKey(o => o.Id);
        order.Property(o => o.Id).ValueGeneratedNever();
        order.Property(o => o.Number).UseIdentityAlwaysColumn();
        order.HasIndex(o => o.Number).IsUnique();
        // Every change bumps the version; saving a stale one fails instead of overwriting.
        order.Property(o => o.Version).IsConcurrencyToken();

        order.Property(o => o.Title).HasMaxLength(200);
        order.Property(o => o.Description).HasMaxLength(4000);
        order.Property(o => o.FiledBy).HasMaxLength(100);
        order.Property(o => o.ReturnedByDepartmentCode).HasMaxLength(50);
        order.Property(o => o.Result).HasMaxLength(4000);
        order.Property(o => o.ReturnReason).HasMaxLength(2000);
        order.Property(o => o.EvaluationComment).HasMaxLength(2000);
        order.Property(o => o.ExtensionRequestedBy).HasMaxLength(100);
        order.Property(o => o.ExtensionReason).HasMaxLength(2000);
        order.Ignore(o => o.ExtensionPending);
        order.ComplexProperty(o => o.Location, location =>
        {
            location.Property(l => l.Address).HasMaxLength(500);
        });

        // The position as PostGIS sees it, computed by the store from the WGS 84 latitude and longitude
        // (so no write path sets it, and existing rows got it when the column was added): nearby orders
        // and possible duplicates are found through its GiST index, with distances in metres.
        order.Property<NetTopologySuite.Geometries.Point>(PositionColumn.Property)
            .HasColumnType("geography(Point,4326)")
            .HasComputedColumnSql("ST_Point(location_longitude, location_latitude, 4326)::geography", stored: true);
        order.HasIndex(PositionColumn.Property).HasMethod("gist");

        order.HasOne<Category>().WithMany().HasForeignKey(o => o.CategoryCode).OnDelete(DeleteBehavior.Restrict);
        order.HasOne<Grid>().WithMany().HasForeignKey(o => o.GridCode).OnDelete(DeleteBehavior.Restrict);
        order.HasOne<Community>().WithMany().HasForeignKey(o => o.CommunityCode).OnDelete(DeleteBehavior.Restrict);
        order.HasOne<Street>().WithMany().HasForeignKey(o => o.StreetCode).OnDelete(DeleteBehavior.Restrict);
        order.HasOne<Department>().WithMany().HasForeignKey(o => o.DepartmentCode).OnDelete(DeleteBehavior.Restrict);

        // Listing is newest first by number, optionally narrowed by one of these.
        order.HasIndex(o => new { o.State, o.Number });
        order.HasIndex(o => new { o.DepartmentCode, o.Number });
        order.HasIndex(o => new { o.CommunityCode, o.Number });
        order.HasIndex(o => new { o.CategoryCode, o.Number });
        // Statistics count orders by when they were first whistled.
        order.HasIndex(o => o.FirstWhistledAt);

        order.Ignore(o => o.NewHistory);

        // Joint handling: the co-handlers' codes on the order (a department's scope and the webhooks' audience
        // read them without a join), their parts in order_parts.
        order.Property(o => o.CoDepartmentCodes).HasColumnType("text[]");
        order.HasIndex(o => o.CoDepartmentCodes).HasMethod("gin");
        order.Ignore(o => o.CoHandlerParts);
        order.Ignore(o => o.Parts);
        order.Ignore(o => o.ChangedParts);
        order.Ignore(o => o.PartsSettled);
        order.Property(o => o.ReturnBasis).HasMaxLength(2000);
        order.Ignore(o => o.PhotoCount);
        // The order's photos as a JSON array, read and written with the order (no join on any read path);
        // the GIN index finds the order of a photo id and whether anything still refers to a stored hash.
        order.Property(o => o.Photos)
            .HasColumnType("jsonb")
            .HasDefaultValueSql("'[]'::jsonb")
            .HasConversion(
                photos => JsonSerializer.Serialize(photos, PhotoJson),
                json => JsonSerializer.Deserialize<List<Photo>>(json, PhotoJson) ?? new List<Photo>(),
                new ValueComparer<IReadOnlyList<Photo>>((a, b) => ReferenceEquals(a, b), p => p.Count, p => p));
        order.HasIndex(o => o.Photos).HasMethod("gin").HasOperators("jsonb_path_ops");

        // The order a reporter said a filing repeats: it must exist, and the desk finds the reports naming an order by it.
        order.HasOne<Order>().WithMany().HasForeignKey(o => o.SameProblemAsId).OnDelete(DeleteBehavior.Restrict);
        order.HasIndex(o => o.SameProblemAsId).HasFilter("same_problem_as_id IS NOT NULL");
    }

    /// <summary>How photos are kept in <c>orders.photos</c>, by EF and by the raw write path (OrderRows) alike.</summary>
    internal static readonly JsonSerializerOptions PhotoJson = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };
}

internal sealed class OrderPartConfiguration : IEntityTypeConfiguration<OrderPart>
{
    public void Configure(EntityTypeBuilder<OrderPart> part)
    {
        part.ToTable("order_parts");
        part.HasKey(p => new { p.OrderId, p.DepartmentCode });
        part.HasOne<Order>().WithMany().HasForeignKey(p => p.OrderId).OnDelete(DeleteBehavior.Cascade);
        part.HasOne<Department>().WithMany().HasForeignKey(p => p.DepartmentCode).OnDelete(DeleteBehavior.Restrict);
        part.Property(p => p.SummonedBy).HasMaxLength(200);
        part.Property(p => p.Result).HasMaxLength(4000);
        part.Property(p => p.DeclineReason).HasMaxLength(2000);
        part.Property(p => p.WaivedBy).HasMaxLength(200);
        part.Property(p => p.WaiveReason).HasMaxLength(2000);
        // The scheduler looks for parts still summoned past their deadline.
        part.HasIndex(p => new { p.State, p.AcknowledgeBy });
        part.Ignore(p => p.Settled);
    }
}

/// <summary>The store's own column of an order's position (see <see cref="OrderConfiguration"/>); not part of the domain's order.</summary>
public static class PositionColumn
{
    public const string Property = "Position";
}

internal sealed class OrderHistoryEntryConfiguration : IEntityTypeConfiguration<OrderHistoryEntry>
{
    // The same options the raw write path serialises details with (OrderRows), so both store the same JSON.
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public void Configure(EntityTypeBuilder<OrderHistoryEntry> entry)
    {
        entry.ToTable("order_history");
        entry.HasKey(e => e.Id);
        entry.Property(e => e.Id).UseIdentityAlwaysColumn();
        entry.HasOne<Order>().WithMany().HasForeignKey(e => e.OrderId).OnDelete(DeleteBehavior.Restrict);
        // One entry per version: two writers can never both record the same change.
        entry.HasIndex(e => new { e.OrderId, e.Version }).IsUnique();
        entry.Property(e => e.Action).HasMaxLength(32);
        // A credential's name (at most 200) and its id (key:<uuid>, or token:<subject> of at most 256).
        entry.Property(e => e.Actor).HasMaxLength(200);
        entry.Property(e => e.ActorId).HasMaxLength(300);
        entry.Property(e => e.Details)
            .HasColumnType("jsonb")
            .HasConversion(
                details => JsonSerializer.Serialize(details, Json),
                json => JsonSerializer.Deserialize<Dictionary<string, string?>>(json, Json) ?? new Dictionary<string, string?>(),
                new ValueComparer<IReadOnlyDictionary<string, string?>>(
                    (a, b) => ReferenceEquals(a, b),
                    d => d.Count,
                    d => d));
    }
}
