using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace Whistle.Api.Features.Stats;

/// <summary>The figures period by period, cut in the district's time zone: the trend a dashboard charts.</summary>
public static class GetTimeseries
{
    public static readonly IReadOnlyList<string> Intervals = ["day", "week", "month"];

    /// <summary>More periods than a chart can show is a mistake in the request, and a costly answer.</summary>
    public const int MaxPoints = 1000;

    /// <param name="Interval">day, week (Monday to Sunday) or month.</param>
    /// <param name="TimeZone">The time zone the periods are cut in.</param>
    /// <param name="Points">Every period from the first to the last, empty ones included.</param>
    /// <param name="ReadFrom">Where the figures were read: the primary, or a standby within Whistle:Replicas:MaxLagSeconds (asOf is then its last replayed commit when it is behind).</param>
    public sealed record Response(
        DateTimeOffset From, DateTimeOffset To, DateTimeOffset AsOf, string Interval, string TimeZone, IReadOnlyList<Point> Points, ReadFrom ReadFrom) : IStatsAnswer
    {
        public bool SaysTheSameAs(IStatsAnswer other) =>
            other is Response o && this with { Points = o.Points } == o with { AsOf = AsOf } && Points.SequenceEqual(o.Points);

        public Table ToTable() => Table.Of($"whistle-by-{Interval}", [Interval, "start", "end", .. Figures.Columns],
            Points.Select(point => (object?[])[point.Label, point.Start, point.End, .. point.Figures.Cells()]));
    }

    /// <param name="Start">The period's start (or the request's from, if later).</param>
    /// <param name="End">The period's end, exclusive (or the request's to, if earlier).</param>
    /// <param name="Label">2026-03-02 for a day, 2026-W10 for an ISO week, 2026-03 for a month.</param>
    public sealed record Point(DateTimeOffset Start, DateTimeOffset End, string Label, Figures Figures);

    public sealed record Query(StatsFilter Filter, string? Interval) : IQuery<Response>;

    public sealed class Validator : AbstractValidator<Query>
    {
        public Validator(PeriodParser periods)
        {
            Include(new StatsFilterRules<Query>(q => q.Filter, periods));
            RuleFor(q => q.Interval).NotEmpty().Must(i => Intervals.Contains(i))
                .WithMessage("'interval' must be day, week or month.").OverridePropertyName("interval");
        }
    }

    public sealed class Handler(StatsService stats, IOptions<WhistleOptions> options) : IQueryHandler<Query, Response>
    {
        private readonly TimeZoneInfo _zone = options.Value.Zone;

        public async ValueTask<Response> Handle(Query query, CancellationToken cancellationToken)
        {
            var (scope, from, to) = await stats.ScopeAsync(query.Filter, cancellationToken);
            var interval = query.Interval!;
            DateTimeOffset[] bounds = [];
            long[] micros = [];
            return stats.Answer((scope, interval), (scope, interval),
                now =>
                {
                    bounds = Bounds(from, to, scope, interval, now);
                    micros = bounds.Select(Micros.Bound).ToArray();
                    return (scope with { From = micros[0], To = micros[^1] }, new Grouping.ByPeriod(micros));
                },
                _ => micros.Length - 1,
                (tallies, _, now) =>
                {
                    var nextChange = long.MaxValue;
                    var points = new Point[micros.Length - 1];
                    for (var i = 0; i < points.Length; i++)
                    {
                        var tally = i < tallies.Length ? tallies[i] : null;
                        points[i] = new Point(bounds[i], bounds[i + 1], Label(bounds[i], interval), (tally ?? new Tally()).ToFigures(now, ref nextChange));
                    }
                    // An open end moves with the clock: the answer lasts until the current period ends.
                    var validUntil = to is null ? Math.Min(nextChange, micros[^1] - 1) : nextChange;
                    return (new Response(bounds[0], bounds[^1], stats.AsOf(now), interval, _zone.Id, points, stats.Facts.ReadFrom), validUntil);
                });
        }

        /// <summary>The periods' bounds; without from, from the period of the first counted order, without to, to the end of the current one.</summary>
        private DateTimeOffset[] Bounds(DateTimeOffset? from, DateTimeOffset? to, StatsScope scope, string interval, long now)
        {
            var start = from ?? (stats.Facts.Read((columns, _) => Earliest(columns, scope)) is { } first
                ? PeriodStart(first, interval) : PeriodStart(now, interval));
            var end = to ?? PeriodStart(now, interval, next: true);
            if (end <= start)
            {
                // An open bound met the other one the wrong way round: no period to show.
                throw new ValidationException([new FluentValidation.Results.ValidationFailure(to is null ? "from" : "to",
                    "The period is empty: without 'from' it starts with the first order counted, without 'to' it ends with the current period.")]);
            }
            var bounds = new List<DateTimeOffset> { start };
            var cut = PeriodStart(Micros.Of(start), interval, next: true);
            while (cut < end)
            {
                if (bounds.Count >= MaxPoints)
                {
                    throw new ValidationException([new FluentValidation.Results.ValidationFailure("interval",
                        $"The period holds more than {MaxPoints} {interval}s; narrow it or choose a longer interval.")]);
                }
                bounds.Add(cut);
                cut = PeriodStart(Micros.Of(cut), interval, next: true);
            }
            bounds.Add(end);
            return bounds.ToArray();
        }

        /// <summary>When the first order the filters count was whistled (or filed, if handled locally); by the scan's own test.</summary>
        private static long? Earliest(FactColumns columns, StatsScope scope)
        {
            var always = scope with { From = long.MinValue, To = long.MaxValue };
            var whole = new Grouping.None();
            var earliest = long.MaxValue;
            for (var i = 0; i < columns.Count; i++)
            {
                var fact = columns.Get(i);
                var at = (fact.Flags & Flag.Whistled) != 0 ? fact.WhistledAt : fact.FiledAt;
                if (at < earliest && StatsScan.GroupOf(fact, always, whole) >= 0)
                {
                    earliest = at;
                }
            }
            return earliest == long.MaxValue ? null : earliest;
        }

        /// <summary>The start of the period holding an instant (or of the one after it), in the district's time zone.</summary>
        private DateTimeOffset PeriodStart(long micros, string interval, bool next = false)
        {
            var local = TimeZoneInfo.ConvertTime(Micros.ToTime(micros), _zone).DateTime.Date;
            var start = interval switch
            {
                "day" => local,
                "week" => local.AddDays(-(((int)local.DayOfWeek + 6) % 7)),
                _ => new DateTime(local.Year, local.Month, 1),
            };
            if (next)
            {
                start = interval switch
                {
                    "day" => start.AddDays(1),
                    "week" => start.AddDays(7),
                    _ => start.AddMonths(1),
                };
            }
            return new DateTimeOffset(start, _zone.GetUtcOffset(start)).ToUniversalTime();
        }

        private string Label(DateTimeOffset start, string interval)
        {
            var local = TimeZoneInfo.ConvertTime(start, _zone).DateTime;
            return interval switch
            {
                "day" => local.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                "week" => $"{ISOWeek.GetYear(local)}-W{ISOWeek.GetWeekOfYear(local):00}",
                _ => local.ToString("yyyy-MM", CultureInfo.InvariantCulture),
            };
        }
    }

    internal static RouteHandlerBuilder Map(RouteGroupBuilder stats, TableFormat format = TableFormat.Json) =>
        stats.MapGet(StatsEndpoints.Route("/timeseries", format), (
                [AsParameters] StatsFilter filter,
                [FromQuery, Description("day, week (Monday to Sunday) or month, cut in the district's time zone."), DocumentedAs(JsonSchemaType.String, Values = ["day", "week", "month"])] string? interval,
                IMediator mediator, HttpContext http, CancellationToken cancellationToken) =>
                StatsEndpoints.Reply(http, filter, mediator.Send(new Query(filter, interval), cancellationToken)))
            .WithName(StatsEndpoints.Name("GetTimeseries", format))
            .WithSummary("The figures per day, week or month")
            .WithDescription(
                "Every period in [from, to), empty ones included, with the summary's figures over the orders first whistled in it " +
                "(handled-locally orders by their filing). Without from: the period of the first order counted; without to: the " +
                $"end of the current period. At most {MaxPoints} periods.")
            .Produces<Response>();
}
