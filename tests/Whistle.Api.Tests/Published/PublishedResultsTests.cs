using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Whistle.Api.Features.Access;
using Whistle.Api.Tests.Geo;
using Whistle.Api.Tests.Infrastructure;
using Whistle.Api.Tests.Photos;

namespace Whistle.Api.Tests.Published;

/// <summary>
/// The published results list (实效清单) as a resident meets it, without a credential: finished orders with their before
/// and after photos and the district's figures, and nothing a private field holds — every published byte is searched
/// for the reporter's name, phone and e-mail, the exact position and address, the report's text and a withdrawn photo.
/// </summary>
public class PublishedResultsTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    private const string Grid = "ST01-C01-G01";
    private const string FirstName = "Guiying";
    private const string LastName = "Ouyangxiu";
    private const string Phone = "13912345678";
    private const string Email = "guiying.ouyang@example.cn";
    private const string Address = "和平路17号2单元301室 Flat 301, Unit 2, 17 Heping Road";
    private const string Description = "楼道堆满垃圾 Rubbish piled in the stairwell of my building";

    private string AppKey => _appKey ??= app.CreateKey(new NewCredential(Role.ReportingApp, "FixMyStreet Hohhot"));
    private string? _appKey;

    private static (string Lat, string Long) Spot(int salt)
    {
        var centre = GeoSteps.CentreOf(Grid);
        return ((Math.Round(centre.Latitude, 4) + 0.000137 + salt * 0.0000001).ToString("R", CultureInfo.InvariantCulture),
            (Math.Round(centre.Longitude, 4) + 0.000291).ToString("R", CultureInfo.InvariantCulture));
    }

    /// <summary>A report through Open311 with a before photo, resolved with an after photo and evaluated satisfied.</summary>
    private async Task<(Guid Id, string Code, string Lat, string Long, JsonArray Photos)> FinishedAsync(int salt, string category = "garbage")
    {
        var (lat, lon) = Spot(salt);
        var form = new MultipartFormDataContent("published-test");
        foreach (var (name, value) in new Dictionary<string, string>
        {
            ["api_key"] = AppKey,
            ["service_code"] = category,
            ["lat"] = lat,
            ["long"] = lon,
            ["address_string"] = Address,
            ["description"] = Description,
            ["first_name"] = FirstName,
            ["last_name"] = LastName,
            ["phone"] = Phone,
            ["email"] = Email,
        })
        {
            form.Add(new StringContent(value, Encoding.UTF8), name);
        }
        var photo = new ByteArrayContent(Images.JpegWithGps(40.8, 111.7));
        photo.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("image/jpeg");
        form.Add(photo, "photo1", "photo1.jpg");
        var filed = await app.AnonymousClient().PostAsync("/open311/v2/requests.json", form);
        Assert.True(filed.IsSuccessStatusCode, await filed.Content.ReadAsStringAsync());
        var code = JsonNode.Parse(await filed.Content.ReadAsStringAsync())![0]!["service_request_id"]!.GetValue<string>();

        var admin = app.CreateClient();
        var id = (await admin.GetFromJsonAsync<JsonObject>($"/api/v1/orders/{code}"))!["id"]!.GetValue<Guid>();
        await admin.Whistle(id);
        await admin.Acknowledge(id);
        var upload = await admin.Upload($"/api/v1/orders/{id}/photos", PhotoForms.Form(stage: "resolution", files: Images.Png()));
        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        await admin.Act(id, "resolve", new { result = "清理完毕 Cleared" });
        await admin.Evaluate(id, "satisfied");
        var photos = (await admin.GetFromJsonAsync<JsonObject>($"/api/v1/orders/{id}"))!["photos"]!.AsArray();
        return (id, code, lat, lon, photos);
    }

    private static async Task<(JsonObject Page, string Body)> ListAsync(HttpClient client, string query = "")
    {
        var response = await client.GetAsync("/api/v1/public/results" + query);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(HttpStatusCode.OK == response.StatusCode, body);
        return (JsonNode.Parse(body)!.AsObject(), body);
    }

    private static JsonObject? Item(JsonObject page, string code) =>
        page["items"]!.AsArray().Select(i => i!.AsObject()).FirstOrDefault(i => i["code"]!.GetValue<string>() == code);

    [Fact]
    public async Task A_finished_report_is_published_with_its_photos_and_nothing_private()
    {
        var resident = app.AnonymousClient();
        var (id, code, lat, lon, photos) = await FinishedAsync(1);
        var (withdrawnId, withdrawnCode, _, _, withdrawnPhotos) = await FinishedAsync(2);
        var withdrawn = withdrawnPhotos.First(p => p!["stage"]!.GetValue<string>() == "discovery")!["id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await app.CreateClient().Post($"/api/v1/photos/{withdrawn}/withdraw", new { reason = "Shows a neighbour's face" })).StatusCode);

        var (page, body) = await ListAsync(resident, "?limit=100");
        var item = Item(page, code)!;
        Assert.Equal(("garbage", "ST01", "ST01-C01", "satisfied"), (item["categoryCode"]!.GetValue<string>(), item["streetCode"]!.GetValue<string>(),
            item["communityCode"]!.GetValue<string>(), item["rating"]!.GetValue<string>()));
        Assert.Equal("清理完毕 Cleared", item["result"]!.GetValue<string>());
        // About 100 m: three decimals, never the exact place.
        Assert.Equal(Math.Round(double.Parse(lat, CultureInfo.InvariantCulture), 3), item["position"]!["latitude"]!.GetValue<double>());
        Assert.Equal(Math.Round(double.Parse(lon, CultureInfo.InvariantCulture), 3), item["position"]!["longitude"]!.GetValue<double>());
        Assert.Equal(["discovery", "resolution"], item["photos"]!.AsArray().Select(p => p!["stage"]!.GetValue<string>()));
        Assert.NotNull(page["figures"]!["completionRate"]);

        // Every published byte: the list, the other result, the page, the photos' URLs.
        var published = body + await resident.GetStringAsync("/results") + await resident.GetStringAsync("/results/results.js");
        foreach (var secret in new[] { FirstName, LastName, Phone, Email, lat, lon, Address, "和平路", Description, withdrawn, id.ToString(), withdrawnId.ToString(), "FixMyStreet" })
        {
            Assert.DoesNotContain(secret, published, StringComparison.Ordinal);
        }
        Assert.DoesNotContain(withdrawn, Item(page, withdrawnCode)!.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await resident.GetAsync($"/api/v1/public/photos/{withdrawn}")).StatusCode);
        foreach (var url in item["photos"]!.AsArray().SelectMany(p => new[] { p!["url"]!.GetValue<string>(), p["thumbnailUrl"]!.GetValue<string>() }))
        {
            var image = await resident.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, image.StatusCode);
            Assert.StartsWith("image/", image.Content.Headers.ContentType!.MediaType, StringComparison.Ordinal);
        }
        // The photos an order carries that are not published (none here but the withdrawn one) stay unreachable too.
        Assert.All(photos, p => Assert.NotEqual(withdrawn, p!["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task The_list_is_filtered_paged_and_cacheable()
    {
        var resident = app.AnonymousClient();
        var first = await FinishedAsync(3);
        var second = await FinishedAsync(4);

        Assert.NotNull(Item((await ListAsync(resident, "?streetCode=ST01&communityCode=ST01-C01&categoryCode=garbage&month=2026-03&limit=100")).Page, first.Code));
        Assert.Null(Item((await ListAsync(resident, "?streetCode=ST02&limit=100")).Page, first.Code));
        Assert.Null(Item((await ListAsync(resident, "?month=2026-04&limit=100")).Page, first.Code));
        Assert.Null(Item((await ListAsync(resident, "?categoryCode=illegal-construction&limit=100")).Page, first.Code));
        Assert.Equal(HttpStatusCode.BadRequest, (await resident.GetAsync("/api/v1/public/results?month=March")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await resident.GetAsync("/api/v1/public/results?limit=0")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await resident.GetAsync("/api/v1/public/results?cursor=forged")).StatusCode);

        var one = (await ListAsync(resident, "?limit=1")).Page;
        var next = one["nextCursor"]!.GetValue<string>();
        var two = (await ListAsync(resident, $"?limit=1&cursor={next}")).Page;
        Assert.NotEqual(one["items"]![0]!["code"]!.GetValue<string>(), two["items"]![0]!["code"]!.GetValue<string>());
        Assert.Equal(second.Code, one["items"]![0]!["code"]!.GetValue<string>());

        var response = await resident.GetAsync("/api/v1/public/results");
        var etag = response.Headers.ETag!.Tag;
        using var again = new HttpRequestMessage(HttpMethod.Get, "/api/v1/public/results");
        again.Headers.TryAddWithoutValidation("If-None-Match", etag);
        Assert.Equal(HttpStatusCode.NotModified, (await resident.SendAsync(again)).StatusCode);
    }

    [Fact]
    public async Task An_admin_holds_an_order_back_and_keeps_a_category_private()
    {
        var resident = app.AnonymousClient();
        var admin = app.CreateClient();
        var held = await FinishedAsync(5);
        var photo = Item((await ListAsync(resident, "?limit=100")).Page, held.Code)!["photos"]![0]!["url"]!.GetValue<string>();

        var hold = await admin.PutAsJsonAsync($"/api/v1/orders/{held.Id}/publication", new { withheld = true, reason = "A private home" });
        Assert.Equal(HttpStatusCode.OK, hold.StatusCode);
        Assert.Null(Item((await ListAsync(resident, "?limit=100")).Page, held.Code));
        Assert.Equal(HttpStatusCode.NotFound, (await resident.GetAsync(photo)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/v1/orders/{held.Id}/publication", new { withheld = false })).StatusCode);
        Assert.NotNull(Item((await ListAsync(resident, "?limit=100")).Page, held.Code));

        var community = app.ClientAs(Role.Community, community: "ST01-C01");
        Assert.Equal(HttpStatusCode.Forbidden, (await community.PutAsJsonAsync($"/api/v1/orders/{held.Id}/publication", new { withheld = true, reason = "mine" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PutAsJsonAsync($"/api/v1/orders/{held.Id}/publication", new { withheld = true })).StatusCode);

        var privateOne = await FinishedAsync(6, category: "noise");
        Assert.NotNull(Item((await ListAsync(resident, "?limit=100")).Page, privateOne.Code));
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync("/api/v1/categories/noise/publication", new { @private = true })).StatusCode);
        Assert.Null(Item((await ListAsync(resident, "?limit=100")).Page, privateOne.Code));
        var (page, _) = await ListAsync(resident, "?categoryCode=noise");
        Assert.Empty(page["items"]!.AsArray());
        Assert.Null(page["figures"]);
    }

    [Fact]
    public async Task The_page_is_served_from_the_assembly_chinese_first_without_a_cdn()
    {
        var resident = app.AnonymousClient();
        var page = await resident.GetAsync("/results");
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<html lang=\"zh-CN\">", html);
        Assert.Contains("实效清单", html);
        Assert.DoesNotContain("//cdn", html + await resident.GetStringAsync("/results/results.js"), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("default-src 'none'", page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal(HttpStatusCode.NotFound, (await resident.GetAsync("/results/secrets.js")).StatusCode);
    }
}
