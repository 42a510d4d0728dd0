using ImageMagick;
using ImageMagick.Drawing;

using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Photos;

/// <summary>Real images made on the spot: a phone's JPEG (rotated by EXIF, with GPS), a bomb, fakes.</summary>
public static class Images
{
    /// <summary>A JPEG stored landscape (width × height) with EXIF orientation 6: a phone held upright, to be turned to portrait.</summary>
    public static byte[] RotatedJpeg(int width = 400, int height = 200)
    {
        using var image = Scene(width, height);
        image.Orientation = Orientation.RightTop;
        var exif = new ExifProfile();
        exif.SetValue(ExifTag.Orientation, (ushort)6);
        exif.SetValue(ExifTag.Make, "PhonePhone");
        image.SetProfile(exif);
        image.Format = MagickFormat.Jpeg;
        return image.ToByteArray();
    }

    /// <summary>A JPEG with a capture time and a GPS fix (WGS 84) in its EXIF.</summary>
    public static byte[] JpegWithGps(double latitude, double longitude, string takenAt = "2026:03:02 08:15:30")
    {
        using var image = Scene(300, 200, MagickColors.SteelBlue);
        var exif = new ExifProfile();
        exif.SetValue(ExifTag.DateTimeOriginal, takenAt);
        exif.SetValue(ExifTag.GPSLatitudeRef, latitude >= 0 ? "N" : "S");
        exif.SetValue(ExifTag.GPSLatitude, Dms(Math.Abs(latitude)));
        exif.SetValue(ExifTag.GPSLongitudeRef, longitude >= 0 ? "E" : "W");
        exif.SetValue(ExifTag.GPSLongitude, Dms(Math.Abs(longitude)));
        image.SetProfile(exif);
        image.Format = MagickFormat.Jpeg;
        return image.ToByteArray();
    }

    /// <summary>
    /// A camera's JPEG: noisy like a real photo (a 12 MP one, 4000 × 3000, is megabytes), stored as the
    /// sensor saw it; with <paramref name="upright"/> false it carries EXIF orientation 6 (a phone held upright).
    /// </summary>
    public static byte[] CameraJpeg(int width, int height, bool upright = true)
    {
        using var image = Scene(width, height, MagickColors.Goldenrod);
        image.AddNoise(NoiseType.Gaussian, 2.0);
        if (!upright)
        {
            image.Orientation = Orientation.RightTop;
            var exif = new ExifProfile();
            exif.SetValue(ExifTag.Orientation, (ushort)6);
            image.SetProfile(exif);
        }
        image.Quality = 92;
        image.Format = MagickFormat.Jpeg;
        return image.ToByteArray();
    }

    public static byte[] Png(int width = 120, int height = 80, MagickColor? colour = null)
    {
        using var image = Scene(width, height, colour ?? MagickColors.OliveDrab);
        image.Format = MagickFormat.Png;
        return image.ToByteArray();
    }

    /// <summary>A small JPEG whose header claims 60,000 × 60,000 pixels: a decompression bomb.</summary>
    public static byte[] Bomb()
    {
        using var image = Scene(64, 64);
        image.Format = MagickFormat.Jpeg;
        var bytes = image.ToByteArray();
        for (var i = 2; i < bytes.Length - 9; i++)
        {
            // The start-of-frame segment: FF C0 (baseline) or FF C2 (progressive), then length, precision, height, width.
            if (bytes[i] == 0xFF && bytes[i + 1] is 0xC0 or 0xC2)
            {
                bytes[i + 5] = 0xEA;
                bytes[i + 6] = 0x60; // 60000
                bytes[i + 7] = 0xEA;
                bytes[i + 8] = 0x60;
                return bytes;
            }
        }
        throw new InvalidOperationException("No start-of-frame segment.");
    }

    /// <summary>A file named .jpg that is text (an HTML page with a script).</summary>
    public static byte[] FakeJpeg() => "<html><script>alert(1)</script></html>"u8.ToArray();

    /// <summary>The first half of a real JPEG.</summary>
    public static byte[] TruncatedJpeg()
    {
        var whole = JpegWithGps(40.8424, 111.7492);
        return whole[..(whole.Length / 2)];
    }

    public static MagickImage Read(byte[] bytes) => new(bytes);

    private static MagickImage Scene(int width, int height, MagickColor? colour = null)
    {
        var image = new MagickImage(colour ?? MagickColors.IndianRed, (uint)width, (uint)height);
        // Not uniform, so that a rotation shows: a dark bar along the top edge.
        new Drawables().FillColor(MagickColors.Black).Rectangle(0, 0, width, height / 8.0).Draw(image);
        return image;
    }

    private static Rational[] Dms(double degrees)
    {
        var d = Math.Floor(degrees);
        var minutes = (degrees - d) * 60;
        var m = Math.Floor(minutes);
        var s = (minutes - m) * 60;
        return [new Rational((uint)d, 1), new Rational((uint)m, 1), new Rational((uint)Math.Round(s * 10000), 10000)];
    }
}
