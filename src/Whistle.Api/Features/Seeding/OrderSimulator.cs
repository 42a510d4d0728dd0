using Whistle.Domain.Reference;

namespace Whistle.Api.Features.Seeding;

/// <summary>
/// Lives plausible order lives through the real domain, so seeded histories obey the lifecycle:
/// most orders are whistled and resolved in time and closed satisfied, some are handled locally,
/// returned and re-whistled, reopened, cancelled, late or stalled, and those filed lately are still
/// on their way. Shaped after Hohhot's year (domain.md): about 96% of valid orders completed.
/// </summary>
internal sealed class OrderSimulator(Random random, ReferenceSet reference, DateTimeOffset now)
{
    private static readonly string[] Problems =
    [
        "Reported by the grid worker on the morning round.",
        "Residents of the building raised it with the building leader.",
        "Seen by a delivery rider and snapped with the app (随手拍).",
        "Came up again at the residents' meeting; needs a department.",
    ];

    /// <summary>A position inside the grid's built-in boundary; anywhere in the built-in area for a grid it does not know.</summary>
    private Location Within(string gridCode, string address)
    {
        var cell = Geo.BuiltInBoundaries.Grids.TryGetValue(gridCode, out var known)
            ? known
            : new Geo.BuiltInBoundaries.Cell(Geo.BuiltInBoundaries.West, Geo.BuiltInBoundaries.South, Geo.BuiltInBoundaries.East, Geo.BuiltInBoundaries.North);
        var (latitude, longitude) = cell.At(random.NextDouble(), random.NextDouble());
        return new Location(latitude, longitude, address);
    }

    public Order Simulate(DateTimeOffset filedAt)
    {
        var category = reference.Categories[random.Next(reference.Categories.Count)];
        var grid = reference.Grids[random.Next(reference.Grids.Count)];
        var community = reference.Communities[grid.CommunityCode];
        var priority = random.NextDouble() < 0.1 ? Priority.Urgent : Priority.Normal;
        var limits = category.LimitsFor(priority);
        var gridWorker = $"grid-worker-{grid.Code}";
        var communityDesk = $"community-{community.Code}";

        var order = Order.File(
            Guid.CreateVersion7(filedAt), $"{category.Name} · {grid.Name}", Problems[random.Next(Problems.Length)],
            category, grid, community,
            Within(grid.Code, $"{community.Name} {random.Next(1, 40)}号楼"),
            priority, gridWorker, filedAt);
        var at = filedAt;

        // Supervisors press an order past its deadline (督办): the street's two hours after it, the district a day later.
        void Press(DateTimeOffset? deadline, DateTimeOffset until)
        {
            if (deadline is not { } due)
            {
                return;
            }
            foreach (var (after, actor) in new[] { (TimeSpan.FromHours(2), $"supervisor-{community.StreetCode}"), (TimeSpan.FromHours(26), "supervisor-district") })
            {
                var when = due + after;
                if (when > at && when < until && when <= now)
                {
                    order.Escalate("Past its deadline with no word from the department.", actor, when);
                    at = when;
                }
            }
        }

        // Moves on to the next step; a deadline passed on the way gets the order escalated first.
        bool Next(TimeSpan after, DateTimeOffset? deadline = null)
        {
            var next = at + after;
            Press(deadline, next);
            at = next;
            return at <= now;
        }

        var fate = random.NextDouble();
        if (fate < 0.08)
        {
            if (Next(Hours(1, 48)))
            {
                order.HandleLocally("The grid team and building leaders fixed it.", communityDesk, at);
            }
            return order;
        }
        if (fate < 0.10)
        {
            if (Next(Hours(0.5, 24)))
            {
                order.Cancel(random.NextDouble() < 0.6 ? CancelReason.Duplicate : CancelReason.Invalid, null, communityDesk, at);
            }
            return order;
        }

        if (!Next(Hours(0.2, 4)))
        {
            return order;
        }
        var department = category.DepartmentCode;
        order.Whistle(department, limits, communityDesk, at);

        if (random.NextDouble() < 0.015)
        {
            if (Next(Hours(1, 24)))
            {
                // Most found after the whistle are duplicates of an order already in hand (not valid); a few withdrawn (still valid).
                var reason = random.NextDouble() switch { < 0.6 => CancelReason.Duplicate, < 0.8 => CancelReason.Invalid, _ => CancelReason.Withdrawn };
                order.Cancel(reason, reason == CancelReason.Withdrawn ? "Residents sorted it out between themselves." : null, communityDesk, at);
            }
            return order;
        }
        if (random.NextDouble() < 0.07)
        {
            if (!Next(Hours(1, 20)))
            {
                return order;
            }
            order.Return("Outside our duty catalogue.", $"{department}-desk", at);
            if (!Next(Hours(1, 24)))
            {
                return order;
            }
            department = reference.Departments[random.Next(reference.Departments.Count)];
            order.Whistle(department, limits, communityDesk, at);
        }
        // A few orders stall with the department: the overdue ones supervisors chase.
        if (random.NextDouble() < 0.015)
        {
            Press(order.AcknowledgeBy, now);
            return order;
        }
        var late = random.NextDouble() < 0.08;
        if (!Next(late ? limits.AcknowledgeWithin * (1 + random.NextDouble() * 2) : limits.AcknowledgeWithin * (0.05 + random.NextDouble() * 0.9), order.AcknowledgeBy))
        {
            return order;
        }
        order.Acknowledge(null, $"{department}-desk", at);
        if (random.NextDouble() < 0.015)
        {
            Press(order.ResolveBy, now);
            return order;
        }

        for (var round = 0; ; round++)
        {
            var overdue = random.NextDouble() < 0.12;
            var window = overdue ? limits.ResolveWithin * (1 + random.NextDouble()) : limits.ResolveWithin * (0.1 + random.NextDouble() * 0.85);
            if (!Next(window, order.ResolveBy))
            {
                return order;
            }
            order.Resolve("Handled on site; photos attached in the department's system.", $"{department}-desk", at);
            if (!Next(Hours(2, 120)))
            {
                return order;
            }
            var rating = random.NextDouble() switch
            {
                < 0.82 => Rating.Satisfied,
                < 0.95 => Rating.BasicallySatisfied,
                _ when round == 0 => Rating.Unsatisfied,
                _ => Rating.BasicallySatisfied,
            };
            order.Evaluate(rating, rating == Rating.Unsatisfied ? "The problem came back within days." : null, limits, communityDesk, at);
            if (rating != Rating.Unsatisfied)
            {
                return order;
            }
        }
    }

    private TimeSpan Hours(double min, double max) => TimeSpan.FromHours(min + random.NextDouble() * (max - min));
}

/// <summary>The reference data the simulator draws from.</summary>
internal sealed record ReferenceSet(
    IReadOnlyList<Category> Categories, IReadOnlyList<Grid> Grids, IReadOnlyDictionary<string, Community> Communities,
    IReadOnlyList<string> Departments);
