namespace Whistle.Domain.Geo;

/// <summary>A latitude and longitude in degrees.</summary>
public readonly record struct LatLon(double Latitude, double Longitude);

/// <summary>
/// The published conversions between WGS 84 and China's map coordinates: GCJ-02 (the national
/// obfuscation, on the Krasovsky 1940 ellipsoid) and BD-09 (Baidu's further offset of GCJ-02).
/// GCJ-02 is a forward formula only; WGS 84 is recovered from it by fixed-point iteration, which
/// converges to well under a millimetre. Outside China the offset is not applied (as the SDKs do).
/// </summary>
public static class ChineseCoordinates
{
    private const double Axis = 6378245.0; // Krasovsky 1940
    private const double Eccentricity2 = 0.00669342162296594323;
    private const double BaiduFactor = Math.PI * 3000.0 / 180.0;

    /// <summary>The point in WGS 84, from <paramref name="system"/>.</summary>
    public static LatLon ToWgs84(LatLon point, CoordinateSystem system) => system switch
    {
        CoordinateSystem.Wgs84 => point,
        CoordinateSystem.Gcj02 => Gcj02ToWgs84(point),
        CoordinateSystem.Bd09 => Gcj02ToWgs84(Bd09ToGcj02(point)),
        _ => throw new ArgumentOutOfRangeException(nameof(system), system, null),
    };

    /// <summary>The WGS 84 point in <paramref name="system"/>.</summary>
    public static LatLon FromWgs84(LatLon point, CoordinateSystem system) => system switch
    {
        CoordinateSystem.Wgs84 => point,
        CoordinateSystem.Gcj02 => Wgs84ToGcj02(point),
        CoordinateSystem.Bd09 => Gcj02ToBd09(Wgs84ToGcj02(point)),
        _ => throw new ArgumentOutOfRangeException(nameof(system), system, null),
    };

    /// <summary>The box the offset applies in (mainland China and around it).</summary>
    public static bool InChina(LatLon p) => p.Longitude is > 72.004 and < 137.8347 && p.Latitude is > 0.8293 and < 55.8271;

    public static LatLon Wgs84ToGcj02(LatLon wgs)
    {
        if (!InChina(wgs))
        {
            return wgs;
        }
        var x = wgs.Longitude - 105.0;
        var y = wgs.Latitude - 35.0;
        var radians = wgs.Latitude / 180.0 * Math.PI;
        var sin = Math.Sin(radians);
        var magic = 1 - Eccentricity2 * sin * sin;
        var sqrtMagic = Math.Sqrt(magic);
        var dLat = ShiftLatitude(x, y) * 180.0 / (Axis * (1 - Eccentricity2) / (magic * sqrtMagic) * Math.PI);
        var dLon = ShiftLongitude(x, y) * 180.0 / (Axis / sqrtMagic * Math.Cos(radians) * Math.PI);
        return new LatLon(wgs.Latitude + dLat, wgs.Longitude + dLon);
    }

    /// <summary>
    /// Inverts <see cref="Wgs84ToGcj02"/>: starting from the GCJ-02 point, moves the guess by the
    /// remaining difference until the forward conversion lands on the point (within 1e-12°, about
    /// 0.1 µm; the offset changes slowly, so a few steps do).
    /// </summary>
    public static LatLon Gcj02ToWgs84(LatLon gcj)
    {
        if (!InChina(gcj))
        {
            return gcj;
        }
        var guess = gcj;
        for (var i = 0; i < 30; i++)
        {
            var forward = Wgs84ToGcj02(guess);
            var dLat = gcj.Latitude - forward.Latitude;
            var dLon = gcj.Longitude - forward.Longitude;
            guess = new LatLon(guess.Latitude + dLat, guess.Longitude + dLon);
            if (Math.Abs(dLat) < 1e-12 && Math.Abs(dLon) < 1e-12)
            {
                break;
            }
        }
        return guess;
    }

    public static LatLon Gcj02ToBd09(LatLon gcj)
    {
        var x = gcj.Longitude;
        var y = gcj.Latitude;
        var z = Math.Sqrt(x * x + y * y) + 0.00002 * Math.Sin(y * BaiduFactor);
        var theta = Math.Atan2(y, x) + 0.000003 * Math.Cos(x * BaiduFactor);
        return new LatLon(z * Math.Sin(theta) + 0.006, z * Math.Cos(theta) + 0.0065);
    }

    /// <summary>
    /// Inverts <see cref="Gcj02ToBd09"/>: the published closed form (good to about 0.2 m) as the first
    /// guess, refined the same way as <see cref="Gcj02ToWgs84"/> so a round trip returns the point.
    /// </summary>
    public static LatLon Bd09ToGcj02(LatLon bd)
    {
        var x = bd.Longitude - 0.0065;
        var y = bd.Latitude - 0.006;
        var z = Math.Sqrt(x * x + y * y) - 0.00002 * Math.Sin(y * BaiduFactor);
        var theta = Math.Atan2(y, x) - 0.000003 * Math.Cos(x * BaiduFactor);
        var guess = new LatLon(z * Math.Sin(theta), z * Math.Cos(theta));
        for (var i = 0; i < 30; i++)
        {
            var forward = Gcj02ToBd09(guess);
            var dLat = bd.Latitude - forward.Latitude;
            var dLon = bd.Longitude - forward.Longitude;
            guess = new LatLon(guess.Latitude + dLat, guess.Longitude + dLon);
            if (Math.Abs(dLat) < 1e-12 && Math.Abs(dLon) < 1e-12)
            {
                break;
            }
        }
        return guess;
    }

    /// <summary>Metres between two points on a sphere of the Earth's mean radius (haversine): for stating errors.</summary>
    public static double MetresBetween(LatLon a, LatLon b)
    {
        const double radius = 6371008.8;
        var dLat = (b.Latitude - a.Latitude) * Math.PI / 180;
        var dLon = (b.Longitude - a.Longitude) * Math.PI / 180;
        var h = Math.Pow(Math.Sin(dLat / 2), 2) +
            Math.Cos(a.Latitude * Math.PI / 180) * Math.Cos(b.Latitude * Math.PI / 180) * Math.Pow(Math.Sin(dLon / 2), 2);
        return 2 * radius * Math.Asin(Math.Min(1, Math.Sqrt(h)));
    }

    private static double ShiftLatitude(double x, double y)
    {
        var shift = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.Sqrt(Math.Abs(x));
        shift += (20.0 * Math.Sin(6.0 * x * Math.PI) + 20.0 * Math.Sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
        shift += (20.0 * Math.Sin(y * Math.PI) + 40.0 * Math.Sin(y / 3.0 * Math.PI)) * 2.0 / 3.0;
        shift += (160.0 * Math.Sin(y / 12.0 * Math.PI) + 320 * Math.Sin(y * Math.PI / 30.0)) * 2.0 / 3.0;
        return shift;
    }

    private static double ShiftLongitude(double x, double y)
    {
        var shift = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.Sqrt(Math.Abs(x));
        shift += (20.0 * Math.Sin(6.0 * x * Math.PI) + 20.0 * Math.Sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
        shift += (20.0 * Math.Sin(x * Math.PI) + 40.0 * Math.Sin(x / 3.0 * Math.PI)) * 2.0 / 3.0;
        shift += (150.0 * Math.Sin(x / 12.0 * Math.PI) + 300.0 * Math.Sin(x / 30.0 * Math.PI)) * 2.0 / 3.0;
        return shift;
    }
}
