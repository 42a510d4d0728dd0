using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Stats;

/// <summary>
/// Lives random histories through the HTTP API: orders filed over about two months in a few streets,
/// communities and categories, then whistled, acknowledged, returned, re-whistled, resolved, evaluated,
/// reopened, escalated, cancelled, merged into another order (并单) or handled locally. The fake clock is moved forward before each step,
/// so every step has its own instant; many land on or next to midnight in Shanghai and on, just before
/// or just after a deadline. Some whistles summon co-handling departments (and some orders summon one
/// more later), whose parts are reported, done, declined or waived; where the app reviews returns
/// (<see cref="Joint.ReviewedReturnsApp"/>), returns are approved or refused.
/// </summary>
public sealed class HistorySimulator(WhistleApp app, HttpClient client, Random random, ReferenceSet reference)
{
    private readonly bool _reviewedReturns = app is Joint.ReviewedReturnsApp;

    public static readonly TimeSpan Span = TimeSpan.FromDays(60);
    private static readonly TimeSpan Microsecond = TimeSpan.FromTicks(10);
    private static readonly TimeSpan Shanghai = TimeSpan.FromHours(8);

    private readonly PriorityQueue<Step, (DateTimeOffset At, long Sequence)> _queue = new();
    private long _sequence;
    private string[] _grids = [];
    private string[] _categories = [];
    private string[] _departments = [];
    private readonly List<Simulated> _filed = [];

    private sealed class Simulated
    {
        public Guid Id { get; set; }
        public string Category { get; init; } = "";
        public Order? Order { get; set; }
        public int Escalations { get; set; }
    }

    private sealed record Step(Simulated Order, string Action);

    /// <summary>The end of the simulated time; the clock is left there.</summary>
    public DateTimeOffset End { get; private set; }

    public async Task<IReadOnlyList<Guid>> RunAsync(int orders)
    {
        PickPlaces();
        var start = app.Clock.GetUtcNow();
        End = start + Span + TimeSpan.FromDays(2);
        var filed = _filed;
        for (var i = 0; i < orders; i++)
        {
            var order = new Simulated { Category = Pick(_categories) };
            filed.Add(order);
            var at = start + TimeSpan.FromMinutes(random.NextDouble() * Span.TotalMinutes);
            Schedule(order, "file", random.NextDouble() < 0.15 ? NearMidnight(at) : Whole(at));
        }

        while (_queue.TryDequeue(out var step, out var when))
        {
            if (when.At >= End)
            {
                continue; // never happens: the order stays where it is, perhaps overdue
            }
            var now = app.Clock.GetUtcNow();
            app.Clock.SetUtcNow(when.At > now ? when.At : now + Microsecond);
            await PerformAsync(step);
            Next(step.Order);
        }
        app.Clock.SetUtcNow(End);
        return filed.Select(o => o.Id).ToList();
    }

    private void PickPlaces()
    {
        var streets = reference.StreetNames.Keys.Order(StringComparer.Ordinal).ToArray();
        var chosenStreets = random.GetItems(streets, 3).Distinct().ToArray();
        var grids = new List<string>();
        foreach (var street in chosenStreets)
        {
            var communities = reference.StreetOfCommunity.Where(c => c.Value == street).Select(c => c.Key).Order(StringComparer.Ordinal).ToArray();
            foreach (var community in random.GetItems(communities, random.Next(1, 4)).Distinct())
            {
                var inCommunity = reference.CommunityOfGrid.Where(g => g.Value == community).Select(g => g.Key).Order(StringComparer.Ordinal).ToArray();
                grids.AddRange(random.GetItems(inCommunity, random.Next(1, 3)).Distinct());
            }
        }
        _grids = [.. grids];
        // street-vending and streetlight sort differently by ordinal and by a natural-language collation.
        // The simulated departments resolve without photos: not the categories that need a resolution photo.
        var categories = reference.Categories.Values.Where(c => !c.RequiresResolutionPhoto).Select(c => c.Code).Order(StringComparer.Ordinal).ToArray();
        _categories = [.. random.GetItems(categories, 6).Append("street-vending").Append("streetlight").Distinct()];
        _departments = [.. reference.DepartmentNames.Keys.Order(StringComparer.Ordinal)];
    }

    private async Task PerformAsync(Step step)
    {
        var order = step.Order;
        switch (step.Action)
        {
            case "file":
                order.Order = await client.File(order.Category, Pick(_grids), random.NextDouble() < 0.25 ? "urgent" : null);
                order.Id = order.Order.Id;
                break;
            case "whistle":
                order.Order = await WhistleAsync(order);
                break;
            case "summon":
                order.Order = await client.Act(order.Id, "summon", new { departmentCode = Pick(Outside(order.Order!)) });
                break;
            case var part when part.StartsWith("part:", StringComparison.Ordinal):
                order.Order = await ActOnPartAsync(order, part.Split(':')[1], part.Split(':')[2]);
                break;
            case "approve-return":
                order.Order = await client.Act(order.Id, "approve-return", new { note = "Agreed" });
                break;
            case "refuse-return":
                order.Order = await client.Act(order.Id, "refuse-return", new { note = "It is your duty" });
                break;
            case "acknowledge":
                order.Order = await client.Acknowledge(order.Id);
                break;
            case "return":
                order.Order = _reviewedReturns
                    ? await client.Act(order.Id, "return", new { reason = "Not our duty", reasonCode = "not-our-duty", basis = "Duty catalogue" })
                    : await client.Return(order.Id);
                break;
            case "resolve":
                // The lead resolves once every co-handler part is settled: those still open are settled first, a step each.
                foreach (var open in order.Order!.Parts!.Where(p => p.Role == "co-handler" && p.State is "summoned" or "reported").ToList())
                {
                    var settle = random.Next(3) switch { 0 => "decline", 1 => "waive", _ => open.State == "summoned" ? "report" : "complete" };
                    order.Order = await ActOnPartAsync(order, settle, open.DepartmentCode);
                    if (settle == "report")
                    {
                        order.Order = await ActOnPartAsync(order, "complete", open.DepartmentCode);
                    }
                }
                order.Order = await client.Resolve(order.Id);
                break;
            case "satisfied" or "basically-satisfied" or "unsatisfied":
                order.Order = await client.Evaluate(order.Id, step.Action);
                break;
            case "cancel":
                order.Order = await client.Cancel(order.Id, Pick(["duplicate", "invalid", "withdrawn"]));
                break;
            case "merge":
                // Into an order that still counts, whatever its category or place: the figures must count the problem once.
                var survivors = _filed.Where(o => o.Order is { State: not ("cancelled" or "merged") } && o.Id != order.Id).ToArray();
                if (survivors.Length > 0)
                {
                    order.Order = await client.Act(order.Id, "merge", new { intoOrderId = Pick(survivors).Id });
                }
                break;
            case "handle-locally":
                order.Order = await client.Act(order.Id, "handle-locally", new { result = "Fixed by the grid team" });
                break;
            case "escalate":
                order.Order = await client.Act(order.Id, "escalate", new { reason = "Still not handled" });
                order.Escalations++;
                break;
            default:
                throw new InvalidOperationException(step.Action);
        }
    }

    /// <summary>Whistles to a department, now and then with co-handlers; never to one that already co-handles the order.</summary>
    private async Task<Order> WhistleAsync(Simulated order)
    {
        var current = order.Order!;
        var coHandling = (current.Parts ?? []).Where(p => p.Role == "co-handler").Select(p => p.DepartmentCode).ToHashSet();
        var named = WhistleDepartment(order);
        var lead = named ?? reference.Categories[order.Category].DepartmentCode;
        if (coHandling.Contains(lead))
        {
            named = lead = _departments.First(d => !coHandling.Contains(d) && d != current.ReturnedByDepartmentCode);
        }
        var co = random.NextDouble() < 0.3
            ? random.GetItems(_departments[..8], random.Next(1, 3)).Distinct().Where(d => d != lead).ToArray()
            : [];
        return co.Length == 0 && named is null
            ? await client.Whistle(order.Id)
            : await client.Act(order.Id, "whistle", new { departmentCode = named ?? lead, coDepartmentCodes = co });
    }

    private async Task<Order> ActOnPartAsync(Simulated order, string action, string department)
    {
        // Each step its own instant, even those taken together before a resolve.
        app.Clock.Advance(Microsecond);
        object? body = action switch
        {
            "complete" => new { result = "Our share is done" },
            "decline" or "waive" => new { reason = "Not needed" },
            _ => null,
        };
        return await client.Act(order.Id, $"parts/{department}/{action}", body);
    }

    /// <summary>Departments with no part in the order yet, to summon.</summary>
    private string[] Outside(Order order) =>
        _departments[..8].Where(d => (order.Parts ?? []).All(p => p.DepartmentCode != d)).ToArray();

    /// <summary>Sometimes names a department; must name one when the catalogue would send it back to the one that returned it.</summary>
    private string? WhistleDepartment(Simulated order)
    {
        var catalogue = reference.Categories[order.Category].DepartmentCode;
        var mustName = order.Order!.ReturnedByDepartmentCode == catalogue;
        if (!mustName && random.NextDouble() < 0.7)
        {
            return null;
        }
        // Mostly a handful of departments, so some of them collect orders from several categories.
        var department = random.NextDouble() < 0.6 ? Pick(_departments[..5]) : Pick(_departments);
        return mustName && department == catalogue ? _departments.First(d => d != catalogue) : department;
    }

    /// <summary>Chooses what happens next to the order, and when.</summary>
    private void Next(Simulated order)
    {
        var current = order.Order!;
        var now = app.Clock.GetUtcNow();
        var r = random.NextDouble();
        if (current.State is "whistled" or "acknowledged")
        {
            // A co-handler's part moves now and then, its report near its own deadline; once in a while one more is summoned.
            var open = (current.Parts ?? []).FirstOrDefault(p => p.Role == "co-handler" && p.State is "summoned" or "reported");
            if (open is not null && random.NextDouble() < 0.4)
            {
                var action = open.State == "summoned"
                    ? random.Next(10) switch { < 7 => "report", < 9 => "decline", _ => "waive" }
                    : random.Next(10) switch { < 8 => "complete", < 9 => "decline", _ => "waive" };
                Schedule(order, $"part:{action}:{open.DepartmentCode}",
                    action == "report" ? NearDeadline(now, open.AcknowledgeBy!.Value) : Later(now, TimeSpan.FromHours(20)));
                return;
            }
            if (random.NextDouble() < 0.04 && Outside(current).Length > 0)
            {
                Schedule(order, "summon", Later(now, TimeSpan.FromHours(10)));
                return;
            }
        }
        switch (current.State)
        {
            case "return-under-review":
                Schedule(order, r < 0.6 ? "approve-return" : "refuse-return", Later(now, TimeSpan.FromDays(1)));
                break;
            case "discovered":
                if (r < 0.72)
                {
                    Schedule(order, "whistle", Later(now, TimeSpan.FromHours(30)));
                }
                else if (r < 0.84)
                {
                    Schedule(order, "handle-locally", Later(now, TimeSpan.FromDays(3)));
                }
                else if (r < 0.92)
                {
                    Schedule(order, "cancel", Later(now, TimeSpan.FromDays(2)));
                }
                else if (r < 0.96)
                {
                    Schedule(order, "merge", Later(now, TimeSpan.FromDays(2)));
                }
                break;
            case "whistled":
                if (r < 0.58)
                {
                    Schedule(order, "acknowledge", NearDeadline(now, current.Deadlines.AcknowledgeBy!.Value));
                }
                else if (r < 0.70)
                {
                    Schedule(order, "return", Later(now, TimeSpan.FromHours(20)));
                }
                else if (r < 0.77)
                {
                    Schedule(order, "cancel", Later(now, TimeSpan.FromDays(2)));
                }
                else if (r < 0.88 && order.Escalations < 3)
                {
                    Schedule(order, "escalate", NearDeadline(now, current.Deadlines.AcknowledgeBy!.Value));
                }
                else if (r < 0.93)
                {
                    Schedule(order, "merge", Later(now, TimeSpan.FromDays(2)));
                }
                break;
            case "acknowledged":
                if (r < 0.68)
                {
                    Schedule(order, "resolve", NearDeadline(now, current.Deadlines.ResolveBy!.Value));
                }
                else if (r < 0.76)
                {
                    Schedule(order, "return", Later(now, TimeSpan.FromDays(2)));
                }
                else if (r < 0.86 && order.Escalations < 3)
                {
                    Schedule(order, "escalate", NearDeadline(now, current.Deadlines.ResolveBy!.Value));
                }
                else if (r < 0.91)
                {
                    Schedule(order, "merge", Later(now, TimeSpan.FromDays(2)));
                }
                break;
            case "returned":
                if (r < 0.7)
                {
                    Schedule(order, "whistle", Later(now, TimeSpan.FromDays(2)));
                }
                else if (r < 0.9)
                {
                    Schedule(order, "cancel", Later(now, TimeSpan.FromDays(3)));
                }
                break;
            case "resolved":
                if (r < 0.45)
                {
                    Schedule(order, "satisfied", Later(now, TimeSpan.FromDays(3)));
                }
                else if (r < 0.6)
                {
                    Schedule(order, "basically-satisfied", Later(now, TimeSpan.FromDays(3)));
                }
                else if (r < 0.85)
                {
                    Schedule(order, "unsatisfied", Later(now, TimeSpan.FromDays(3)));
                }
                break;
        }
    }

    private void Schedule(Simulated order, string action, DateTimeOffset at) => _queue.Enqueue(new(order, action), (at, _sequence++));

    /// <summary>Some time within <paramref name="within"/>; now and then on or next to a Shanghai midnight instead.</summary>
    private DateTimeOffset Later(DateTimeOffset now, TimeSpan within)
    {
        var at = Whole(now + TimeSpan.FromSeconds(1 + random.NextDouble() * within.TotalSeconds));
        return random.NextDouble() < 0.2 ? NearMidnight(at) : at;
    }

    /// <summary>On the deadline, a microsecond or a second either side, or well before or after it.</summary>
    private DateTimeOffset NearDeadline(DateTimeOffset now, DateTimeOffset deadline)
    {
        var at = random.Next(8) switch
        {
            0 => deadline,
            1 => deadline - Microsecond,
            2 => deadline + Microsecond,
            3 => deadline - TimeSpan.FromSeconds(1),
            4 => deadline + TimeSpan.FromSeconds(1),
            5 => deadline + TimeSpan.FromHours(random.NextDouble() * 48),
            _ => now + (deadline - now) * random.NextDouble(),
        };
        at = Whole(at);
        return at > now ? at : Later(now, TimeSpan.FromHours(1));
    }

    /// <summary>The next midnight in Shanghai after <paramref name="at"/>, exactly, or a microsecond, a second or minutes from it.</summary>
    private DateTimeOffset NearMidnight(DateTimeOffset at)
    {
        var local = at.ToOffset(Shanghai);
        var midnight = new DateTimeOffset(local.Date.AddDays(1), Shanghai).ToUniversalTime();
        var offset = random.Next(6) switch
        {
            0 or 1 => TimeSpan.Zero,
            2 => -Microsecond,
            3 => Microsecond,
            4 => TimeSpan.FromSeconds(random.Next(2) == 0 ? -1 : 1),
            _ => TimeSpan.FromMinutes(random.NextDouble() * 20 - 10),
        };
        return Whole(midnight + offset);
    }

    /// <summary>Truncated to whole microseconds, the precision the store keeps.</summary>
    private static DateTimeOffset Whole(DateTimeOffset at) => new(at.UtcTicks - at.UtcTicks % 10, TimeSpan.Zero);

    private T Pick<T>(T[] items) => items[random.Next(items.Length)];
}
