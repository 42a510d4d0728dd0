using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Whistle.Api.Features.Access;
using Whistle.Api.Tests.Geo;
using Whistle.Api.Tests.Infrastructure;
using Whistle.Api.Tests.Photos;

namespace Whistle.Api.Tests.Open311;

/// <summary>
/// Open311 as FixMyStreet speaks it: every answer read by a strict client (<see cref="StrictOpen311"/>), a whole
/// conversation from the services to the reporter's own update, the errors in Open311's form, media_url only from
/// allowed hosts, and the reporter never echoed.
/// </summary>
public class Open311Tests(Open311Tests.App app) : IClassFixture<Open311Tests.App>
{
    private const string Grid = "ST01-C01-G01";
    // Who the resident is: none of it may leave the desk.
    private const string FirstName = "Xiaoming";
    private const string LastName = "Zhangsanfeng";
    private const string Phone = "13800138000";
    private const string Email = "xiaoming.zhang@example.cn";

    public sealed class App : WhistleApp
    {
        public WebApplication? MediaHost { get; private set; }
        public string MediaUrl { get; private set; } = "";

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            // A real server for media_url, on loopback (tests allow private addresses, as webhook tests do).
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            MediaHost = builder.Build();
            var jpeg = Images.JpegWithGps(40.8, 111.7);
            MediaHost.MapGet("/photo.jpg", () => Results.Bytes(jpeg, "image/jpeg"));
            await MediaHost.StartAsync();
            MediaUrl = MediaHost.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/photo.jpg";
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Whistle:Open311:MediaHosts:0", "127.0.0.1");
        }

        public override async ValueTask DisposeAsync()
        {
            if (MediaHost is not null)
            {
                await MediaHost.DisposeAsync();
            }
            await base.DisposeAsync();
        }
    }

    private string AppKey => _appKey ??= app.CreateKey(new NewCredential(Role.ReportingApp, "FixMyStreet Hohhot"));
    private string? _appKey;

    private static string Position(double degrees) => degrees.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>An exact position in the grid, with more digits than any published one keeps.</summary>
    private static (string Lat, string Long) Spot()
    {
        var centre = GeoSteps.CentreOf(Grid);
        return (Position(Math.Round(centre.Latitude, 4) + 0.000123), Position(Math.Round(centre.Longitude, 4) + 0.000234));
    }

    private static Dictionary<string, string> Report(string key, string description = "垃圾桶满溢 Overflowing bins\n\nBy the east gate, three days now.") =>
        new()
        {
            ["api_key"] = key,
            ["jurisdiction_id"] = "hohhot",
            ["service_code"] = "garbage",
            ["lat"] = Spot().Lat,
            ["long"] = Spot().Long,
            ["address_string"] = "幸福小区3号楼 Building 3, Xingfu Garden",
            ["description"] = description,
            ["first_name"] = FirstName,
            ["last_name"] = LastName,
            ["email"] = Email,
            ["phone"] = Phone,
            ["deviceid"] = "device-7f3a",
            ["account_id"] = "fms-42",
        };

    private static MultipartFormDataContent Multipart(Dictionary<string, string> fields, params byte[][] photos)
    {
        var form = new MultipartFormDataContent("open311-test-boundary");
        foreach (var (name, value) in fields)
        {
            form.Add(new StringContent(value, Encoding.UTF8), name);
        }
        for (var i = 0; i < photos.Length; i++)
        {
            var part = new ByteArrayContent(photos[i]);
            part.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("image/jpeg");
            // FixMyStreet names its parts photo1, photo2, …
            form.Add(part, $"photo{i + 1}", $"photo{i + 1}.jpg");
        }
        return form;
    }

    private async Task<string> FileAsync(HttpClient client, HttpContent content, string format = "xml")
    {
        var response = await client.PostAsync($"/open311/v2/requests.{format}", content);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(HttpStatusCode.OK == response.StatusCode, body);
        if (format == "json")
        {
            return StrictOpen311.Json(body, "service_requests", StrictOpen311.Mode.Created)[0].GetProperty("service_request_id").GetString()!;
        }
        var root = StrictOpen311.Xml(body, "service_requests", StrictOpen311.Mode.Created);
        return Assert.Single(root.Elements("request")).Element("service_request_id")!.Value;
    }

    private static async Task<System.Xml.Linq.XElement> GetXml(HttpClient client, string path, string root)
    {
        var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(HttpStatusCode.OK == response.StatusCode, body);
        Assert.Equal("text/xml", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
        // The JSON twin says the same and keeps to the same shapes.
        var twin = await client.GetAsync(path.Replace(".xml", ".json", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, twin.StatusCode);
        StrictOpen311.Json(await twin.Content.ReadAsStringAsync(), root);
        return StrictOpen311.Xml(body, root);
    }

    [Fact]
    public async Task A_FixMyStreet_conversation_from_services_to_the_reporters_update()
    {
        var fms = app.AnonymousClient();
        var admin = app.CreateClient();
        var sanitation = app.ClientAs(Role.Department, department: "sanitation", name: "sanitation desk");

        var discovery = await GetXml(fms, "/open311/v2/discovery.xml", "discovery");
        Assert.EndsWith("/open311/v2/", discovery.Element("endpoints")!.Element("endpoint")!.Element("url")!.Value);
        var services = await GetXml(fms, "/open311/v2/services.xml?jurisdiction_id=hohhot", "services");
        var garbage = services.Elements("service").Single(s => s.Element("service_code")!.Value == "garbage");
        Assert.Equal("垃圾清运不及时", garbage.Element("service_name")!.Value);
        Assert.Equal("true", garbage.Element("metadata")!.Value);
        Assert.Null(garbage.Element("keywords"));
        var definition = await GetXml(fms, "/open311/v2/services/garbage.xml", "service_definition");
        Assert.Equal(["title", "priority", "coordinate_system"], definition.Element("attributes")!.Elements().Select(a => a.Element("code")!.Value));

        // The report, with a photo, as multipart.
        var id = await FileAsync(fms, Multipart(Report(AppKey), Images.JpegWithGps(40.8, 111.7)));
        Assert.Matches("^WS-[0-9]{7}$", id);
        var request = Assert.Single((await GetXml(fms, $"/open311/v2/requests/{id}.xml?api_key={AppKey}", "service_requests")).Elements());
        Assert.Equal((id, "open", "garbage"), (request.Element("service_request_id")!.Value, request.Element("status")!.Value, request.Element("service_code")!.Value));
        Assert.DoesNotContain(FirstName, request.ToString());
        Assert.DoesNotContain(Phone, request.ToString());

        // In the desk: the order, its photo, its reporter (for the desk only).
        var order = await admin.Get((await admin.GetFromJsonAsync<JsonObject>($"/api/v1/orders/{id}"))!["id"]!.GetValue<Guid>());
        Assert.Equal(("discovered", Grid, "垃圾桶满溢 Overflowing bins", "FixMyStreet Hohhot"), (order.State, order.GridCode, order.Title, order.FiledBy));
        var reporter = await admin.GetFromJsonAsync<JsonObject>($"/api/v1/orders/{id}/reporter");
        Assert.Equal((FirstName, LastName, Phone, "device-7f3a"), (reporter!["firstName"]!.GetValue<string>(), reporter["lastName"]!.GetValue<string>(),
            reporter["phone"]!.GetValue<string>(), reporter["deviceId"]!.GetValue<string>()));
        Assert.DoesNotContain(Phone, await admin.GetStringAsync($"/api/v1/orders/{order.Id}"));
        Assert.DoesNotContain(Phone, await admin.GetStringAsync($"/api/v1/orders/{order.Id}/history"));

        // The department acknowledges and resolves it, with an after photo.
        await admin.Whistle(order.Id, "sanitation");
        app.Clock.Advance(TimeSpan.FromHours(1));
        await sanitation.Acknowledge(order.Id);
        app.Clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(HttpStatusCode.Created, (await sanitation.Upload($"/api/v1/orders/{order.Id}/photos", PhotoForms.Form(stage: "resolution", files: Images.Png()))).StatusCode);
        await sanitation.Act(order.Id, "resolve", new { result = "清运完毕，加装一个垃圾桶 Emptied, and a bin added" });

        var since = Uri.EscapeDataString(WhistleApp.Start.AddDays(-1).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture));
        var updates = (await GetXml(fms, $"/open311/v2/servicerequestupdates.xml?api_key={AppKey}&start_date={since}", "service_request_updates"))
            .Elements().Where(u => u.Element("service_request_id")!.Value == id).ToList();
        Assert.Equal(["investigating", "in_progress", "fixed"], updates.Select(u => u.Element("status")!.Value));
        Assert.Contains("Emptied, and a bin added", updates[^1].Element("description")!.Value);
        Assert.All(updates, u => Assert.EndsWith("+08:00", u.Element("updated_datetime")!.Value));
        Assert.Equal(3, updates.Select(u => u.Element("update_id")!.Value).Distinct().Count());

        // The reporter thanks them, through the app.
        app.Clock.Advance(TimeSpan.FromHours(1));
        var posted = await fms.PostAsync("/open311/v2/servicerequestupdates.xml", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["api_key"] = AppKey,
            ["service_request_id"] = id,
            ["description"] = "谢谢，已经干净了 Thanks, it is clean now",
            ["status"] = "CLOSED",
            ["update_id"] = "fms-update-1",
            ["email"] = Email,
        }));
        var postedBody = await posted.Content.ReadAsStringAsync();
        Assert.True(HttpStatusCode.OK == posted.StatusCode, postedBody);
        var updateId = StrictOpen311.Xml(postedBody, "service_request_updates", StrictOpen311.Mode.Created).Element("request_update")!.Element("update_id")!.Value;
        var again = (await GetXml(fms, $"/open311/v2/servicerequestupdates.xml?api_key={AppKey}&start_date={since}", "service_request_updates"))
            .Elements().Where(u => u.Element("service_request_id")!.Value == id).ToList();
        Assert.Equal(updateId, again[^1].Element("update_id")!.Value);
        Assert.Equal(("fixed", "谢谢，已经干净了 Thanks, it is clean now"), (again[^1].Element("status")!.Value, again[^1].Element("description")!.Value));
        // The earlier updates kept their ids.
        Assert.Equal(updates.Select(u => u.Element("update_id")!.Value), again.Take(3).Select(u => u.Element("update_id")!.Value));
        Assert.Equal("reporter-update", (await admin.History(order.Id))[^1].Action);
        Assert.Equal("resolved", (await admin.Get(order.Id)).State);
    }

    [Fact]
    public async Task A_retired_category_is_listed_inactive_and_takes_no_report()
    {
        var admin = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await admin.Post("/api/v1/categories/street-vending/retire")).StatusCode);

        var services = await GetXml(app.AnonymousClient(), "/open311/v2/services.xml", "services");
        var retired = services.Elements("service").Single(s => s.Element("service_code")!.Value == "street-vending");
        Assert.Equal("inactive", retired.Element("keywords")!.Value);

        var fields = Report(AppKey);
        fields["service_code"] = "street-vending";
        var errors = await StrictOpen311.Errors(await app.AnonymousClient().PostAsync("/open311/v2/requests.xml", new FormUrlEncodedContent(fields)), 400);
        Assert.Contains(errors, e => e.StartsWith("service_code:", StringComparison.Ordinal) && e.Contains("retired", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Failures_are_Open311_errors_with_400_403_404_never_problems()
    {
        var client = app.AnonymousClient();
        var worker = app.CreateKey(new NewCredential(Role.GridWorker, "worker", GridCodes: [Grid]));

        var noKey = Report(AppKey);
        noKey.Remove("api_key");
        Assert.Contains("api_key", (await StrictOpen311.Errors(await client.PostAsync("/open311/v2/requests.xml", new FormUrlEncodedContent(noKey)), 403))[0]);
        var wrongRole = Report(worker);
        await StrictOpen311.Errors(await client.PostAsync("/open311/v2/requests.json", new FormUrlEncodedContent(wrongRole)), 403, json: true);
        await StrictOpen311.Errors(await client.PostAsync("/open311/v2/requests.xml", new FormUrlEncodedContent(Report(ApiKeys.NewKey()))), 403);
        await StrictOpen311.Errors(await client.GetAsync("/open311/v2/requests.xml"), 403);

        var addressOnly = Report(AppKey);
        addressOnly.Remove("lat");
        addressOnly.Remove("long");
        var why = await StrictOpen311.Errors(await client.PostAsync("/open311/v2/requests.xml", new FormUrlEncodedContent(addressOnly)), 400);
        Assert.Contains(why, e => e.Contains("address_string alone", StringComparison.Ordinal));
        var unknown = Report(AppKey);
        unknown["service_code"] = "no-such-service";
        Assert.Contains(await StrictOpen311.Errors(await client.PostAsync("/open311/v2/requests.json", new FormUrlEncodedContent(unknown)), 400, json: true),
            e => e.StartsWith("service_code:", StringComparison.Ordinal));
        var badLat = Report(AppKey);
        badLat["lat"] = "north";
        await StrictOpen311.Errors(await client.PostAsync("/open311/v2/requests.xml", new FormUrlEncodedContent(badLat)), 400);
        await StrictOpen311.Errors(await client.PostAsync("/open311/v2/requests.xml", new StringContent("{}", Encoding.UTF8, "application/json")), 400);

        await StrictOpen311.Errors(await client.GetAsync($"/open311/v2/requests/WS-9999999.xml?api_key={AppKey}"), 404);
        await StrictOpen311.Errors(await client.GetAsync($"/open311/v2/requests/nonsense.json?api_key={AppKey}"), 404, json: true);
        await StrictOpen311.Errors(await client.GetAsync("/open311/v2/services/no-such-service.xml"), 404);
        await StrictOpen311.Errors(await client.GetAsync($"/open311/v2/requests.xml?api_key={AppKey}&start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z"), 400);
        await StrictOpen311.Errors(await client.GetAsync($"/open311/v2/requests.xml?api_key={AppKey}&start_date=yesterday"), 400);
        await StrictOpen311.Errors(await client.GetAsync($"/open311/v2/requests.xml?api_key={AppKey}&status=pending"), 400);
        // One date at the calendar's edge: the default 90 days stop at the edge (a 500 once, found by the fuzz).
        foreach (var edge in new[] { "servicerequestupdates.json?end_date=0001-01-01", "requests.json?end_date=0001-01-01", "requests.json?start_date=9999-12-31",
            "servicerequestupdates.json?start_date=9999-12-31T23:59:59Z" })
        {
            var answer = await client.GetAsync($"/open311/v2/{edge}&api_key={AppKey}");
            Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{edge}: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
        }
        await StrictOpen311.Errors(await client.PostAsync("/open311/v2/servicerequestupdates.xml", new FormUrlEncodedContent(new Dictionary<string, string>
        { ["api_key"] = AppKey, ["service_request_id"] = "WS-9999999", ["description"] = "?" })), 404);
    }

    [Fact]
    public async Task An_app_sees_only_the_reports_it_filed()
    {
        var client = app.AnonymousClient();
        var ours = await FileAsync(client, new FormUrlEncodedContent(Report(AppKey)), "json");
        var otherKey = app.CreateKey(new NewCredential(Role.ReportingApp, "another app", CommunityCode: "ST01-C01"));
        var theirs = await FileAsync(client, new FormUrlEncodedContent(Report(otherKey)));
        var districts = await app.CreateClient().File(grid: Grid);

        var listed = (await GetXml(client, $"/open311/v2/requests.xml?api_key={AppKey}", "service_requests"))
            .Elements().Select(r => r.Element("service_request_id")!.Value).ToList();
        Assert.Contains(ours, listed);
        Assert.DoesNotContain(theirs, listed);
        Assert.DoesNotContain(districts.Code, listed);
        await StrictOpen311.Errors(await client.GetAsync($"/open311/v2/requests/{theirs}.xml?api_key={AppKey}"), 404);
        var byIds = await GetXml(client, $"/open311/v2/requests.xml?api_key={AppKey}&service_request_id={ours},{theirs}", "service_requests");
        Assert.Equal([ours], byIds.Elements().Select(r => r.Element("service_request_id")!.Value));
        // An app bound to a community files there only.
        var elsewhere = Report(otherKey);
        var far = GeoSteps.CentreOf("ST02-C01-G01");
        (elsewhere["lat"], elsewhere["long"]) = (Position(far.Latitude), Position(far.Longitude));
        await StrictOpen311.Errors(await client.PostAsync("/open311/v2/requests.xml", new FormUrlEncodedContent(elsewhere)), 403);
    }

    [Fact]
    public async Task A_media_url_is_fetched_only_from_an_allowed_host()
    {
        var client = app.AnonymousClient();
        var fields = Report(AppKey);
        fields["media_url"] = app.MediaUrl;
        var id = await FileAsync(client, new FormUrlEncodedContent(fields));
        var order = await app.CreateClient().GetFromJsonAsync<JsonObject>($"/api/v1/orders/{id}");
        Assert.Single(order!["photos"]!.AsArray());

        var elsewhere = Report(AppKey);
        elsewhere["media_url"] = app.MediaUrl.Replace("127.0.0.1", "localhost", StringComparison.Ordinal);
        Assert.Contains("not one this district fetches photos from",
            (await StrictOpen311.Errors(await client.PostAsync("/open311/v2/requests.xml", new FormUrlEncodedContent(elsewhere)), 400))[0]);
        var metadata = Report(AppKey);
        metadata["media_url"] = "file:///etc/passwd";
        await StrictOpen311.Errors(await client.PostAsync("/open311/v2/requests.xml", new FormUrlEncodedContent(metadata)), 400);
    }

    [Fact]
    public async Task Every_state_has_one_status_and_merged_is_duplicate()
    {
        foreach (var state in Enum.GetValues<Whistle.Domain.Orders.OrderState>())
        {
            var status = Whistle.Api.Features.Open311.Open311Status.Of(state);
            Assert.Contains(status.Basic, new[] { "open", "closed" });
            Assert.Contains(status.Extended, StrictOpen311.ExtendedStatuses);
        }
        Assert.Equal("duplicate", Whistle.Api.Features.Open311.Open311Status.Of(Whistle.Domain.Orders.OrderState.Merged).Extended);

        // And on the wire: a report merged into another shows as closed, its update duplicate.
        var client = app.AnonymousClient();
        var first = await FileAsync(client, new FormUrlEncodedContent(Report(AppKey)));
        var repeat = await FileAsync(client, new FormUrlEncodedContent(Report(AppKey)));
        var admin = app.CreateClient();
        var kept = (await admin.GetFromJsonAsync<JsonObject>($"/api/v1/orders/{first}"))!["id"]!.GetValue<Guid>();
        var merged = (await admin.GetFromJsonAsync<JsonObject>($"/api/v1/orders/{repeat}"))!["id"]!.GetValue<Guid>();
        await admin.Whistle(kept);
        var response = await admin.Post($"/api/v1/orders/{merged}/merge", new { intoOrderId = kept });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());

        var request = Assert.Single((await GetXml(client, $"/open311/v2/requests/{repeat}.xml?api_key={AppKey}", "service_requests")).Elements());
        Assert.Equal("closed", request.Element("status")!.Value);
        var since = Uri.EscapeDataString(WhistleApp.Start.AddDays(-1).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture));
        var updates = (await GetXml(client, $"/open311/v2/servicerequestupdates.xml?api_key={AppKey}&start_date={since}", "service_request_updates"))
            .Elements().Where(u => u.Element("service_request_id")!.Value == repeat);
        Assert.Equal("duplicate", updates.Last().Element("status")!.Value);
    }
}
