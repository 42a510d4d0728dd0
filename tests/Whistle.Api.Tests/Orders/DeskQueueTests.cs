using System.Net;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Orders;

/// <summary>
/// A desk's queue in grid ST01-C01-G01: garbage is due to be acknowledged 4 h after the whistle and
/// resolved 24 h after it. The clock ends 6 h after the first whistle, so two orders are overdue.
/// Texts to search are in grid ST01-C02-G01; grid ST05-C01-G02 is polled.
/// </summary>
public sealed class DeskApp : WhistleApp
{
    public const string Queue = "ST01-C01-G01";
    public const string Texts = "ST01-C02-G01";
    public const string Polled = "ST05-C01-G02";

    /// <summary>The queue by urgency, as it must come out.</summary>
    public List<Order> Urgency { get; } = [];

    public Dictionary<string, Order> ByTitle { get; } = [];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var c = CreateClient();

        var early = await c.Whistle((await c.File(grid: Queue)).Id);         // acknowledge by +4 h: overdue
        var discovered = await c.File(grid: Queue);                           // no deadline
        Clock.Advance(TimeSpan.FromHours(1));
        var later = await c.Whistle((await c.File(grid: Queue)).Id);         // by +5 h: overdue
        var cancelled = await c.Cancel((await c.Whistle((await c.File(grid: Queue)).Id)).Id); // no deadline any more
        Clock.Advance(TimeSpan.FromHours(1));
        var acknowledged = await c.Whistle((await c.File(grid: Queue)).Id);
        acknowledged = await c.Acknowledge(acknowledged.Id);                 // resolve by +26 h
        Clock.Advance(TimeSpan.FromHours(1));
        var dueSoon = await c.Whistle((await c.File(grid: Queue)).Id);       // by +7 h
        var newest = await c.File(grid: Queue);                               // no deadline
        Clock.Advance(TimeSpan.FromHours(3));

        Urgency.AddRange([early, later, dueSoon, acknowledged, newest, cancelled, discovered]);

        foreach (var (title, description, address) in new[]
        {
            ("Overflowing bins", "The bins by gate 3 are full.", "Gate 3, Xincheng Road"),
            ("Broken lamp", "Half the LAMPS on the path are out.", "North path"),
            ("50% of the lamps out", "Since Monday.", "South path"),
            ("500 bags of rubble", "Left by builders.", "Building 7"),
            ("Leaking pipe", "Water under the stairs.", "Unit_5, building 2"),
            ("Blocked drain", "Rain water stands in the yard.", "Unit 5 courtyard"),
        })
        {
            var filing = Filing.Valid(grid: Texts);
            filing["title"] = title;
            filing["description"] = description;
            filing["location"] = new Dictionary<string, object?> { ["latitude"] = 40.8424, ["longitude"] = 111.7492, ["address"] = address };
            var response = await c.Post("/api/v1/orders", filing);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            ByTitle[title] = await response.Read<Order>();
        }
    }
}

/// <summary>The list's text search (q), its urgency order (sort=urgency) and its weak ETag for polling.</summary>
public class DeskQueueTests(DeskApp app) : IClassFixture<DeskApp>
{
    private readonly HttpClient _client = app.CreateClient();

    private async Task<List<Order>> Walk(string query, int limit)
    {
        var all = new List<Order>();
        string? cursor = null;
        do
        {
            var response = await _client.GetAsync($"/api/v1/orders?limit={limit}{query}{(cursor is null ? "" : "&cursor=" + cursor)}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var page = await response.Read<OrderPage>();
            Assert.True(page.Items.Length <= limit);
            all.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return all;
    }

    private async Task<string[]> Titles(string q) =>
        (await Walk("&gridCode=" + DeskApp.Texts + "&q=" + Uri.EscapeDataString(q), 200)).Select(o => o.Title).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public async Task By_urgency_the_overdue_come_first_then_the_nearest_deadline_then_the_rest_newest_first()
    {
        var expected = app.Urgency.Select(o => o.Code).ToArray();

        var onePage = await Walk($"&gridCode={DeskApp.Queue}&sort=urgency", 200);
        Assert.Equal(expected, onePage.Select(o => o.Code));
        Assert.Equal([true, true, false, false], onePage.Take(4).Select(o => o.Deadlines.Overdue));

        // Pages of every size continue the same order, across the step from deadlines to the rest, neither skipping nor repeating.
        foreach (var limit in new[] { 1, 2, 3, 4 })
        {
            Assert.Equal(expected, (await Walk($"&gridCode={DeskApp.Queue}&sort=urgency", limit)).Select(o => o.Code));
        }
        // Newest first stays the default.
        Assert.Equal(expected.OrderDescending(StringComparer.Ordinal), (await Walk($"&gridCode={DeskApp.Queue}", 3)).Select(o => o.Code));
        Assert.Equal(expected.OrderDescending(StringComparer.Ordinal), (await Walk($"&gridCode={DeskApp.Queue}&sort=newest", 3)).Select(o => o.Code));
    }

    [Fact]
    public async Task Overdue_true_keeps_its_order_and_urgency_agrees_with_it()
    {
        var overdue = await Walk($"&gridCode={DeskApp.Queue}&overdue=true", 1);
        var both = await Walk($"&gridCode={DeskApp.Queue}&overdue=true&sort=urgency", 1);

        Assert.Equal(app.Urgency.Take(2).Select(o => o.Code), overdue.Select(o => o.Code));
        Assert.Equal(overdue.Select(o => o.Code), both.Select(o => o.Code));
    }

    [Fact]
    public async Task A_cursor_continues_only_the_sort_it_came_from()
    {
        var urgent = await (await _client.GetAsync($"/api/v1/orders?limit=1&gridCode={DeskApp.Queue}&sort=urgency")).Read<OrderPage>();
        var newest = await (await _client.GetAsync($"/api/v1/orders?limit=1&gridCode={DeskApp.Queue}")).Read<OrderPage>();
        var tail = await (await _client.GetAsync($"/api/v1/orders?limit=5&gridCode={DeskApp.Queue}&sort=urgency")).Read<OrderPage>();

        foreach (var (query, field) in new[]
        {
            ($"cursor={urgent.NextCursor}", "cursor"),
            ($"cursor={tail.NextCursor}", "cursor"), // past the deadlines: an urgency cursor still
            ($"sort=urgency&cursor={newest.NextCursor}", "cursor"),
            ($"overdue=true&cursor={tail.NextCursor}", "cursor"),
            ("sort=oldest", "sort"),
            ("overdue=true&sort=newest", "sort"),
        })
        {
            var response = await _client.GetAsync($"/api/v1/orders?gridCode={DeskApp.Queue}&{query}");
            Assert.True(HttpStatusCode.BadRequest == response.StatusCode, query);
            Assert.Equal([field], (await response.Read<Problem>()).Errors!.Keys);
        }
    }

    [Fact]
    public async Task Text_finds_an_order_by_its_code_or_in_its_title_description_or_address_whatever_the_case()
    {
        var lamp = app.ByTitle["Broken lamp"];

        Assert.Equal(["Broken lamp"], await Titles(lamp.Code));
        Assert.Equal(["Broken lamp"], await Titles(lamp.Code.ToLowerInvariant()));
        Assert.Equal(["50% of the lamps out", "Broken lamp"], await Titles("LAMP"));
        Assert.Equal(["Leaking pipe"], await Titles("under the STAIRS"));
        Assert.Equal(["Overflowing bins"], await Titles("xincheng"));
        Assert.Empty(await Titles("no such words"));
        // Wildcards are the text's own characters, not patterns.
        Assert.Equal(["50% of the lamps out"], await Titles("50%"));
        Assert.Equal(["Leaking pipe"], await Titles("Unit_5"));
        Assert.Equal(["50% of the lamps out", "500 bags of rubble"], await Titles("50"));
        // It narrows the other filters, not the other way round.
        Assert.Empty(await Walk($"&gridCode={DeskApp.Queue}&q=lamp", 200));
    }

    [Theory]
    [InlineData("")]
    [InlineData("101")]
    public async Task Text_is_1_to_100_characters(string length)
    {
        var q = length == "" ? "" : new string('a', 101);

        var response = await _client.GetAsync($"/api/v1/orders?q={q}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(["q"], (await response.Read<Problem>()).Errors!.Keys);
    }

    [Fact]
    public async Task A_poll_with_the_lists_etag_is_304_until_the_list_changes()
    {
        var path = $"/api/v1/orders?gridCode={DeskApp.Polled}&sort=urgency";
        await _client.File(grid: DeskApp.Polled);
        var first = await _client.GetAsync(path);
        var etag = first.Headers.ETag;
        Assert.NotNull(etag);
        Assert.True(etag.IsWeak);

        var unchanged = await Poll(path, etag.ToString());
        var filed = await _client.File(grid: DeskApp.Polled);
        var changed = await Poll(path, etag.ToString());

        Assert.Equal(HttpStatusCode.NotModified, unchanged.StatusCode);
        Assert.Equal(etag, unchanged.Headers.ETag);
        Assert.Empty(await unchanged.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.NotEqual(etag, changed.Headers.ETag);
        Assert.Equal(filed.Id, (await changed.Read<OrderPage>()).Items[0].Id);
        // The same tag sent strong matches as well (If-None-Match compares weakly).
        Assert.Equal(HttpStatusCode.NotModified, (await Poll(path, changed.Headers.ETag!.Tag)).StatusCode);
    }

    private Task<HttpResponseMessage> Poll(string path, string ifNoneMatch)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        return _client.SendAsync(request);
    }
}
