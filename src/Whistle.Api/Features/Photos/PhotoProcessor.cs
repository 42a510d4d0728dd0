using System.Globalization;
using System.Security.Cryptography;
using FluentValidation.Results;
using ImageMagick;
using Microsoft.Extensions.Options;

namespace Whistle.Api.Features.Photos;

/// <summary>A photo made safe to keep: re-encoded, bounded, stripped, with what its metadata said kept as fields.</summary>
public sealed record ProcessedPhoto(
    string ContentType, int Width, int Height, byte[] Image, string Hash, byte[] Thumbnail, string ThumbnailHash,
    DateTimeOffset? TakenAt, double? Latitude, double? Longitude);

/// <summary>No decode slot came free in time: 503 with Retry-After.</summary>
public sealed class PhotoDecodersBusyException(TimeSpan retryAfter)
    : Exception($"Every image decoder is busy; retry in {(int)Math.Ceiling(retryAfter.TotalSeconds)} s. Nothing was stored.")
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>
/// Turns an upload into what is stored (after FixMyStreet's PhotoSet: auto-rotate, shrink, strip,
/// derive sizes), with ImageMagick (Magick.NET). The type is judged from the bytes: the leading
/// signature picks the one decoder allowed to read it, and the decode itself must succeed; the name
/// and the Content-Type the client gave are never consulted. Nothing of the upload reaches the store
/// but freshly encoded pixels.
/// </summary>
public sealed class PhotoProcessor
{
    private readonly PhotoOptions _options;
    private readonly TimeZoneInfo _zone;
    private readonly SemaphoreSlim _decodes;

    public PhotoProcessor(IOptions<PhotoOptions> options, IOptions<WhistleOptions> whistle)
    {
        _options = options.Value;
        _zone = whistle.Value.Zone;
        _decodes = new SemaphoreSlim(_options.MaxConcurrentDecodes, _options.MaxConcurrentDecodes);
    }

    /// <summary>Decodes in flight now (for the benchmark and the metrics).</summary>
    public int DecodesInFlight => _options.MaxConcurrentDecodes - _decodes.CurrentCount;

    /// <summary>
    /// Processes one upload once a decode slot is free: the (N+1)th concurrent upload waits for the
    /// first slot to free, up to <see cref="PhotoOptions.DecodeWait"/>, then gets a 503.
    /// </summary>
    /// <param name="field">The request field named in a 400 (<c>file[2]</c>).</param>
    public async Task<ProcessedPhoto> ProcessAsync(byte[] upload, string field, CancellationToken cancellationToken)
    {
        if (!await _decodes.WaitAsync(_options.DecodeWait, cancellationToken))
        {
            throw new PhotoDecodersBusyException(TimeSpan.FromSeconds(Math.Max(1, _options.DecodeWait.TotalSeconds / 3)));
        }
        try
        {
            return Process(upload, field);
        }
        finally
        {
            _decodes.Release();
        }
    }

    /// <summary>The same steps without the slot: what the benchmark's raw loop calls.</summary>
    public ProcessedPhoto Process(byte[] upload, string field)
    {
        var format = Sniff(upload) ?? throw Refused(field, "is not a JPEG, PNG, WebP or HEIC image.");
        var settings = new MagickReadSettings { Format = format };
        try
        {
            // The header only: a decompression bomb is refused before any pixel is allocated.
            var header = new MagickImageInfo(upload, settings);
            if ((long)header.Width * header.Height > _options.MaxPixels)
            {
                throw Refused(field, $"is {header.Width}×{header.Height} pixels; at most {_options.MaxPixels:N0} pixels are decoded.");
            }
            using var image = new MagickImage();
            var damaged = false;
            // Truncated or damaged data is only a warning to the decoder, which fills in grey: here it is a refusal.
            image.Warning += (_, e) => damaged |= e.Message.Contains("Corrupt", StringComparison.OrdinalIgnoreCase)
                || e.Message.Contains("Premature", StringComparison.OrdinalIgnoreCase)
                || e.Message.Contains("truncat", StringComparison.OrdinalIgnoreCase)
                || e.Message.Contains("insufficient", StringComparison.OrdinalIgnoreCase);
            image.Read(upload, settings);
            if (damaged)
            {
                throw Refused(field, "is truncated or damaged.");
            }
            var exif = image.GetExifProfile();
            var takenAt = TakenAt(exif);
            var (latitude, longitude) = Position(exif);

            image.AutoOrient();
            if (image.GetColorProfile() is not null)
            {
                image.TransformColorSpace(ColorProfiles.SRGB);
            }
            // Nothing the camera or the client wrote survives: EXIF (GPS, serial numbers), XMP, IPTC, comments.
            image.Strip();
            var keepAlpha = image.HasAlpha && !image.IsOpaque;
            if (Math.Max(image.Width, image.Height) > _options.MaxEdge)
            {
                image.Resize(new MagickGeometry((uint)_options.MaxEdge, (uint)_options.MaxEdge));
            }
            var stored = Encode(image, keepAlpha, 85);
            using var thumbnail = image.CloneAndMutate(t => t.Thumbnail(new MagickGeometry((uint)_options.ThumbnailEdge, (uint)_options.ThumbnailEdge)));
            var small = Encode((MagickImage)thumbnail, keepAlpha, 75);
            return new ProcessedPhoto(
                keepAlpha ? "image/png" : "image/jpeg", (int)image.Width, (int)image.Height, stored, Hash(stored), small, Hash(small),
                takenAt, latitude, longitude);
        }
        catch (MagickException exception) when (exception is not MagickResourceLimitErrorException)
        {
            throw Refused(field, "is truncated or damaged, or not the image its first bytes say.");
        }
        catch (MagickResourceLimitErrorException)
        {
            throw Refused(field, "is too large to decode.");
        }
    }

    public static string Hash(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static byte[] Encode(IMagickImage<byte> image, bool png, int quality)
    {
        image.Format = png ? MagickFormat.Png : MagickFormat.Jpeg;
        image.Quality = (uint)quality;
        // PNG would otherwise carry the encoding time in tEXt chunks: the same photo must hash the same.
        image.Settings.SetDefine(MagickFormat.Png, "exclude-chunks", "date,time");
        return image.ToByteArray();
    }

    /// <summary>The decoder the leading bytes call for; null when they are none of the accepted kinds.</summary>
    public static MagickFormat? Sniff(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
        {
            return MagickFormat.Jpeg;
        }
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return MagickFormat.Png;
        }
        if (bytes.Length >= 12 && bytes[..4].SequenceEqual("RIFF"u8) && bytes[8..12].SequenceEqual("WEBP"u8))
        {
            return MagickFormat.WebP;
        }
        // ISO base media: a box 'ftyp' whose major brand is HEIF's (phones send heic).
        if (bytes.Length >= 12 && bytes[4..8].SequenceEqual("ftyp"u8)
            && System.Text.Encoding.ASCII.GetString(bytes[8..12]) is "heic" or "heix" or "hevc" or "hevx" or "heim" or "heis" or "mif1" or "msf1")
        {
            return MagickFormat.Heic;
        }
        return null;
    }

    private DateTimeOffset? TakenAt(IExifProfile? exif)
    {
        var text = exif?.GetValue(ExifTag.DateTimeOriginal)?.Value ?? exif?.GetValue(ExifTag.DateTime)?.Value;
        if (text is null || !DateTime.TryParseExact(text.Trim('\0', ' '), "yyyy:MM:dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            return null;
        }
        // The camera's own offset when it wrote one; else its clock is taken to be the district's (a phone set to local time).
        var offsetText = exif!.GetValue(ExifTag.OffsetTimeOriginal)?.Value;
        if (offsetText is not null && TimeSpan.TryParseExact(offsetText.TrimStart('+'), @"hh\:mm", CultureInfo.InvariantCulture, out var offset))
        {
            return new DateTimeOffset(local, offsetText.StartsWith('-') ? -offset : offset);
        }
        return new DateTimeOffset(local, _zone.GetUtcOffset(local));
    }

    private static (double?, double?) Position(IExifProfile? exif)
    {
        var latitude = Degrees(exif?.GetValue(ExifTag.GPSLatitude)?.Value, exif?.GetValue(ExifTag.GPSLatitudeRef)?.Value, "S");
        var longitude = Degrees(exif?.GetValue(ExifTag.GPSLongitude)?.Value, exif?.GetValue(ExifTag.GPSLongitudeRef)?.Value, "W");
        return latitude is >= -90 and <= 90 && longitude is >= -180 and <= 180 ? (latitude, longitude) : (null, null);
    }

    private static double? Degrees(Rational[]? dms, string? reference, string negative)
    {
        if (dms is not { Length: 3 } || dms.Any(r => r.Denominator == 0))
        {
            return null;
        }
        var degrees = dms[0].ToDouble() + dms[1].ToDouble() / 60 + dms[2].ToDouble() / 3600;
        return reference?.Trim('\0', ' ') == negative ? -degrees : degrees;
    }

    private static ValidationException Refused(string field, string message) =>
        new([new ValidationFailure(field, $"The file {message}")]);
}

/// <summary>How a photo failure reads as a problem.</summary>
public static class PhotoProblems
{
    public static Microsoft.AspNetCore.Mvc.ProblemDetails Busy(HttpContext context, PhotoDecodersBusyException busy)
    {
        context.Response.Headers.RetryAfter = ((int)Math.Ceiling(busy.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return new()
        {
            Status = StatusCodes.Status503ServiceUnavailable,
            Title = "Every image decoder is busy",
            Detail = busy.Message,
        };
    }
}
