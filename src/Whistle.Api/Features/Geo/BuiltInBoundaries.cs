using System.Collections.Frozen;
using NetTopologySuite;
using NetTopologySuite.Geometries;

namespace Whistle.Api.Features.Geo;

/// <summary>
/// Generated boundaries for the built-in reference set, so the map and locating work out of the
/// box: about 27 × 27 km around Hohhot's centre (40.8° N 111.7° E) cut into the 39 streets, each
/// street into its communities and each community into its grids (about 400 × 400 m, the size of
/// a real grid). A tiling of rectangles: every point of the area lies in exactly one grid, edges
/// shared. Not the city's real boundaries; an administrator imports those as GeoJSON.
/// </summary>
public static class BuiltInBoundaries
{
    public const double South = 40.68, North = 40.92, West = 111.54, East = 111.86;

    /// <summary>Longitude and latitude of a rectangle's corners, in degrees.</summary>
    public readonly record struct Cell(double West, double South, double East, double North)
    {
        public double Width => East - West;
        public double Height => North - South;

        /// <summary>A point inside, <paramref name="x"/> and <paramref name="y"/> from 0 to 1, kept off the edges.</summary>
        public (double Latitude, double Longitude) At(double x, double y) =>
            (South + Height * (0.05 + 0.9 * y), West + Width * (0.05 + 0.9 * x));
    }

    public static readonly GeometryFactory Wgs84 = NtsGeometryServices.Instance.CreateGeometryFactory(srid: 4326);

    /// <summary>Each built-in grid's rectangle, by grid code.</summary>
    public static FrozenDictionary<string, Cell> Grids { get; } = Tile();

    private static FrozenDictionary<string, Cell> Tile()
    {
        var cells = new Dictionary<string, Cell>();
        var streets = BuiltInReferenceData.Streets;
        var streetCells = Split(new Cell(West, South, East, North), streets.Count);
        for (var s = 0; s < streets.Count; s++)
        {
            var communities = BuiltInReferenceData.Communities.Where(c => c.StreetCode == streets[s].Code).ToList();
            var communityCells = Split(streetCells[s], communities.Count);
            for (var c = 0; c < communities.Count; c++)
            {
                var grids = BuiltInReferenceData.Grids.Where(g => g.CommunityCode == communities[c].Code).ToList();
                var gridCells = Split(communityCells[c], grids.Count);
                for (var g = 0; g < grids.Count; g++)
                {
                    cells[grids[g].Code] = gridCells[g];
                }
            }
        }
        return cells.ToFrozenDictionary();
    }

    /// <summary>
    /// Cuts a rectangle into <paramref name="count"/> of about equal area: rows (north to south), each
    /// cut into equal columns, as many rows as keep the pieces near square on the ground.
    /// </summary>
    private static List<Cell> Split(Cell cell, int count)
    {
        // A degree of longitude is cos(latitude) of a degree of latitude on the ground.
        var aspect = cell.Height / (cell.Width * Math.Cos((cell.South + cell.North) / 2 * Math.PI / 180));
        var rows = Math.Clamp((int)Math.Round(Math.Sqrt(count * aspect)), 1, count);
        var pieces = new List<Cell>(count);
        var placed = 0;
        for (var r = 0; r < rows; r++)
        {
            // The first rows take one more when count does not divide evenly; each row's height is its share of the pieces.
            var inRow = count / rows + (r < count % rows ? 1 : 0);
            var north = cell.North - cell.Height * placed / count;
            var south = r == rows - 1 ? cell.South : cell.North - cell.Height * (placed + inRow) / count;
            for (var i = 0; i < inRow; i++)
            {
                var west = cell.West + cell.Width * i / inRow;
                var east = i == inRow - 1 ? cell.East : cell.West + cell.Width * (i + 1) / inRow;
                pieces.Add(new Cell(west, south, east, north));
            }
            placed += inRow;
        }
        return pieces;
    }

    public static MultiPolygon Polygon(Cell cell) => Wgs84.CreateMultiPolygon([Wgs84.CreatePolygon(
    [
        new Coordinate(cell.West, cell.South), new Coordinate(cell.East, cell.South), new Coordinate(cell.East, cell.North),
        new Coordinate(cell.West, cell.North), new Coordinate(cell.West, cell.South),
    ])]);

    /// <summary>
    /// Gives the built-in grids present in the store their generated boundaries, when no grid has a
    /// boundary yet (a store whose boundaries were imported, or that has other grids, is left alone).
    /// </summary>
    public static async Task<bool> LoadIfNoneAsync(WhistleDbContext db, CancellationToken cancellationToken)
    {
        if (await db.GridBoundaries.AnyAsync(cancellationToken))
        {
            return false;
        }
        var codes = await db.Grids.Select(g => g.Code).ToListAsync(cancellationToken);
        var known = codes.Where(Grids.ContainsKey).ToList();
        if (known.Count == 0)
        {
            return false;
        }
        db.GridBoundaries.AddRange(known.Select(code => new GridBoundary { GridCode = code, Boundary = Polygon(Grids[code]) }));
        await db.SaveChangesAsync(cancellationToken);
        db.ChangeTracker.Clear();
        return true;
    }
}
