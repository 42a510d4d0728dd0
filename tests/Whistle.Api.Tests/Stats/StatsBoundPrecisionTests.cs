using System.Text.Json.Nodes;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Stats;

/// <summary>
/// Found by the property test: a period bound finer than a microsecond (a legal ISO 8601 date-time,
/// what .NET's round-trip format writes) must still cut where it says. Orders are stamped to the
/// microsecond, so [from, to) holds an order whistled at t exactly when ceil(from) &lt;= t &lt; ceil(to);
/// truncating the bounds moves the cut by one microsecond either way.
/// </summary>
public sealed class OneWhistleApp : WhistleApp
{
    public DateTimeOffset Whistled { get; private set; }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var client = CreateClient();
        var order = await client.File();
        Clock.SetUtcNow(new DateTimeOffset(2026, 4, 1, 2, 0, 0, TimeSpan.Zero).AddTicks(10));
        Whistled = (await client.Whistle(order.Id)).Milestones.FirstWhistledAt!.Value;
    }
}

public class StatsBoundPrecisionTests(OneWhistleApp app) : IClassFixture<OneWhistleApp>
{
    private readonly HttpClient _client = app.CreateClient();
    private readonly DateTimeOffset _whistled = app.Whistled;

    [Theory]
    [InlineData(-5, 20, 1)] // from half a microsecond before the whistle: counted
    [InlineData(5, 20, 0)] // from half a microsecond after it: not counted
    [InlineData(-20, 5, 1)] // to half a microsecond after it: counted
    [InlineData(-20, -5, 0)] // to half a microsecond before it: not counted
    public async Task A_bound_finer_than_a_microsecond_cuts_where_it_says(int fromTicks, int toTicks, long dispatched)
    {
        var from = _whistled.AddTicks(fromTicks);
        var to = _whistled.AddTicks(toTicks);
        var json = JsonNode.Parse(await _client.GetStringAsync(
            $"/api/v1/stats/summary?from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(to.ToString("O"))}"))!;

        Assert.Equal(
            (dispatched, ReplayedOrder.Format(from), ReplayedOrder.Format(to)),
            (json["figures"]!["dispatchedOrders"]!.GetValue<long>(),
                ReplayedOrder.Format(json["from"]!.GetValue<DateTimeOffset>()), ReplayedOrder.Format(json["to"]!.GetValue<DateTimeOffset>())));
    }
}
