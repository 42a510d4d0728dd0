using System.Net;
using Whistle.Api.Features.Access;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests;

/// <summary>
/// Garbage orders are due to be acknowledged 4 h and resolved 24 h after the whistle; noise 12 h and
/// 72 h. The clock ends 30 h after the start.
/// </summary>
public sealed class OverdueApp : WhistleApp
{
    public Order NotAcknowledged { get; private set; } = null!;
    public Order NotAcknowledgedLater { get; private set; } = null!;
    public Order NotResolved { get; private set; } = null!;
    public Order InAnotherStreet { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var c = CreateClient();

        NotAcknowledged = await Whistled(c, "garbage");
        NotResolved = await Whistled(c, "garbage");
        await c.Acknowledge(NotResolved.Id);
        var withinItsLimits = await Whistled(c, "noise");
        await c.Acknowledge(withinItsLimits.Id);
        var returned = await Whistled(c, "garbage");
        await c.Return(returned.Id);
        var resolved = await Whistled(c, "garbage");
        await c.Acknowledge(resolved.Id);
        await c.Resolve(resolved.Id);
        var cancelled = await Whistled(c, "garbage");
        await c.Cancel(cancelled.Id);
        await c.File(); // never whistled: no deadline

        Clock.Advance(TimeSpan.FromHours(1));
        NotAcknowledgedLater = await Whistled(c, "garbage");
        Clock.Advance(TimeSpan.FromHours(1));
        InAnotherStreet = await Whistled(c, "garbage", "ST05-C01-G02");
        Clock.Advance(TimeSpan.FromHours(28));
    }

    private static async Task<Order> Whistled(HttpClient client, string category, string grid = "ST01-C01-G01")
    {
        var order = await client.File(category: category, grid: grid);
        return await client.Whistle(order.Id);
    }
}

/// <summary><c>GET /api/v1/orders?overdue=true</c>: what the dashboard lists as most overdue.</summary>
public class OverdueOrdersTests(OverdueApp app) : IClassFixture<OverdueApp>
{
    private readonly HttpClient _client = app.CreateClient();

    [Fact]
    public async Task Only_orders_past_a_running_deadline_the_longest_overdue_first()
    {
        var page = await (await _client.GetAsync("/api/v1/orders?overdue=true")).Read<OrderPage>();

        // Missed: acknowledge at +4 h, acknowledge at +5 h, acknowledge at +6 h, resolve at +24 h.
        Assert.Equal(
            [app.NotAcknowledged.Code, app.NotAcknowledgedLater.Code, app.InAnotherStreet.Code, app.NotResolved.Code],
            page.Items.Select(o => o.Code));
        Assert.Null(page.NextCursor);
    }

    [Fact]
    public async Task Pages_continue_in_deadline_order_and_filters_combine()
    {
        var first = await (await _client.GetAsync("/api/v1/orders?overdue=true&limit=2")).Read<OrderPage>();
        var second = await (await _client.GetAsync($"/api/v1/orders?overdue=true&limit=2&cursor={first.NextCursor}")).Read<OrderPage>();
        var inSt01 = await (await _client.GetAsync("/api/v1/orders?overdue=true&streetCode=ST01")).Read<OrderPage>();

        Assert.Equal([app.NotAcknowledged.Code, app.NotAcknowledgedLater.Code], first.Items.Select(o => o.Code));
        Assert.Equal([app.InAnotherStreet.Code, app.NotResolved.Code], second.Items.Select(o => o.Code));
        Assert.Null(second.NextCursor);
        Assert.Equal([app.NotAcknowledged.Code, app.NotAcknowledgedLater.Code, app.NotResolved.Code], inSt01.Items.Select(o => o.Code));
    }

    [Fact]
    public async Task Overdue_false_is_the_plain_listing()
    {
        var plain = await (await _client.GetAsync("/api/v1/orders?overdue=false&limit=200")).Read<OrderPage>();

        Assert.Equal(9, plain.Items.Length);
    }

    [Fact]
    public async Task A_dashboard_lists_the_whole_districts_overdue_orders_read_only_and_nothing_else()
    {
        var screen = app.ClientAs(Role.Dashboard, name: "command centre screen");

        var overdue = await screen.GetAsync("/api/v1/orders?overdue=true");
        var inSt01 = await (await screen.GetAsync("/api/v1/orders?overdue=true&streetCode=ST01")).Read<OrderPage>();
        var plain = await screen.GetAsync("/api/v1/orders");
        var one = await screen.GetAsync($"/api/v1/orders/{app.NotAcknowledged.Id}");
        var history = await screen.GetAsync($"/api/v1/orders/{app.NotAcknowledged.Id}/history");

        Assert.Equal(HttpStatusCode.OK, overdue.StatusCode);
        var page = await overdue.Read<OrderPage>();
        Assert.Equal(
            [app.NotAcknowledged.Code, app.NotAcknowledgedLater.Code, app.InAnotherStreet.Code, app.NotResolved.Code],
            page.Items.Select(o => o.Code));
        Assert.All(page.Items, o => Assert.Empty(o.AllowedActions));
        Assert.Equal([app.NotAcknowledged.Code, app.NotAcknowledgedLater.Code, app.NotResolved.Code], inSt01.Items.Select(o => o.Code));
        // Only the overdue list: other listings are refused in the API's words, one order and its history stay out of sight.
        Assert.Equal(HttpStatusCode.Forbidden, plain.StatusCode);
        Assert.Equal("A dashboard credential may not read or list orders.", (await plain.Read<Problem>()).Detail);
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (one.StatusCode, history.StatusCode));
    }

    [Fact]
    public async Task A_street_supervisor_still_sees_only_its_streets_overdue_orders()
    {
        var st05 = app.ClientAs(Role.Supervisor, street: "ST05", name: "supervisor ST05");

        var page = await (await st05.GetAsync("/api/v1/orders?overdue=true")).Read<OrderPage>();

        Assert.Equal([app.InAnotherStreet.Code], page.Items.Select(o => o.Code));
    }

    [Theory]
    [InlineData("?overdue=yes", "overdue")]
    [InlineData("?overdue=true&cursor=bjQ", "cursor")] // "n4": a newest-first cursor cannot continue a deadline order
    [InlineData("?cursor=ZDEyMzQuNA", "cursor")] // "d1234.4": nor the other way round
    public async Task A_bad_flag_or_a_cursor_from_the_other_order_is_a_400(string query, string field)
    {
        var response = await _client.GetAsync("/api/v1/orders" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal([field], (await response.Read<Problem>()).Errors!.Keys);
    }
}
