namespace Whistle.Api.Features.Stats;

/// <summary>The headline figures over orders whistled in a period.</summary>
public static class GetSummary
{
    /// <param name="From">Start of the period (inclusive); null for the beginning of records.</param>
    /// <param name="To">End of the period (exclusive); null for now and on.</param>
    /// <param name="AsOf">When these figures were computed; they hold until an order changes or a counted order passes a deadline.</param>
    /// <param name="ReadFrom">Where the figures were read: the primary, or a standby within Whistle:Replicas:MaxLagSeconds (asOf is then its last replayed commit when it is behind).</param>
    public sealed record Response(DateTimeOffset? From, DateTimeOffset? To, DateTimeOffset AsOf, Figures Figures, ReadFrom ReadFrom) : IStatsAnswer
    {
        public bool SaysTheSameAs(IStatsAnswer other) => other is Response o && this == o with { AsOf = AsOf };

        public Table ToTable() => Table.Of("whistle-summary", ["from", "to", "asOf", .. Figures.Columns], [[From, To, AsOf, .. Figures.Cells()]]);
    }

    public sealed record Query(StatsFilter Filter) : IQuery<Response>;

    public sealed class Validator : AbstractValidator<Query>
    {
        public Validator(PeriodParser periods) => Include(new StatsFilterRules<Query>(q => q.Filter, periods));
    }

    public sealed class Handler(StatsService stats) : IQueryHandler<Query, Response>
    {
        public async ValueTask<Response> Handle(Query query, CancellationToken cancellationToken)
        {
            var (scope, from, to) = await stats.ScopeAsync(query.Filter, cancellationToken);
            return stats.Answer(scope, (scope, "summary"), _ => (scope, new Grouping.None()), _ => 1, (tallies, _, now) =>
            {
                var nextChange = long.MaxValue;
                var figures = (tallies[0] ?? new Tally()).ToFigures(now, ref nextChange);
                return (new Response(from, to, stats.AsOf(now), figures, stats.Facts.ReadFrom), nextChange);
            });
        }
    }

    internal static RouteHandlerBuilder Map(RouteGroupBuilder stats, TableFormat format = TableFormat.Json) =>
        stats.MapGet(StatsEndpoints.Route("/summary", format), ([AsParameters] StatsFilter filter, IMediator mediator, HttpContext http, CancellationToken cancellationToken) =>
                StatsEndpoints.Reply(http, filter, mediator.Send(new Query(filter), cancellationToken)))
            .WithName(StatsEndpoints.Name("GetSummary", format))
            .WithSummary("The assessment figures for a period")
            .WithDescription(
                "Counted over orders first whistled in [from, to) that match the filters; every figure is defined in the " +
                "Figures schema. Polling is cheap: send the ETag back in If-None-Match for a 304 while nothing changed.")
            .Produces<Response>();
}
