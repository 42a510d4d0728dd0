using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;

namespace Whistle.Api.Features.Stats;

/// <summary>
/// <c>dotnet Whistle.Api.dll stats-synthetic --orders N</c>: fills the statistics' store with N
/// made-up orders through the loader's own step (batches of <see cref="OrderRow"/> applied as the
/// first read applies them), with no database, and prints what it holds. For sizes that cannot be
/// seeded on a test machine (20 million); the orders are synthetic, their shape roughly the seed's.
/// </summary>
public static class SyntheticFill
{
    public const string Usage = "usage: stats-synthetic --orders N";

    public static int Run(string[] args)
    {
        if (args is not ["--orders", var text] || !long.TryParse(text, CultureInfo.InvariantCulture, out var orders) || orders <= 0 || orders > int.MaxValue)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }
        var facts = new OrderFacts(null!, null!, NullLogger<OrderFacts>.Instance);
        var reference = Reference();
        var random = new Random(1);
        var clock = Stopwatch.StartNew();
        var batch = new List<OrderRow>(OrderFacts.LoadBatch);
        var year = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        for (long number = 1; number <= orders; number++)
        {
            batch.Add(Order(number, year, reference, random));
            if (batch.Count == OrderFacts.LoadBatch || number == orders)
            {
                facts.ApplyBatch(facts.Count == 0 ? reference : null, batch);
                batch.Clear();
            }
        }
        var seconds = clock.Elapsed.TotalSeconds;
        var heap = GC.GetTotalMemory(forceFullCollection: false);
        var (rss, peak) = Resident();
        Console.WriteLine($"{facts.Count:N0} rows in {seconds:F1} s; managed heap {heap / 1048576.0:N0} MiB, RSS {rss / 1048576.0:N0} MiB, peak RSS {peak / 1048576.0:N0} MiB");
        // A cold question over every row: a scan, as a dashboard's first ask.
        var scan = Stopwatch.StartNew();
        var figures = facts.Read((columns, _) => StatsScan.Run(columns, new StatsScope(long.MinValue, long.MaxValue, -1, -1, -1, -1), new Grouping.None(), 1));
        Console.WriteLine($"a year's summary scanned cold in {scan.ElapsedMilliseconds} ms ({figures[0]?.Dispatched:N0} dispatched)");
        var collected = GC.GetTotalMemory(forceFullCollection: true);
        (rss, var peakAfter) = Resident();
        Console.WriteLine($"after a full collection: managed heap {collected / 1048576.0:N0} MiB, RSS {rss / 1048576.0:N0} MiB");
        // The dashboard's year-wide questions kept standing (their tallies' sorted durations held): a screen's steady state.
        var all = new StatsScope(long.MinValue, long.MaxValue, -1, -1, -1, -1);
        var months = Enumerable.Range(0, 13).Select(m => Micros.Of(year.AddMonths(m))).ToArray();
        var standing = new (string Name, Grouping Grouping, Func<ReferenceCodes, int> Groups)[]
        {
            ("year", new Grouping.None(), _ => 1),
            ("year by department", new Grouping.ByColumn(GroupColumn.Department), c => c.Departments.Count),
            ("year by community", new Grouping.ByColumn(GroupColumn.Community), c => c.Communities.Count),
            ("year by month", new Grouping.ByPeriod(months), _ => months.Length - 1),
        };
        foreach (var (name, grouping, groups) in standing)
        {
            facts.Answer(name, all, grouping, groups, keep: true, (tallies, _) => tallies.Length);
        }
        var kept = GC.GetTotalMemory(forceFullCollection: true);
        (var rssKept, var peakKept) = Resident();
        Console.WriteLine($"with {standing.Length} year-wide questions standing: managed heap {kept / 1048576.0:N0} MiB, RSS {rssKept / 1048576.0:N0} MiB, peak RSS so far {Math.Max(peakAfter, peakKept) / 1048576.0:N0} MiB");
        peakAfter = Math.Max(peakAfter, peakKept);
        GC.KeepAlive(facts);
        // The last line for scripts: orders, load seconds, RSS, peak RSS, managed heap, RSS with the questions standing (bytes).
        Console.WriteLine(string.Join(' ', facts.Count, seconds.ToString("F1", CultureInfo.InvariantCulture), rss, Math.Max(peak, peakAfter), collected, rssKept));
        return 0;
    }

    private static ReferenceCodes.Rows Reference()
    {
        List<(string, string, string?)> Codes(string prefix, int count, Func<int, string?>? parent = null) =>
            Enumerable.Range(1, count).Select(i => ($"{prefix}{i:000}", $"{prefix} {i}", parent?.Invoke(i))).ToList();
        // The seeded district's shape: 39 streets, 453 communities, about 40 departments, 60 categories.
        return new(Codes("ST", 39), Codes("C", 453, i => $"ST{(i % 39) + 1:000}"), Codes("D", 40), Codes("K", 60));
    }

    private static readonly OrderState[] States =
        [OrderState.Closed, OrderState.Closed, OrderState.Closed, OrderState.Resolved, OrderState.Acknowledged, OrderState.Whistled, OrderState.Cancelled, OrderState.HandledLocally];

    private static OrderRow Order(long number, DateTime year, ReferenceCodes.Rows r, Random random)
    {
        var filed = year.AddSeconds(random.Next(365 * 86_400));
        var state = States[random.Next(States.Length)];
        var whistled = state == OrderState.HandledLocally ? (DateTime?)null : filed.AddMinutes(random.Next(1, 120));
        var acknowledged = whistled is { } w && state is not OrderState.Whistled and not OrderState.Cancelled ? w.AddMinutes(random.Next(5, 600)) : (DateTime?)null;
        var resolved = acknowledged is { } a && state is OrderState.Resolved or OrderState.Closed ? a.AddMinutes(random.Next(30, 5_000)) : (DateTime?)null;
        var community = random.Next(r.Communities.Count);
        return new OrderRow(
            number, state, r.Communities[community].Item3!, r.Communities[community].Item1, r.Categories[random.Next(r.Categories.Count)].Item1,
            whistled is null ? null : r.Departments[random.Next(r.Departments.Count)].Item1,
            filed, whistled, acknowledged, whistled?.AddHours(4), whistled?.AddHours(4), resolved, whistled?.AddHours(48),
            state == OrderState.Closed ? Rating.Satisfied : null,
            random.Next(10) == 0 ? 1 : 0, 0, random.Next(20) == 0 ? 1 : 0,
            state == OrderState.Cancelled ? CancelReason.Invalid : null);
    }

    private static (long Rss, long Peak) Resident()
    {
        long rss = 0, peak = 0;
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = Kib(line);
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                peak = Kib(line);
            }
        }
        return (rss, peak);

        static long Kib(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }
}
