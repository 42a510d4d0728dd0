using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;

namespace Whistle.Api.Features.Stats;

/// <summary>The same figures for each department, street, community or category: the ranking a dashboard shows.</summary>
public static class GetBreakdown
{
    public static readonly IReadOnlyList<string> Groups = ["department", "street", "community", "category"];

    /// <param name="GroupBy">department, street, community or category.</param>
    /// <param name="Sort">The figure the rows are sorted by (or code, name).</param>
    /// <param name="Order">asc or desc; rows without a value (a null rate) come last either way, ties by code.</param>
    /// <param name="Rows">One per group with at least one order counted (dispatched, or handled locally).</param>
    /// <param name="ReadFrom">Where the figures were read: the primary, or a standby within Whistle:Replicas:MaxLagSeconds (asOf is then its last replayed commit when it is behind).</param>
    public sealed record Response(
        DateTimeOffset? From, DateTimeOffset? To, DateTimeOffset AsOf, string GroupBy, string Sort, string Order, IReadOnlyList<Row> Rows, ReadFrom ReadFrom) : IStatsAnswer
    {
        public bool SaysTheSameAs(IStatsAnswer other) =>
            other is Response o && this with { Rows = o.Rows } == o with { AsOf = AsOf } && Rows.SequenceEqual(o.Rows);

        public Table ToTable() => Table.Of($"whistle-by-{GroupBy}", [GroupBy, "name", .. Figures.Columns],
            Rows.Select(row => (object?[])[row.Code, row.Name, .. row.Figures.Cells()]));
    }

    /// <param name="Code">The group's reference code.</param>
    /// <param name="Name">Its name.</param>
    public sealed record Row(string Code, string Name, Figures Figures);

    public sealed record Query(StatsFilter Filter, string? GroupBy, string? Sort, string? Order) : IQuery<Response>;

    public sealed class Validator : AbstractValidator<Query>
    {
        public Validator(PeriodParser periods)
        {
            Include(new StatsFilterRules<Query>(q => q.Filter, periods));
            RuleFor(q => q.GroupBy).NotEmpty().Must(g => Groups.Contains(g))
                .WithMessage($"'groupBy' must be one of: {string.Join(", ", Groups)}.").OverridePropertyName("groupBy");
            RuleFor(q => q.Sort).Must(s => s is null or "code" or "name" || Figures.Sortable.ContainsKey(s))
                .WithMessage($"'sort' must be code, name or a figure: {string.Join(", ", Figures.Sortable.Keys)}.").OverridePropertyName("sort");
            RuleFor(q => q.Order).Must(o => o is null or "asc" or "desc")
                .WithMessage("'order' must be asc or desc.").OverridePropertyName("order");
        }
    }

    public sealed class Handler(StatsService stats) : IQueryHandler<Query, Response>
    {
        public async ValueTask<Response> Handle(Query query, CancellationToken cancellationToken)
        {
            var (scope, from, to) = await stats.ScopeAsync(query.Filter, cancellationToken);
            var column = Enum.Parse<GroupColumn>(query.GroupBy!, ignoreCase: true);
            var sort = query.Sort ?? "code";
            var order = query.Order ?? "asc";
            return stats.Answer((scope, column, sort, order), (scope, column), _ => (scope, new Grouping.ByColumn(column)),
                codes => TableOf(codes, column).Count, (tallies, codes, now) =>
                {
                    var table = TableOf(codes, column);
                    var nextChange = long.MaxValue;
                    var rows = new List<Row>();
                    for (var g = 0; g < tallies.Length && g < table.Count; g++)
                    {
                        if (tallies[g] is { IsEmpty: false } tally)
                        {
                            rows.Add(new Row(table.CodeOf(g), table.NameOf(g), tally.ToFigures(now, ref nextChange)));
                        }
                    }
                    return (new Response(from, to, stats.AsOf(now), query.GroupBy!, sort, order, Sorted(rows, sort, order), stats.Facts.ReadFrom), nextChange);
                });
        }

        private static ReferenceCodes.Table TableOf(ReferenceCodes codes, GroupColumn column) => column switch
        {
            GroupColumn.Department => codes.Departments,
            GroupColumn.Street => codes.Streets,
            GroupColumn.Community => codes.Communities,
            _ => codes.Categories,
        };

        private static List<Row> Sorted(List<Row> rows, string sort, string order)
        {
            var descending = order == "desc";
            if (sort is "code" or "name")
            {
                Func<Row, string> key = sort == "code" ? r => r.Code : r => r.Name;
                return (descending ? rows.OrderByDescending(key, StringComparer.Ordinal) : rows.OrderBy(key, StringComparer.Ordinal))
                    .ThenBy(r => r.Code, StringComparer.Ordinal).ToList();
            }
            var figure = Figures.Sortable[sort];
            var valued = rows.Where(r => figure(r.Figures) is not null);
            var ordered = descending
                ? valued.OrderByDescending(r => figure(r.Figures))
                : valued.OrderBy(r => figure(r.Figures));
            return ordered.ThenBy(r => r.Code, StringComparer.Ordinal)
                .Concat(rows.Where(r => figure(r.Figures) is null).OrderBy(r => r.Code, StringComparer.Ordinal))
                .ToList();
        }
    }

    internal static RouteHandlerBuilder Map(RouteGroupBuilder stats, TableFormat format = TableFormat.Json) =>
        stats.MapGet(StatsEndpoints.Route("/breakdown", format), (
                [AsParameters] StatsFilter filter,
                [FromQuery, Description("department, street, community or category."), DocumentedAs(JsonSchemaType.String, Values = ["department", "street", "community", "category"])] string? groupBy,
                [FromQuery, Description("A figure's name (completionRate, overdueNow, ...), code or name; code by default.")] string? sort,
                [FromQuery, Description("asc (the default) or desc; rows without a value come last either way."), DocumentedAs(JsonSchemaType.String, Values = ["asc", "desc"])] string? order,
                IMediator mediator, HttpContext http, CancellationToken cancellationToken) =>
                StatsEndpoints.Reply(http, filter, mediator.Send(new Query(filter, groupBy, sort, order), cancellationToken)))
            .WithName(StatsEndpoints.Name("GetBreakdown", format))
            .WithSummary("The figures per department, street, community or category")
            .WithDescription(
                "One row per group with orders counted in the period, each with the same figures as the summary, sortable by " +
                "any figure to rank departments. An order belongs to the department it was last whistled to, and to the street, " +
                "community and category it was filed with. Orders handled locally have no department.")
            .Produces<Response>();
}
