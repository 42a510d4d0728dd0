using Microsoft.EntityFrameworkCore.Metadata.Builders;
using NetTopologySuite.Geometries;
using Whistle.Domain.Reference;

namespace Whistle.Api.Features.Geo;

/// <summary>
/// Where a grid lies: its boundary in WGS 84 (SRID 4326), kept beside the grid rather than on it,
/// so the reference data and its boundaries can be maintained (and imported) apart. Communities and
/// streets are the unions of their grids.
/// </summary>
public sealed class GridBoundary
{
    public required string GridCode { get; init; }
    public required MultiPolygon Boundary { get; set; }
}

internal sealed class GridBoundaryConfiguration : IEntityTypeConfiguration<GridBoundary>
{
    public void Configure(EntityTypeBuilder<GridBoundary> boundary)
    {
        boundary.ToTable("grid_boundaries");
        boundary.HasKey(b => b.GridCode);
        boundary.Property(b => b.GridCode).HasMaxLength(50);
        boundary.HasOne<Grid>().WithOne().HasForeignKey<GridBoundary>(b => b.GridCode).OnDelete(DeleteBehavior.Cascade);
        boundary.Property(b => b.Boundary).HasColumnType("geometry(MultiPolygon,4326)");
        // Locating a position is "which boundary covers it": a GiST index answers it without a scan.
        boundary.HasIndex(b => b.Boundary).HasMethod("gist");
    }
}
