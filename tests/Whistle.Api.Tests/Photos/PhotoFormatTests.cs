using System.Net;
using ImageMagick;
using Whistle.Api.Features.Access;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Photos;

/// <summary>
/// Phones send HEIC and some apps WebP: each is judged by its bytes, decoded, and stored as a JPEG with its
/// capture time and GPS fix kept as fields. The HEIC fixture is gps.jpg encoded by libheif's heif-enc (x265),
/// which copied its EXIF: ImageMagick here decodes HEIC but cannot encode it.
/// </summary>
public sealed class PhotoFormatTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    private static byte[] Fixture(string name) => File.ReadAllBytes(Path.Combine(Repository.Root, "tests", "Whistle.Api.Tests", "Photos", "Fixtures", name));

    private async Task<Photo> Upload(byte[] file)
    {
        var worker = app.ClientAs(Role.GridWorker, grids: ["ST01-C01-G01"]);
        var order = await worker.File(grid: "ST01-C01-G01");
        var response = await worker.Upload($"/api/v1/orders/{order.Id}/photos", PhotoForms.Form(null, "discovery", file));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Read<AddedPhotos>()).Photos.Single();
    }

    [Fact]
    public async Task A_HEIC_photo_from_a_phone_is_decoded_and_stored_as_a_JPEG_with_the_same_time_and_place_as_its_JPEG_original()
    {
        var heic = Fixture("gps.heic");
        Assert.Equal("ftypheic", System.Text.Encoding.ASCII.GetString(heic, 4, 8));

        var fromJpeg = await Upload(Fixture("gps.jpg"));
        var fromHeic = await Upload(heic);

        Assert.Equal("image/jpeg", fromHeic.ContentType);
        Assert.Equal((fromJpeg.Width, fromJpeg.Height), (fromHeic.Width, fromHeic.Height));
        Assert.NotNull(fromJpeg.TakenAt);
        Assert.Equal(fromJpeg.TakenAt, fromHeic.TakenAt);
        Assert.NotNull(fromHeic.Location);
        Assert.Equal(fromJpeg.Location!.Latitude, fromHeic.Location!.Latitude, 6);
        Assert.Equal(fromJpeg.Location.Longitude, fromHeic.Location.Longitude, 6);
        var stored = await app.CreateClient().GetByteArrayAsync(fromHeic.Url);
        using var image = new MagickImage(stored);
        Assert.Equal(MagickFormat.Jpeg, image.Format);
        Assert.Null(image.GetExifProfile());
    }

    [Fact]
    public async Task A_WebP_photo_is_decoded_and_stored_as_a_JPEG()
    {
        using var source = new MagickImage(MagickColors.OliveDrab, 300, 200) { Format = MagickFormat.WebP };
        var webp = source.ToByteArray();
        Assert.Equal("WEBP", System.Text.Encoding.ASCII.GetString(webp, 8, 4));

        var photo = await Upload(webp);

        Assert.Equal(("image/jpeg", 300, 200), (photo.ContentType, photo.Width, photo.Height));
        using var image = new MagickImage(await app.CreateClient().GetByteArrayAsync(photo.Url));
        Assert.Equal(MagickFormat.Jpeg, image.Format);
    }
}
