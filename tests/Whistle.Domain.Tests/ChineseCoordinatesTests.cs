using Whistle.Domain.Geo;

namespace Whistle.Domain.Tests;

/// <summary>
/// The conversions against the reference points the widely used open implementations publish
/// (coordtransform's test: Tiananmen, 116.404 E 39.915 N, through each conversion), and the round trips.
/// </summary>
public class ChineseCoordinatesTests
{
    private static readonly LatLon Tiananmen = new(39.915, 116.404);

    private static void Near(LatLon expected, LatLon actual, double metres) =>
        Assert.True(ChineseCoordinates.MetresBetween(expected, actual) <= metres,
            $"{actual} is {ChineseCoordinates.MetresBetween(expected, actual):F6} m from {expected}, more than {metres} m");

    [Fact]
    public void Wgs84_to_Gcj02_gives_the_published_point() =>
        Near(new LatLon(39.91640428150164, 116.41024449916938), ChineseCoordinates.Wgs84ToGcj02(Tiananmen), 0.001);

    [Fact]
    public void Gcj02_to_Bd09_gives_the_published_point_and_back_lands_within_half_a_metre_of_the_published_one()
    {
        Near(new LatLon(39.92133699351021, 116.41036949371029), ChineseCoordinates.Gcj02ToBd09(Tiananmen), 0.001);
        // The published BD-09 → GCJ-02 is a closed-form approximation (about 0.2 m off); ours refines it.
        var gcj = ChineseCoordinates.Bd09ToGcj02(Tiananmen);
        Near(new LatLon(39.90865673957631, 116.39762729119315), gcj, 0.5);
        Near(Tiananmen, ChineseCoordinates.Gcj02ToBd09(gcj), 1e-6);
    }

    [Fact]
    public void Gcj02_to_Wgs84_lands_within_a_metre_of_the_published_one_step_inverse_and_exactly_inverts_the_forward_formula()
    {
        // The published inverse is one step of the iteration (wgs = 2·gcj − forward(gcj)), good to about a metre;
        // the iterated one is what the forward formula maps back onto the GCJ-02 point.
        var wgs = ChineseCoordinates.Gcj02ToWgs84(Tiananmen);
        Near(new LatLon(39.91359571849836, 116.39775550083061), wgs, 1.0);
        Near(Tiananmen, ChineseCoordinates.Wgs84ToGcj02(wgs), 1e-6);
    }

    [Theory]
    [InlineData(CoordinateSystem.Gcj02)]
    [InlineData(CoordinateSystem.Bd09)]
    public void Round_trips_over_Hohhot_stay_within_a_micrometre(CoordinateSystem system)
    {
        var random = new Random(14);
        var worst = 0.0;
        for (var i = 0; i < 10_000; i++)
        {
            var wgs = new LatLon(40.68 + random.NextDouble() * 0.24, 111.54 + random.NextDouble() * 0.32);
            var back = ChineseCoordinates.ToWgs84(ChineseCoordinates.FromWgs84(wgs, system), system);
            worst = Math.Max(worst, ChineseCoordinates.MetresBetween(wgs, back));
        }
        // Measured: GCJ-02 at most 1.4e-9 m, BD-09 3.9e-9 m (floating point), far below any GPS fix.
        Console.WriteLine($"{system}: worst round trip over 10,000 points {worst:E2} m");
        Assert.True(worst < 1e-6, $"worst round trip {worst} m");
    }

    [Fact]
    public void At_Hohhots_centre_GCJ02_is_several_hundred_metres_from_WGS84()
    {
        var centre = new LatLon(40.8, 111.7);
        var offset = ChineseCoordinates.MetresBetween(centre, ChineseCoordinates.Wgs84ToGcj02(centre));
        Assert.InRange(offset, 500, 700);
    }

    [Fact]
    public void Outside_China_no_offset_is_applied()
    {
        var paris = new LatLon(48.8566, 2.3522);
        Assert.Equal(paris, ChineseCoordinates.FromWgs84(paris, CoordinateSystem.Gcj02));
        Assert.Equal(paris, ChineseCoordinates.ToWgs84(paris, CoordinateSystem.Gcj02));
    }
}
