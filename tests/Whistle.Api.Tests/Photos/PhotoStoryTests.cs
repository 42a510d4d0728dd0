using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Api.Features.Access;
using Whistle.Api.Features.Photos;

using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Photos;

/// <summary>
/// The "done when", end to end on whichever store the app is configured with: a grid worker
/// files with two phone photos in one retried request; the department sees them, adds its after
/// photo and resolves; another department gets 404; the stored bytes carry no EXIF; bad files are
/// refused cleanly; an admin withdraws a photo; the sweep erases only what nothing refers to.
/// </summary>
public abstract class PhotoStoryTests<TApp>(TApp app) where TApp : WhistleApp
{
    protected TApp App { get; } = app;

    // Hohhot, about 60 m from the order's location in Filing.Valid, and Baotou, 150 km away.
    private const double NearLatitude = 40.8429, NearLongitude = 111.7496;

    private HttpClient GridWorker() => App.ClientAs(Role.GridWorker, grids: ["ST01-C01-G01"], name: "grid worker Wang");

    private async Task<PhotoOrder> FileWithPhotos(HttpClient client, string category, params byte[][] files)
    {
        var response = await client.Upload("/api/v1/orders", PhotoForms.Form(Filing.Valid(category), null, files));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await response.Read<PhotoOrder>();
    }

    protected async Task A_grid_worker_files_with_two_phone_photos_in_one_retried_request_and_the_department_proves_its_fixAsync()
    {
        var worker = GridWorker();
        var key = Guid.NewGuid().ToString();
        byte[][] photos = [Images.RotatedJpeg(400, 200), Images.JpegWithGps(NearLatitude, NearLongitude)];

        var first = await worker.Upload("/api/v1/orders", PhotoForms.Form(Filing.Valid("manhole-cover"), null, photos), key);
        var retry = await worker.Upload("/api/v1/orders", PhotoForms.Form(Filing.Valid("manhole-cover"), null, photos), key);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
        var filed = await first.Read<PhotoOrder>();
        Assert.Equal(filed.Id, (await retry.Read<PhotoOrder>()).Id);

        Assert.Equal(2, filed.Photos.Length);
        var (rotated, located) = (filed.Photos[0], filed.Photos[1]);
        // Stored upright: the landscape pixels with orientation 6 become a portrait photo.
        Assert.Equal((200, 400), (rotated.Width, rotated.Height));
        Assert.Null(rotated.Location);
        Assert.Equal("discovery", rotated.Stage);
        Assert.Equal("grid worker Wang", rotated.AddedBy);
        Assert.Equal(NearLatitude, located.Location!.Latitude, 4);
        Assert.Equal(NearLongitude, located.Location.Longitude, 4);
        // 08:15:30 on the phone's clock, in Hohhot (UTC+8).
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 0, 15, 30, TimeSpan.Zero), located.TakenAt);
        Assert.False(located.FarFromOrder);

        // The department it is whistled to sees the photos and fetches them with its own key.
        await App.CreateClient().Whistle(filed.Id, "municipal");
        var department = App.ClientAs(Role.Department, department: "municipal");
        await department.Acknowledge(filed.Id);
        var seen = await (await department.GetAsync($"/api/v1/orders/{filed.Id}")).Read<PhotoOrder>();
        Assert.Equal(filed.Photos.Select(p => p.Id), seen.Photos.Select(p => p.Id));
        var image = await department.GetAsync(rotated.Url);
        Assert.Equal(HttpStatusCode.OK, image.StatusCode);
        Assert.Equal("image/jpeg", image.Content.Headers.ContentType!.MediaType);
        Assert.Equal("nosniff", image.Headers.GetValues("X-Content-Type-Options").Single());
        var stored = await image.Content.ReadAsByteArrayAsync();
        using (var decoded = Images.Read(stored))
        {
            Assert.Equal((200u, 400u), (decoded.Width, decoded.Height));
            // No metadata survives: no EXIF (so no GPS, no camera), no XMP.
            Assert.Null(decoded.GetExifProfile());
            Assert.Null(decoded.GetXmpProfile());
        }
        var gpsBytes = await (await department.GetAsync(located.Url)).Content.ReadAsByteArrayAsync();
        using (var decoded = Images.Read(gpsBytes))
        {
            Assert.Null(decoded.GetExifProfile());
        }
        Assert.Equal(HttpStatusCode.OK, (await department.GetAsync(rotated.ThumbnailUrl)).StatusCode);

        // A manhole cover needs the after photo: resolving without one says so.
        var refused = await department.Post($"/api/v1/orders/{filed.Id}/resolve", new { result = "Cover replaced" });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("resolution photo", await refused.Content.ReadAsStringAsync());
        var after = await department.Upload($"/api/v1/orders/{filed.Id}/photos", PhotoForms.Form(null, "resolution", Images.Png()));
        Assert.Equal(HttpStatusCode.Created, after.StatusCode);
        var added = await after.Read<AddedPhotos>();
        Assert.Equal("resolution", added.Photos.Single().Stage);
        Assert.Equal("image/jpeg", added.Photos.Single().ContentType);
        Assert.Equal(3, added.Order.Photos.Length);
        var resolved = await department.Act(filed.Id, "resolve", new { result = "Cover replaced" });
        Assert.Equal("resolved", resolved.State);

        // Another department: the photos are not found, exactly as the order.
        var other = App.ClientAs(Role.Department, department: "sanitation");
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync(rotated.Url)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync(rotated.ThumbnailUrl)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/api/v1/orders/{filed.Id}")).StatusCode);

        // History records who added which photos.
        var history = await App.CreateClient().History(filed.Id);
        Assert.Equal($"{rotated.Id} {located.Id}", history[0].Details["photos"]);
        Assert.Contains(history, e => e.Action == "add-photos" && e.Details["photos"] == added.Photos.Single().Id.ToString());
    }

    protected async Task A_photo_taken_far_from_the_order_is_flagged_not_refusedAsync()
    {
        var filed = await FileWithPhotos(GridWorker(), "garbage", Images.JpegWithGps(40.6571, 109.8404));
        Assert.True(filed.Photos.Single().FarFromOrder);
    }

    protected async Task A_bomb_a_fake_jpeg_a_truncated_file_an_oversized_body_and_an_eleventh_photo_are_refused_and_store_nothingAsync()
    {
        var worker = GridWorker();
        var order = await FileWithPhotos(worker, "garbage");
        var path = $"/api/v1/orders/{order.Id}/photos";

        var bomb = await worker.Upload(path, PhotoForms.Form(null, "discovery", Images.Bomb()));
        Assert.Equal(HttpStatusCode.BadRequest, bomb.StatusCode);
        Assert.Contains("60000×60000 pixels", await bomb.Content.ReadAsStringAsync());

        var fake = await worker.Upload(path, PhotoForms.Form(null, "discovery", Images.FakeJpeg()));
        Assert.Equal(HttpStatusCode.BadRequest, fake.StatusCode);
        Assert.Contains("is not a JPEG, PNG, WebP or HEIC image", await fake.Content.ReadAsStringAsync());

        var truncated = await worker.Upload(path, PhotoForms.Form(null, "discovery", Images.TruncatedJpeg()));
        Assert.Equal(HttpStatusCode.BadRequest, truncated.StatusCode);

        var oversized = await worker.Upload(path, PhotoForms.Form(null, "discovery", new byte[26 * 1024 * 1024]));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, oversized.StatusCode);
        Assert.Contains("\"title\":\"Content too large\"", await oversized.Content.ReadAsStringAsync());

        var ten = Enumerable.Range(0, 10).Select(i => Images.Png(40 + i, 40)).ToArray();
        Assert.Equal(HttpStatusCode.Created, (await worker.Upload(path, PhotoForms.Form(null, "discovery", ten))).StatusCode);
        var eleventh = await worker.Upload(path, PhotoForms.Form(null, "discovery", Images.Png(99, 99, ImageMagick.MagickColors.Gold)));
        Assert.Equal(HttpStatusCode.Conflict, eleventh.StatusCode);
        Assert.Contains("at most 10 photos", await eleventh.Content.ReadAsStringAsync());

        var after = await App.CreateClient().GetAsync($"/api/v1/orders/{order.Id}");
        Assert.Equal(10, (await after.Read<PhotoOrder>()).Photos.Length);
    }

    protected async Task A_stage_is_added_only_by_its_roles_and_only_when_the_order_takes_itAsync()
    {
        var worker = GridWorker();
        var order = await FileWithPhotos(worker, "garbage");
        var resolution = await worker.Upload($"/api/v1/orders/{order.Id}/photos", PhotoForms.Form(null, "resolution", Images.Png()));
        Assert.Equal(HttpStatusCode.Forbidden, resolution.StatusCode);
        var evaluation = await worker.Upload($"/api/v1/orders/{order.Id}/photos", PhotoForms.Form(null, "evaluation", Images.Png()));
        Assert.Equal(HttpStatusCode.Conflict, evaluation.StatusCode);
        Assert.Contains("takes no evaluation photos", await evaluation.Content.ReadAsStringAsync());
    }

    protected async Task A_photo_is_revalidated_by_its_hash_and_served_in_rangesAsync()
    {
        var order = await FileWithPhotos(GridWorker(), "garbage", Images.JpegWithGps(NearLatitude, NearLongitude));
        var client = App.CreateClient();
        var url = order.Photos.Single().Url!;
        var full = await client.GetAsync(url);
        var bytes = await full.Content.ReadAsByteArrayAsync();
        var etag = full.Headers.ETag!;
        Assert.False(etag.IsWeak);
        Assert.Equal($"\"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))}\"", etag.Tag);
        var cache = full.Headers.CacheControl!;
        Assert.True(cache.Private);
        Assert.Contains(cache.Extensions, e => e.Name == "immutable");

        var again = new HttpRequestMessage(HttpMethod.Get, url);
        again.Headers.IfNoneMatch.Add(etag);
        Assert.Equal(HttpStatusCode.NotModified, (await client.SendAsync(again)).StatusCode);

        var part = new HttpRequestMessage(HttpMethod.Get, url);
        part.Headers.Range = new RangeHeaderValue(10, 19);
        var partial = await client.SendAsync(part);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(bytes[10..20], await partial.Content.ReadAsByteArrayAsync());
    }

    protected async Task An_admin_withdraws_a_photo_its_bytes_are_erased_and_the_history_keeps_it_as_withdrawnAsync()
    {
        // Pixels no other test stores: the same image elsewhere would keep its bytes (they are stored once).
        var order = await FileWithPhotos(GridWorker(), "garbage", Images.Png(131, 77, ImageMagick.MagickColors.Coral));
        var photo = order.Photos.Single();
        var admin = App.CreateClient();
        var image = await (await admin.GetAsync(photo.Url)).Content.ReadAsByteArrayAsync();

        var withdrawn = await admin.Post($"/api/v1/photos/{photo.Id}/withdraw", new { reason = "Shows a resident's face" });
        Assert.Equal(HttpStatusCode.OK, withdrawn.StatusCode);
        var after = (await withdrawn.Read<PhotoOrder>()).Photos.Single();
        Assert.True(after.Withdrawn);
        Assert.Null(after.Url);
        Assert.Equal(HttpStatusCode.Gone, (await admin.GetAsync(photo.Url)).StatusCode);
        var store = App.Services.GetRequiredService<IPhotoStore>();
        await using var scope = App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<Persistence.WhistleDbContext>();
        await Eventually(async () => await store.GetAsync(db, PhotoProcessor.Hash(image), CancellationToken.None) is null);
        var history = await admin.History(order.Id);
        Assert.Contains(history, e => e.Action == "withdraw-photo" && e.Details["photo"] == photo.Id.ToString() && e.Details["reason"] == "Shows a resident's face");

        var worker = GridWorker();
        Assert.Equal(HttpStatusCode.Forbidden, (await worker.Post($"/api/v1/photos/{photo.Id}/withdraw", new { reason = "mine" })).StatusCode);
    }

    protected async Task The_sweep_erases_stored_bytes_nothing_refers_to_and_keeps_the_restAsync()
    {
        var order = await FileWithPhotos(GridWorker(), "garbage", Images.JpegWithGps(NearLatitude, NearLongitude, "2026:01:05 09:00:00"));
        var store = App.Services.GetRequiredService<IPhotoStore>();
        await using var scope = App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<Persistence.WhistleDbContext>();
        // What a request that failed after writing its bytes leaves behind.
        var orphan = Images.Png(77, 33, ImageMagick.MagickColors.Purple);
        var orphanHash = PhotoProcessor.Hash(orphan);
        await store.PutAsync(db, orphanHash, "image/png", orphan, CancellationToken.None);

        var sweep = App.Services.GetRequiredService<PhotoSweep>();
        Assert.NotNull(await store.GetAsync(db, orphanHash, CancellationToken.None));
        await AgePastSweep();
        Assert.True(await sweep.RunOnceAsync(CancellationToken.None) >= 1);
        Assert.Null(await store.GetAsync(db, orphanHash, CancellationToken.None));
        Assert.Equal(HttpStatusCode.OK, (await App.CreateClient().GetAsync(order.Photos.Single().Url)).StatusCode);
    }

    /// <summary>Makes what is stored now older than the sweep's grace period, by the store's own clock.</summary>
    protected abstract Task AgePastSweep();

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        // The object store's erase runs once the response is sent: observed, not slept for.
        for (var i = 0; i < 100 && !await condition(); i++)
        {
            await Task.Delay(50);
        }
        Assert.True(await condition());
    }
}

/// <summary>The story on the default store, PostgreSQL.</summary>
public sealed class DatabasePhotoStoryTests(WhistleApp app) : PhotoStoryTests<WhistleApp>(app), IClassFixture<WhistleApp>
{
    [Fact]
    public async Task The_workflow_shows_who_adds_which_photos_and_the_categories_say_which_need_the_after_photo()
    {
        var client = App.CreateClient();
        var photos = System.Text.Json.Nodes.JsonNode.Parse(await client.GetStringAsync("/api/v1/workflow"))!["photos"]!;
        Assert.Equal(10, photos["maxPerOrder"]!.GetValue<int>());
        var resolution = photos["stages"]!.AsArray().Single(s => s!["stage"]!.GetValue<string>() == "resolution")!;
        Assert.Equal(["department", "admin"], resolution["roles"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Equal(["acknowledged", "resolved"], resolution["states"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Contains("requiresResolutionPhoto", photos["resolveRule"]!.GetValue<string>());
        var categories = System.Text.Json.Nodes.JsonNode.Parse(await client.GetStringAsync("/api/v1/categories"))!.AsArray();
        Assert.True(categories.Single(c => c!["code"]!.GetValue<string>() == "manhole-cover")!["requiresResolutionPhoto"]!.GetValue<bool>());
        Assert.False(categories.Single(c => c!["code"]!.GetValue<string>() == "garbage")!["requiresResolutionPhoto"]!.GetValue<bool>());
    }

    protected override Task AgePastSweep()
    {
        App.Clock.Advance(TimeSpan.FromHours(1));
        return Task.CompletedTask;
    }

    [Fact]
    public Task A_grid_worker_files_with_two_phone_photos_in_one_retried_request_and_the_department_proves_its_fix() => A_grid_worker_files_with_two_phone_photos_in_one_retried_request_and_the_department_proves_its_fixAsync();

    [Fact]
    public Task A_photo_taken_far_from_the_order_is_flagged_not_refused() => A_photo_taken_far_from_the_order_is_flagged_not_refusedAsync();

    [Fact]
    public Task A_bomb_a_fake_jpeg_a_truncated_file_an_oversized_body_and_an_eleventh_photo_are_refused_and_store_nothing() => A_bomb_a_fake_jpeg_a_truncated_file_an_oversized_body_and_an_eleventh_photo_are_refused_and_store_nothingAsync();

    [Fact]
    public Task A_stage_is_added_only_by_its_roles_and_only_when_the_order_takes_it() => A_stage_is_added_only_by_its_roles_and_only_when_the_order_takes_itAsync();

    [Fact]
    public Task A_photo_is_revalidated_by_its_hash_and_served_in_ranges() => A_photo_is_revalidated_by_its_hash_and_served_in_rangesAsync();

    [Fact]
    public Task An_admin_withdraws_a_photo_its_bytes_are_erased_and_the_history_keeps_it_as_withdrawn() => An_admin_withdraws_a_photo_its_bytes_are_erased_and_the_history_keeps_it_as_withdrawnAsync();

    [Fact]
    public Task The_sweep_erases_stored_bytes_nothing_refers_to_and_keeps_the_rest() => The_sweep_erases_stored_bytes_nothing_refers_to_and_keeps_the_restAsync();
}

/// <summary>The same story with Whistle__Photos__Store=s3, against a real S3-protocol server (s3rver).</summary>
public sealed class S3PhotoStoryTests(S3App app) : PhotoStoryTests<S3App>(app), IClassFixture<S3App>
{
    // The object store's ages are its server's clock, in whole seconds; the app's grace period is one second.
    protected override Task AgePastSweep() => Task.Delay(TimeSpan.FromSeconds(2.5));

    [S3Fact]
    public Task A_grid_worker_files_with_two_phone_photos_in_one_retried_request_and_the_department_proves_its_fix() => A_grid_worker_files_with_two_phone_photos_in_one_retried_request_and_the_department_proves_its_fixAsync();

    [S3Fact]
    public Task A_photo_taken_far_from_the_order_is_flagged_not_refused() => A_photo_taken_far_from_the_order_is_flagged_not_refusedAsync();

    [S3Fact]
    public Task A_bomb_a_fake_jpeg_a_truncated_file_an_oversized_body_and_an_eleventh_photo_are_refused_and_store_nothing() => A_bomb_a_fake_jpeg_a_truncated_file_an_oversized_body_and_an_eleventh_photo_are_refused_and_store_nothingAsync();

    [S3Fact]
    public Task A_stage_is_added_only_by_its_roles_and_only_when_the_order_takes_it() => A_stage_is_added_only_by_its_roles_and_only_when_the_order_takes_itAsync();

    [S3Fact]
    public Task A_photo_is_revalidated_by_its_hash_and_served_in_ranges() => A_photo_is_revalidated_by_its_hash_and_served_in_rangesAsync();

    [S3Fact]
    public Task An_admin_withdraws_a_photo_its_bytes_are_erased_and_the_history_keeps_it_as_withdrawn() => An_admin_withdraws_a_photo_its_bytes_are_erased_and_the_history_keeps_it_as_withdrawnAsync();

    [S3Fact]
    public Task The_sweep_erases_stored_bytes_nothing_refers_to_and_keeps_the_rest() => The_sweep_erases_stored_bytes_nothing_refers_to_and_keeps_the_restAsync();
}
