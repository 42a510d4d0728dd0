using System.Diagnostics;
using System.Globalization;
using Whistle.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Whistle.Api.Tests.Stats;

/// <summary>
/// The statistics contract as a property (issue 4): random histories lived through the API, every
/// figure counted again by brute force from the orders' histories, and the API must say the same for
/// every period, filter, grouping and interval. A failure names its seed;
/// <c>WHISTLE_STATS_SEED=n dotnet test --filter StatsPropertyTests</c> runs that seed alone.
/// </summary>
public class StatsPropertyTests(ITestOutputHelper output)
{
    private static readonly string[] GroupBys = ["department", "street", "community", "category"];
    private static readonly string[] Intervals = ["day", "week", "month"];

    public static TheoryData<int> Seeds() =>
        Environment.GetEnvironmentVariable("WHISTLE_STATS_SEED") is { Length: > 0 } seed
            ? new(int.Parse(seed, CultureInfo.InvariantCulture))
            : new(20260302, 4, 1949);

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task Every_figure_matches_a_brute_force_count_of_the_histories(int seed)
    {
        output.WriteLine($"seed {seed} (rerun alone with WHISTLE_STATS_SEED={seed})");
        var watch = Stopwatch.StartNew();
        // Odd seeds live in a district whose returns the street supervisor reviews.
        await using var app = seed % 2 == 1 ? new Joint.ReviewedReturnsApp() : new WhistleApp();
        await ((IAsyncLifetime)app).InitializeAsync();
        var client = app.CreateClient();
        var random = new Random(seed);
        var reference = await ReferenceSet.LoadAsync(client);

        var simulator = new HistorySimulator(app, client, random, reference);
        IReadOnlyList<Guid> ids;
        try
        {
            ids = await simulator.RunAsync(random.Next(120, 201));
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"Seed {seed}: living the histories failed at {ReplayedOrder.Format(app.Clock.GetUtcNow())}: {e.Message}", e);
        }
        var lived = watch.Elapsed;

        var orders = new List<ReplayedOrder>();
        foreach (var id in ids)
        {
            var order = await client.Get(id);
            var facts = ReplayedOrder.FromHistory(id, order.Code, await client.History(id), reference);
            Assert.Empty(facts.DisagreementsWith(order));
            orders.Add(facts);
        }
        var midnights = orders.SelectMany(o => new[] { o.FiledAt, o.FirstWhistledAt }).OfType<DateTimeOffset>()
            .Count(t => Math.Abs((t - StatsChecker.PeriodStart(t.AddHours(12), "day")).Ticks) <= TimeSpan.TicksPerSecond);
        output.WriteLine($"edges: {orders.Count(o => o.FirstAcknowledgedAt is { } a && o.Story.Contains($"ack by {ReplayedOrder.Format(a)}", StringComparison.Ordinal))} " +
            $"first acknowledgements exactly on acknowledgeBy, {orders.Count(o => o.ResolvedAt is { } r && r == o.ResolveBy)} resolutions exactly on resolveBy, " +
            $"{midnights} filings or first whistles within a second of Shanghai midnight");
        output.WriteLine($"{orders.Count} orders, {orders.Count(o => o.Dispatched)} whistled, {orders.Count(o => o.HandledLocally)} handled locally; " +
            $"lived in {lived.TotalSeconds:F1} s");

        var checker = new StatsChecker(client, orders, reference, app.Clock.GetUtcNow);
        await CheckQueriesAsync(checker, orders, random);
        var perOrder = await CheckEachOrderAloneAsync(checker, orders);
        await CheckOverdueAtDeadlinesAsync(checker, app, orders);

        foreach (var note in checker.Notes.Distinct().Take(20))
        {
            output.WriteLine("note: " + note);
        }
        output.WriteLine($"{checker.Requests} queries, {checker.FiguresCompared} figures compared in {watch.Elapsed.TotalSeconds:F1} s");
        if (checker.Differences.Count > 0)
        {
            var culprits = perOrder.Take(15).Select(o => $"  {o.Code}: {o.Story}");
            Assert.Fail($"Seed {seed} (rerun with WHISTLE_STATS_SEED={seed}): {checker.Differences.Count} differences from the contract, " +
                $"clock at {ReplayedOrder.Format(app.Clock.GetUtcNow())}:\n" +
                string.Join("\n", checker.Differences.Take(80)) +
                (perOrder.Count > 0 ? $"\nOrders whose own figures differ ({perOrder.Count}):\n" + string.Join("\n", culprits) : ""));
        }
    }

    private static async Task CheckQueriesAsync(StatsChecker checker, List<ReplayedOrder> orders, Random random)
    {
        var all = new StatsQuery(new StatsFilter());
        await checker.SummaryAsync(all);
        foreach (var period in Periods(orders, random))
        {
            await checker.SummaryAsync(period);
        }

        // Every street, community, department and category in the data; alone and within a period.
        var dispatched = orders.Where(o => o.Dispatched).ToList();
        var filters = orders.Select(o => o.Street).Distinct().Select(s => new StatsFilter(Street: s))
            .Concat(orders.Select(o => o.Community).Distinct().Select(c => new StatsFilter(Community: c)))
            .Concat(dispatched.Select(o => o.Department).Distinct().Select(d => new StatsFilter(Department: d)))
            .Concat(orders.Select(o => o.Category).Distinct().Select(c => new StatsFilter(Category: c)))
            .ToList();
        // A few combinations, one that cannot match anything (a community of another street), and a department never whistled to.
        for (var i = 0; i < 4; i++)
        {
            var (a, b) = (Pick(random, dispatched), Pick(random, dispatched));
            filters.Add(new(Street: a.Street, Category: b.Category));
            filters.Add(new(Community: a.Community, Department: a.Department));
            filters.Add(new(Department: b.Department, Category: b.Category));
            filters.Add(new(Street: b.Street, Community: a.Community, Department: a.Department, Category: a.Category));
        }
        var otherStreet = orders.First(o => o.Street != orders[0].Street);
        filters.Add(new(Street: otherStreet.Street, Community: orders[0].Community));
        filters.Add(new(Department: "natural-resources"));

        foreach (var filter in filters)
        {
            await checker.SummaryAsync(new StatsQuery(filter));
            var period = Pick(random, DatePeriods(orders, random).ToList());
            await checker.SummaryAsync(period with { Filter = filter with { From = period.Filter.From, To = period.Filter.To } });
        }

        foreach (var groupBy in GroupBys)
        {
            await checker.BreakdownAsync(all, groupBy);
            await checker.BreakdownAsync(Pick(random, Periods(orders, random).ToList()), groupBy);
            await checker.BreakdownAsync(new StatsQuery(Pick(random, filters)), groupBy);
            foreach (var sort in Pick(random, BruteForce.Names.ToArray(), 3).Append("completionRate").Append("medianHoursToResolve"))
            {
                await checker.BreakdownAsync(all, groupBy, sort, random.Next(2) == 0 ? "asc" : "desc");
            }
            var period = Pick(random, DatePeriods(orders, random).ToList());
            await checker.BreakdownAsync(period with { Filter = period.Filter with { Street = Pick(random, orders).Street } }, groupBy,
                Pick(random, BruteForce.RealNames), "desc");
        }

        var first = orders.Min(o => o.FiledAt);
        var last = orders.Max(o => o.FiledAt);
        foreach (var interval in Intervals)
        {
            await checker.TimeseriesAsync(all, interval);
            await checker.TimeseriesAsync(DateQuery(first.AddDays(-3), last.AddDays(3)), interval);
            await checker.TimeseriesAsync(new StatsQuery(Pick(random, filters)), interval);
            await checker.TimeseriesAsync(Pick(random, Periods(orders, random).ToList()), interval);
            var period = DateQuery(first.AddDays(10), last.AddDays(-10));
            await checker.TimeseriesAsync(period with { Filter = period.Filter with { Department = Pick(random, dispatched).Department } }, interval);
        }
    }

    /// <summary>
    /// Each order alone: a one-microsecond window on its first whistle (or, handled locally, its filing).
    /// Every step had its own instant, so the window holds that order only; a difference names the order.
    /// </summary>
    private static async Task<List<ReplayedOrder>> CheckEachOrderAloneAsync(StatsChecker checker, List<ReplayedOrder> orders)
    {
        var culprits = new List<ReplayedOrder>();
        foreach (var order in orders.Where(o => o.Dispatched || o.HandledLocally))
        {
            var at = order.FirstWhistledAt ?? order.FiledAt;
            var before = checker.Differences.Count;
            await checker.SummaryAsync(AtQuery(at, at.AddTicks(10)));
            if (checker.Differences.Count > before)
            {
                culprits.Add(order);
            }
        }
        return culprits;
    }

    /// <summary>overdueNow at the clock: exactly on an open order's deadline it is not yet overdue, a microsecond later it is.</summary>
    private static async Task CheckOverdueAtDeadlinesAsync(StatsChecker checker, WhistleApp app, List<ReplayedOrder> orders)
    {
        string[] paths = ["/api/v1/stats/summary", "/api/v1/stats/breakdown?groupBy=street", "/api/v1/stats/timeseries?interval=week"];
        foreach (var path in paths)
        {
            await checker.CachingAsync(path);
        }
        var now = app.Clock.GetUtcNow();
        var etag = await checker.CachingAsync(paths[0]);
        var overdueBefore = orders.Count(o => o.OverdueAt(now));
        var open = orders.Where(o => o.Valid && o.State is "whistled" or "acknowledged").ToList();
        var deadlines = open.Select(o => o.AcknowledgedOnCurrentDispatch ? null : o.AcknowledgeBy)
            .OfType<DateTimeOffset>().Where(d => d > now).Order().Take(2)
            .Concat(open.Select(o => o.ResolveBy).OfType<DateTimeOffset>().Where(d => d > now).Order().Take(2))
            // Two orders can share a deadline: each instant once, so the clock never has to go back.
            .Distinct().Order().ToList();
        foreach (var deadline in deadlines)
        {
            app.Clock.SetUtcNow(deadline);
            await checker.SummaryAsync(new StatsQuery(new StatsFilter()));
            app.Clock.SetUtcNow(deadline.AddTicks(10));
            await checker.SummaryAsync(new StatsQuery(new StatsFilter()));
        }
        app.Clock.Advance(TimeSpan.FromDays(30));
        // Once deadlines have passed, the ETag from before must not pass for the figures of now.
        if (etag is not null && orders.Count(o => o.OverdueAt(app.Clock.GetUtcNow())) != overdueBefore
            && await checker.RevalidateAsync(paths[0], etag) != System.Net.HttpStatusCode.OK)
        {
            checker.Differences.Add($"{paths[0]}: If-None-Match {etag} from before the clock moved on 30 days, overdueNow changed: expected 200");
        }
        await checker.SummaryAsync(new StatsQuery(new StatsFilter()));
        await checker.BreakdownAsync(new StatsQuery(new StatsFilter()), "department", "overdueNow", "desc");
    }

    /// <summary>Periods written the ways a client writes them: dates, date-times on an event's instant, Shanghai midnight.</summary>
    private static IEnumerable<StatsQuery> Periods(List<ReplayedOrder> orders, Random random)
    {
        foreach (var period in DatePeriods(orders, random))
        {
            yield return period;
        }
        var instants = orders.Select(o => o.FirstWhistledAt ?? o.FiledAt).Order().ToList();
        for (var i = 0; i < 4; i++)
        {
            var a = instants[random.Next(instants.Count / 2)];
            var b = instants[random.Next(instants.Count / 2, instants.Count)];
            yield return AtQuery(a, b);
            yield return new(new(From: a), FromText: InShanghai(a));
            yield return new(new(To: b), ToText: InShanghai(b));
        }
        var midnight = StatsChecker.Midnight(new DateTime(2026, 4, 1));
        yield return new(new(From: midnight), FromText: "2026-04-01T00:00:00+08:00");
        yield return new(new(To: midnight), ToText: "2026-03-31T16:00:00Z");
        yield return new(new(From: midnight.AddDays(-7), To: midnight), FromText: "2026-03-25T00:00:00", ToText: "2026-04-01T00:00:00");
        yield return new(new(From: new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.FromHours(8)), To: new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.FromHours(8))),
            "2025-01-01", "2025-12-31");
    }

    private static IEnumerable<StatsQuery> DatePeriods(List<ReplayedOrder> orders, Random random)
    {
        var first = orders.Min(o => o.FiledAt);
        for (var i = 0; i < 4; i++)
        {
            var from = first.AddDays(random.Next(-2, 45));
            yield return DateQuery(from, from.AddDays(random.Next(0, 25)));
        }
        yield return DateQuery(StatsChecker.Midnight(new DateTime(2026, 3, 1)), StatsChecker.Midnight(new DateTime(2026, 3, 31)));
        var day = first.AddDays(random.Next(0, 55));
        yield return new(new(From: StatsChecker.PeriodStart(day, "day")), FromText: Date(day));
        yield return new(new(To: StatsChecker.PeriodEnd(StatsChecker.PeriodStart(day, "day"), "day")), ToText: Date(day));
    }

    /// <summary>From the day holding <paramref name="from"/> through the day holding <paramref name="to"/>, as bare dates.</summary>
    private static StatsQuery DateQuery(DateTimeOffset from, DateTimeOffset to)
    {
        var start = StatsChecker.PeriodStart(from, "day");
        var end = StatsChecker.PeriodEnd(StatsChecker.PeriodStart(to, "day"), "day");
        return new(new(From: start, To: end), Date(from), Date(to));
    }

    private static StatsQuery AtQuery(DateTimeOffset from, DateTimeOffset to) =>
        new(new(From: from, To: to), ReplayedOrder.Format(from), InShanghai(to));

    private static string Date(DateTimeOffset at) =>
        TimeZoneInfo.ConvertTime(at, StatsChecker.Zone).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string InShanghai(DateTimeOffset at) =>
        at.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture);

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    private static T[] Pick<T>(Random random, T[] items, int count) => random.GetItems(items, count);
}
