using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;

namespace Whistle.Api.Tests.Stats;

/// <summary>A query as sent (the period's text as a client would type it) and what it means.</summary>
public sealed record StatsQuery(StatsFilter Filter, string? FromText = null, string? ToText = null)
{
    public string QueryString(params (string Name, string? Value)[] more)
    {
        var parts = new (string Name, string? Value)[]
        {
            ("from", FromText), ("to", ToText), ("streetCode", Filter.Street), ("communityCode", Filter.Community),
            ("departmentCode", Filter.Department), ("categoryCode", Filter.Category),
        }.Concat(more).Where(p => p.Value is not null).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}");
        var query = string.Join("&", parts);
        return query.Length == 0 ? "" : "?" + query;
    }
}

/// <summary>
/// Asks the API and compares every figure with the brute force, collecting the differences rather
/// than stopping at the first, so a failure shows the whole picture.
/// </summary>
public sealed class StatsChecker(HttpClient client, IReadOnlyList<ReplayedOrder> orders, ReferenceSet reference, Func<DateTimeOffset> now)
{
    public static readonly TimeZoneInfo Zone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
    private const double Tolerance = 1e-9;

    public List<string> Differences { get; } = [];

    /// <summary>Where the contract leaves a choice open, which one the API made.</summary>
    public List<string> Notes { get; } = [];
    public int Requests { get; private set; }
    public int FiguresCompared { get; private set; }

    public async Task<JsonObject> GetAsync(string path)
    {
        Requests++;
        var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"GET {path}: {(int)response.StatusCode} {body}");
        }
        return JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>A strong ETag and a short private max-age; the same ETag back gives 304.</summary>
    public async Task<string?> CachingAsync(string path)
    {
        Requests += 2;
        var response = await client.GetAsync(path);
        var etag = response.Headers.ETag;
        if (etag is null || etag.IsWeak)
        {
            Differences.Add($"{path}: ETag: expected a strong one, actual {etag?.ToString() ?? "none"}");
            return null;
        }
        var cache = response.Headers.CacheControl;
        if (cache is not { Private: true, MaxAge: { } maxAge } || maxAge > TimeSpan.FromSeconds(60))
        {
            Differences.Add($"{path}: Cache-Control: expected private with a short max-age, actual {cache?.ToString() ?? "none"}");
        }
        var again = await RevalidateAsync(path, etag.Tag);
        if (again != HttpStatusCode.NotModified)
        {
            Differences.Add($"{path}: If-None-Match {etag.Tag}: expected 304, actual {(int)again}");
        }
        return etag.Tag;
    }

    public async Task<HttpStatusCode> RevalidateAsync(string path, string etag)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("If-None-Match", etag);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    public async Task SummaryAsync(StatsQuery query)
    {
        var path = "/api/v1/stats/summary" + query.QueryString();
        var json = await GetAsync(path);
        var asOf = CheckEnvelope(path, json, query);
        Compare(path, "", json["figures"], BruteForce.Figures(orders, query.Filter, asOf));
    }

    public async Task BreakdownAsync(StatsQuery query, string groupBy, string? sort = null, string? order = null)
    {
        var path = "/api/v1/stats/breakdown" + query.QueryString(("groupBy", groupBy), ("sort", sort), ("order", order));
        var json = await GetAsync(path);
        var asOf = CheckEnvelope(path, json, query);
        Same(path, "groupBy", groupBy, (string?)json["groupBy"]);
        if (sort is not null)
        {
            Same(path, "sort", sort, (string?)json["sort"]);
            Same(path, "order", order, (string?)json["order"]);
        }

        var codes = orders.Where(o => query.Filter.Dispatches(o) || query.Filter.HandlesLocally(o))
            .Select(o => GroupOf(o, groupBy)).OfType<string>()
            // A group with only co-handler summons is a row too (by department, the co-handler's own).
            .Concat(orders.SelectMany(o => o.Parts.Where(part => query.Filter.Summons(o, part))
                .Select(part => groupBy == "department" ? part.Department : GroupOf(o, groupBy))).OfType<string>())
            .Distinct().Order(StringComparer.Ordinal).ToList();
        var rows = json["rows"]!.AsArray().Select(r => r!.AsObject()).ToList();
        var actualCodes = rows.Select(r => (string)r["code"]!).ToList();
        var missing = codes.Except(actualCodes).ToList();
        var extra = actualCodes.Except(codes).ToList();
        if (missing.Count > 0 || extra.Count > 0 || actualCodes.Count != actualCodes.Distinct().Count())
        {
            Differences.Add($"{path}: rows: expected [{string.Join(", ", codes)}], actual [{string.Join(", ", actualCodes)}]");
        }
        foreach (var row in rows.Where(r => codes.Contains((string)r["code"]!)))
        {
            var code = (string)row["code"]!;
            Same(path, $"rows[{code}].name", reference.NameOf(groupBy, code), (string?)row["name"]);
            Compare(path, $"rows[{code}].", row["figures"], BruteForce.Figures(orders, query.Filter.Group(groupBy, code), asOf));
        }
        CheckOrder(path, rows, sort, order ?? "asc");
    }

    /// <summary>
    /// Each point's figures are those of its period (cut in Shanghai) within [from, to). Where a bound
    /// falls inside a period, the contract does not say whether the point is clipped to it, so either is taken.
    /// </summary>
    public async Task TimeseriesAsync(StatsQuery query, string interval)
    {
        var path = "/api/v1/stats/timeseries" + query.QueryString(("interval", interval));
        var json = await GetAsync(path);
        var asOf = AsOf(path, json);
        Same(path, "interval", interval, (string?)json["interval"]);
        Same(path, "timeZone", "Asia/Shanghai", (string?)json["timeZone"]);
        var from = json["from"]!.GetValue<DateTimeOffset>();
        var to = json["to"]!.GetValue<DateTimeOffset>();
        if (query.Filter.From is { } f)
        {
            Same(path, "from", f, from);
        }
        else
        {
            // The start of the period holding the earliest order. The contract does not say whether that is the
            // earliest order counted (filters applied) or any order at all: either is taken, and noted.
            var unbounded = query.Filter with { From = null };
            var counted = orders.Where(o => unbounded.Dispatches(o) || o.Parts.Any(part => unbounded.Summons(o, part)))
                .Select(o => o.FirstWhistledAt!.Value)
                .Concat(orders.Where(unbounded.HandlesLocally).Select(o => o.FiledAt)).ToList();
            var any = orders.Min(o => o.FiledAt);
            bool Holds(DateTimeOffset at) => from <= at && at < PeriodEnd(from, interval);
            if (from != PeriodStart(from, interval))
            {
                Differences.Add($"{path}: from: expected the start of a {interval}, actual {Show(from)}");
            }
            else if (counted.Count > 0 && !Holds(counted.Min()))
            {
                if (from <= counted.Min() && Holds(any))
                {
                    Notes.Add($"{path}: from is the start of the {interval} holding the earliest order of all ({Show(any)}), not of those counted ({Show(counted.Min())})");
                }
                else
                {
                    Differences.Add($"{path}: from: expected the start of the {interval} holding the earliest order counted ({Show(counted.Min())}), actual {Show(from)}");
                }
            }
            else if (counted.Count == 0)
            {
                Notes.Add($"{path}: no order counted; from {Show(from)}");
            }
        }
        Same(path, "to", query.Filter.To ?? PeriodEnd(PeriodStart(asOf, interval), interval), to);

        var points = json["points"]!.AsArray().Select(p => p!.AsObject()).ToList();
        var expected = new List<(DateTimeOffset Start, DateTimeOffset End)>();
        for (var start = PeriodStart(from, interval); start < to; start = PeriodEnd(start, interval))
        {
            expected.Add((start, PeriodEnd(start, interval)));
        }
        if (points.Count != expected.Count)
        {
            Differences.Add($"{path}: points: expected {expected.Count}, actual {points.Count}");
            return;
        }
        for (var i = 0; i < points.Count; i++)
        {
            var point = points[i];
            var (start, end) = expected[i];
            var label = Label(start, interval);
            var actualStart = point["start"]!.GetValue<DateTimeOffset>();
            var actualEnd = point["end"]!.GetValue<DateTimeOffset>();
            if (actualStart != start && actualStart == from)
            {
                Notes.Add($"{path}: the first point is clipped to from ({Show(from)})");
            }
            if (actualStart != start && actualStart != from)
            {
                Differences.Add($"{path}: points[{label}].start: expected {Show(start)} (or {Show(from)}), actual {Show(actualStart)}");
            }
            if (actualEnd != end && actualEnd != to)
            {
                Differences.Add($"{path}: points[{label}].end: expected {Show(end)} (or {Show(to)}), actual {Show(actualEnd)}");
            }
            Same(path, $"points[{i}].label", label, (string?)point["label"]);
            var period = query.Filter with { From = start > from ? start : from, To = end < to ? end : to };
            Compare(path, $"points[{label}].", point["figures"], BruteForce.Figures(orders, period, asOf));
        }
    }

    private DateTimeOffset CheckEnvelope(string path, JsonObject json, StatsQuery query)
    {
        Same(path, "from", query.Filter.From, json["from"]?.GetValue<DateTimeOffset>());
        Same(path, "to", query.Filter.To, json["to"]?.GetValue<DateTimeOffset>());
        return AsOf(path, json);
    }

    /// <summary>
    /// The figures must be those at the service's clock (the test's fake one): the brute force counts
    /// overdueNow at that clock whatever asOf says. The contract calls asOf "the service's clock"; the API
    /// may answer with figures computed earlier that still hold (no order changed and no deadline passed
    /// since), and then asOf is when they were computed: that is taken, and noted.
    /// </summary>
    private DateTimeOffset AsOf(string path, JsonObject json)
    {
        var clock = now();
        var asOf = json["asOf"]!.GetValue<DateTimeOffset>();
        if (asOf != clock)
        {
            var lastChange = orders.Max(o => o.LastChangedAt);
            if (asOf > clock || asOf < lastChange)
            {
                Differences.Add($"{path}: asOf: expected the clock {Show(clock)} (or a moment since the last change {Show(lastChange)}), actual {Show(asOf)}");
            }
            else
            {
                Notes.Add($"{path}: asOf {Show(asOf)} is when the figures were computed, not the clock {Show(clock)}");
            }
        }
        return clock;
    }

    private static string? GroupOf(ReplayedOrder order, string groupBy) => groupBy switch
    {
        "street" => order.Street,
        "community" => order.Community,
        "department" => order.Dispatched ? order.Department : null,
        "category" => order.Category,
        _ => throw new ArgumentOutOfRangeException(nameof(groupBy), groupBy, null),
    };

    /// <summary>By code without a sort; else by the figure (nulls last either way), ties by code. Judged on the API's own values.</summary>
    private void CheckOrder(string path, List<JsonObject> rows, string? sort, string order)
    {
        for (var i = 1; i < rows.Count; i++)
        {
            var (a, b) = (rows[i - 1], rows[i]);
            var (codeA, codeB) = ((string)a["code"]!, (string)b["code"]!);
            int comparison;
            if (sort is null)
            {
                comparison = 0;
            }
            else
            {
                var (x, y) = (Number(a["figures"]?[sort]), Number(b["figures"]?[sort]));
                comparison = (x, y) switch
                {
                    (null, null) => 0,
                    (null, _) => 1,
                    (_, null) => -1,
                    // Ordered on the API's own values: a microsecond apart (1e-12 relative) is not a tie.
                    var (p, q) when p.Value == q.Value => 0,
                    var (p, q) => order == "desc" ? q.Value.CompareTo(p.Value) : p.Value.CompareTo(q.Value),
                };
            }
            if (comparison > 0 || (comparison == 0 && string.CompareOrdinal(codeA, codeB) > 0))
            {
                Differences.Add($"{path}: row order: {codeA} ({Show(Number(a["figures"]?[sort ?? "dispatchedOrders"]))}) before {codeB} ({Show(Number(b["figures"]?[sort ?? "dispatchedOrders"]))}); sorted by {sort ?? "code"} {order}, nulls last, ties by code");
            }
        }
    }

    private void Compare(string path, string prefix, JsonNode? actual, Dictionary<string, double?> expected)
    {
        if (actual is not JsonObject figures)
        {
            Differences.Add($"{path}: {prefix}figures missing");
            return;
        }
        foreach (var name in BruteForce.CountNames)
        {
            FiguresCompared++;
            if (!figures.ContainsKey(name))
            {
                Differences.Add($"{path}: {prefix}{name}: missing");
                continue;
            }
            var value = figures[name] is JsonValue v && v.TryGetValue<long>(out var count) ? count : (long?)null;
            if (value != (long?)expected[name])
            {
                Differences.Add($"{path}: {prefix}{name}: expected {expected[name]}, actual {figures[name]?.ToJsonString() ?? "null"}");
            }
        }
        foreach (var name in BruteForce.RealNames)
        {
            FiguresCompared++;
            if (!figures.ContainsKey(name))
            {
                Differences.Add($"{path}: {prefix}{name}: missing");
                continue;
            }
            var value = Number(figures[name]);
            var want = expected[name];
            var same = (value, want) switch
            {
                (null, null) => true,
                ({ } a, { } b) => Close(a, b),
                _ => false,
            };
            if (!same)
            {
                Differences.Add($"{path}: {prefix}{name}: expected {Show(want)}, actual {Show(value)}");
            }
        }
    }

    private void Same<T>(string path, string what, T expected, T actual)
    {
        if (!EqualityComparer<T>.Default.Equals(expected, actual))
        {
            Differences.Add($"{path}: {what}: expected {Show(expected)}, actual {Show(actual)}");
        }
    }

    private static double? Number(JsonNode? node) => node is JsonValue value && value.TryGetValue<double>(out var number) ? number : null;

    private static bool Close(double a, double b) => a == b || Math.Abs(a - b) <= Tolerance * Math.Max(Math.Abs(a), Math.Abs(b));

    public static string Show<T>(T value) => value switch
    {
        null => "null",
        DateTimeOffset at => ReplayedOrder.Format(at),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        _ => value.ToString()!,
    };

    public static DateTimeOffset PeriodStart(DateTimeOffset at, string interval)
    {
        var local = TimeZoneInfo.ConvertTime(at, Zone).Date;
        var date = interval switch
        {
            "day" => local,
            "week" => local.AddDays(-(((int)local.DayOfWeek + 6) % 7)),
            "month" => new DateTime(local.Year, local.Month, 1),
            _ => throw new ArgumentOutOfRangeException(nameof(interval), interval, null),
        };
        return Midnight(date);
    }

    public static DateTimeOffset PeriodEnd(DateTimeOffset start, string interval)
    {
        var local = TimeZoneInfo.ConvertTime(start, Zone).Date;
        return Midnight(interval switch
        {
            "day" => local.AddDays(1),
            "week" => local.AddDays(7),
            "month" => local.AddMonths(1),
            _ => throw new ArgumentOutOfRangeException(nameof(interval), interval, null),
        });
    }

    public static DateTimeOffset Midnight(DateTime localDate) =>
        new DateTimeOffset(localDate, Zone.GetUtcOffset(localDate)).ToUniversalTime();

    private static string Label(DateTimeOffset start, string interval)
    {
        var local = TimeZoneInfo.ConvertTime(start, Zone).Date;
        return interval switch
        {
            "day" => local.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            "week" => $"{ISOWeek.GetYear(local)}-W{ISOWeek.GetWeekOfYear(local):D2}",
            _ => local.ToString("yyyy-MM", CultureInfo.InvariantCulture),
        };
    }
}
