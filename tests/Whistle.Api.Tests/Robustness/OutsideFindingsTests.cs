using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Whistle.Api.Features.Access;
using Whistle.Api.Tests.Infrastructure;
using Whistle.Api.Tests.Photos;
using Whistle.Api.Tests.Reference;

namespace Whistle.Api.Tests.Robustness;

/// <summary>
/// What an outside test found the service answering with a 500, or letting a client make it hold:
/// each is now a problem (or, acting a second time, the same answer as the first), and changes nothing.
/// </summary>
public class OutsideFindingsTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    private readonly HttpClient _admin = app.CreateClient();

    private HttpClient GridWorker(string? name = null) => app.ClientAs(Role.GridWorker, grids: ["ST01-C01-G01"], name: name ?? "grid worker Zhao");

    [Fact]
    public async Task Withdrawing_a_withdrawn_photo_again_answers_the_order_as_it_is_and_records_nothing()
    {
        var filed = await GridWorker().Upload("/api/v1/orders", PhotoForms.Form(Filing.Valid(), null, Images.Png(97, 41, ImageMagick.MagickColors.Teal)));
        Assert.Equal(HttpStatusCode.Created, filed.StatusCode);
        var photo = (await filed.Read<PhotoOrder>()).Photos.Single();

        var first = await _admin.Post($"/api/v1/photos/{photo.Id}/withdraw", new { reason = "Shows a licence plate" });
        var again = await _admin.Post($"/api/v1/photos/{photo.Id}/withdraw", new { reason = "Shows a licence plate" });

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.True(again.StatusCode == HttpStatusCode.OK, $"{(int)again.StatusCode} {await again.Content.ReadAsStringAsync()}");
        var (once, twice) = (await first.Read<PhotoOrder>(), await again.Read<PhotoOrder>());
        Assert.Equal(once.Version, twice.Version);
        Assert.True(twice.Photos.Single().Withdrawn);
        Assert.Single(await _admin.History(once.Id), e => e.Action == "withdraw-photo");
    }

    [Theory]
    [InlineData("no-such-department")]
    [InlineData("")]
    [InlineData("a-code-far-longer-than-the-fifty-characters-a-code-may-have")]
    public async Task A_retired_category_updated_with_a_department_that_does_not_exist_is_a_400(string department)
    {
        var code = "retired-" + Guid.NewGuid().ToString("N")[..8];
        await _admin.Created("/api/v1/categories", ReferenceClient.Category(code, "sanitation"));
        Assert.Equal(HttpStatusCode.OK, (await _admin.Post($"/api/v1/categories/{code}/retire")).StatusCode);

        var response = await _admin.Put($"/api/v1/categories/{code}", ReferenceClient.Category(code, department));

        Assert.Contains("departmentCode", (await response.Errors()).Keys);
        var kept = JsonDocument.Parse(await _admin.GetStringAsync($"/api/v1/categories/{code}")).RootElement;
        Assert.Equal("sanitation", kept.GetProperty("departmentCode").GetString());
    }

    [Fact]
    public async Task A_retired_category_may_still_be_edited_with_a_department_that_exists()
    {
        var code = "retired-" + Guid.NewGuid().ToString("N")[..8];
        await _admin.Created("/api/v1/categories", ReferenceClient.Category(code, "sanitation"));
        await _admin.Post($"/api/v1/categories/{code}/retire");

        var response = await _admin.Put($"/api/v1/categories/{code}", ReferenceClient.Category(code, "water"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("""{"days":[null]}""", "days[0]")]
    [InlineData("""{"days":[{"date":"2030-01-01","kind":"holiday"},null]}""", "days[1]")]
    public async Task A_calendar_year_with_a_null_day_is_a_400_naming_it(string body, string field)
    {
        var response = await _admin.PutAsync("/api/v1/calendar/2030", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Contains(field, (await response.Errors()).Keys);
    }

    [Fact]
    public async Task A_nul_inside_a_multipart_part_is_a_400_naming_the_field_and_files_nothing()
    {
        var worker = GridWorker();
        var filing = Filing.Valid();
        filing["title"] = "Blocked\0drain";
        var inOrder = await worker.Upload("/api/v1/orders", PhotoForms.Form(filing, null, Images.Png()));
        var order = await worker.File();
        var inStage = await worker.Upload($"/api/v1/orders/{order.Id}/photos", PhotoForms.Form(null, "discov\0ery", Images.Png()));

        Assert.Contains("order.title", (await inOrder.Errors()).Keys);
        Assert.Contains("stage", (await inStage.Errors()).Keys);
        Assert.Equal(order.Version, (await worker.Get(order.Id)).Version);
    }

    [Fact]
    public async Task An_upload_of_more_parts_than_an_order_can_take_is_a_400_naming_the_limit()
    {
        var form = PhotoForms.Form(Filing.Valid(), null);
        for (var i = 0; i < 40; i++)
        {
            form.Add(new StringContent("x"), "note" + i);
        }

        var response = await GridWorker().Upload("/api/v1/orders", form);

        var errors = await response.Errors();
        Assert.Contains(errors.Values.SelectMany(m => m), m => m.Contains("at most 16 parts", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_credential_name_is_at_most_what_an_order_keeps_and_one_that_long_files_and_asks_for_time()
    {
        var tooLong = await _admin.Post("/api/v1/credentials", new { role = "grid-worker", name = new string('名', 101), gridCodes = new[] { "ST01-C01-G01" } });
        Assert.Contains("name", (await tooLong.Errors()).Keys);

        var longest = new string('名', 100);
        var worker = GridWorker(longest);
        var department = app.ClientAs(Role.Department, department: "sanitation", name: new string('部', 100));
        var order = await worker.File();
        await _admin.Whistle(order.Id);
        await department.Acknowledge(order.Id);
        var extension = await department.Post($"/api/v1/orders/{order.Id}/request-extension",
            new { resolveBy = WhistleApp.Start.AddDays(20), reason = "Parts on order" });

        Assert.Equal(HttpStatusCode.OK, extension.StatusCode);
        Assert.Equal(longest, (await _admin.History(order.Id)).First().Actor);
    }

    [Fact]
    public async Task A_default_credential_name_for_a_hundred_grids_fits_an_order()
    {
        var grids = JsonDocument.Parse(await _admin.GetStringAsync("/api/v1/grids")).RootElement.EnumerateArray()
            .Select(g => g.GetProperty("code").GetString()!).Take(100).ToArray();
        var created = await _admin.Post("/api/v1/credentials", new { role = "grid-worker", gridCodes = grids });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement;
        Assert.True(body.GetProperty("name").GetString()!.Length <= 100);

        var order = await app.ClientWithKey(body.GetProperty("key").GetString()!).File(grid: grids[0]);
        Assert.Equal("discovered", order.State);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("NO-SUCH-STREET")]
    public async Task A_supervisor_credential_whose_street_is_empty_blank_or_unknown_is_a_400_not_the_whole_district(string street)
    {
        var response = await _admin.Post("/api/v1/credentials", new { role = "supervisor", name = "street ?", streetCode = street });

        Assert.Contains("streetCode", (await response.Errors()).Keys);
    }

    [Fact]
    public async Task A_range_in_an_unknown_unit_is_ignored_and_one_outside_the_image_is_a_416_problem()
    {
        var order = await (await GridWorker().Upload("/api/v1/orders", PhotoForms.Form(Filing.Valid(), null, Images.Png(61, 29))))
            .Read<PhotoOrder>();
        var url = order.Photos.Single().Url!;
        var whole = await (await _admin.GetAsync(url)).Content.ReadAsByteArrayAsync();

        var items = new HttpRequestMessage(HttpMethod.Get, url);
        items.Headers.TryAddWithoutValidation("Range", "items=0-5");
        var ignored = await _admin.SendAsync(items);
        Assert.Equal(HttpStatusCode.OK, ignored.StatusCode);
        Assert.Equal(whole, await ignored.Content.ReadAsByteArrayAsync());

        foreach (var range in new[] { "bytes=-0", $"bytes={whole.Length}-", $"bytes={whole.Length + 10}-{whole.Length + 20}" })
        {
            var outside = new HttpRequestMessage(HttpMethod.Get, url);
            outside.Headers.TryAddWithoutValidation("Range", range);
            var refused = await _admin.SendAsync(outside);

            Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.DoesNotContain("immutable", refused.Headers.CacheControl?.ToString() ?? "");
            Assert.Equal($"bytes */{whole.Length}", refused.Content.Headers.ContentRange?.ToString());
            var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(416, problem.GetProperty("status").GetInt32());
            Assert.True(problem.TryGetProperty("traceId", out _));
        }
    }

    [Theory]
    [InlineData("5000000000")]
    [InlineData("4294967296")]
    [InlineData("1048577")]
    public async Task A_workbook_row_numbered_past_what_a_sheet_can_hold_is_a_400_naming_the_sheet(string number)
    {
        var workbook = Fuzzing.WorkbookFuzzer.Cases().Single(c => c.What == $"a row numbered '{number}'").Workbook;

        var response = await _admin.Import(workbook, "reference.xlsx", dryRun: true);

        var errors = await response.Refused();
        Assert.Contains(errors, e => e.Sheet == "streets" && e.Message.Contains(number, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_hand_written_workbook_imports_so_the_broken_ones_are_judged_on_their_one_fault()
    {
        var plan = await (await _admin.Import(Fuzzing.WorkbookFuzzer.Valid(), "reference.xlsx", dryRun: true)).Planned();

        Assert.Equal(1, plan.Counts("streets").Added);
    }

    [Fact]
    public async Task A_refused_import_is_a_problem_with_a_trace_id()
    {
        var response = await _admin.Import(Encoding.UTF8.GetBytes("code,name\n,\n"), "streets.csv", dryRun: true);

        Assert.NotEmpty(await response.Refused());
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("traceId").GetString()));
    }

    [Fact]
    public async Task A_catalogue_entry_naming_a_hundred_thousand_co_handlers_is_a_quick_400_naming_the_limit()
    {
        var clock = Stopwatch.StartNew();
        var response = await _admin.Post("/api/v1/catalogue", new
        {
            categoryCode = "garbage",
            streetCode = "ST01",
            departmentCode = "sanitation",
            coDepartmentCodes = Enumerable.Range(0, 100_000).Select(i => $"d{i}").ToArray(),
        });

        var errors = await response.Errors();
        Assert.Contains(errors["coDepartmentCodes"], m => m.Contains("At most 20", StringComparison.Ordinal));
        Assert.True(response.Content.Headers.ContentLength is null or < 10_000);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"{clock.Elapsed}");
    }

    [Fact]
    public async Task A_filter_or_list_of_too_many_codes_is_a_400_naming_the_limit()
    {
        var states = await _admin.GetAsync("/api/v1/orders?state=" + string.Join(",", Enumerable.Repeat("whistled", 5_000)));
        var events = await _admin.Post("/api/v1/webhooks", new { url = "https://example.org/hook", events = Enumerable.Repeat("order.whistled", 5_000).ToArray() });

        Assert.Contains((await states.Errors())["state"], m => m.Contains("at most", StringComparison.Ordinal));
        Assert.Contains((await events.Errors())["events"], m => m.Contains("at most 50", StringComparison.Ordinal));
    }
}
