using Microsoft.OpenApi;

namespace Whistle.Api.Features.Orders;

/// <summary>
/// How many orders the list would show with the same filters and scope, in all and by state, and how
/// many of them are overdue now: a desk's tabs and badges, polled with If-None-Match.
/// </summary>
public static class CountOrders
{
    /// <param name="Total">Every order the filters and the caller's scope select.</param>
    /// <param name="Overdue">Those past a running deadline now (the rule of overdue=true and of the statistics' overdueNow).</param>
    /// <param name="ByState">Every state, by its name, with its count (0 included).</param>
    public sealed record Counts(int Total, int Overdue, IReadOnlyDictionary<string, int> ByState);

    public sealed record Query(ListOrders.Query Filters) : IQuery<Counts>;

    public sealed class Validator : AbstractValidator<Query>
    {
        private static readonly ListOrders.Validator Filters = new();

        public Validator() =>
            // The list's own rules, with their field names.
            RuleFor(q => q).Custom((q, context) =>
            {
                foreach (var failure in Filters.Validate(q.Filters).Errors)
                {
                    context.AddFailure(failure);
                }
            });
    }

    public sealed class Handler(WhistleDbContext db, TimeProvider clock) : IQueryHandler<Query, Counts>
    {
        public async ValueTask<Counts> Handle(Query query, CancellationToken cancellationToken)
        {
            var orders = ListOrders.Matching(db.Orders.AsNoTracking(), query.Filters);
            var byState = await orders.GroupBy(o => o.State).Select(g => new { State = g.Key, Count = g.Count() })
                .ToDictionaryAsync(g => g.State, g => g.Count, cancellationToken);
            var overdue = await orders.Where(Domain.Orders.Overdue.At(clock.GetUtcNow())).CountAsync(cancellationToken);
            return new Counts(
                byState.Values.Sum(),
                overdue,
                Enum.GetValues<OrderState>().ToDictionary(WireName.Of, state => byState.GetValueOrDefault(state)));
        }
    }

    internal static void Map(RouteGroupBuilder orders) =>
        orders.MapGet("/counts", async Task<IResult> (
                [Description("One or more states, comma-separated (whistled,acknowledged).")] string? state,
                [Description("Orders whistled to this department now.")] string? departmentCode,
                string? communityCode, string? categoryCode, string? streetCode, string? gridCode,
                [Description(ListOrders.TextDescription)] string? q,
                IMediator mediator, HttpContext http, CancellationToken cancellationToken) =>
            {
                var caller = http.GetCaller();
                AccessPolicy.Ensure(caller, Operation.ReadOrders);
                var filters = new ListOrders.Query(state, departmentCode, communityCode, categoryCode, streetCode, gridCode, null, null, null, caller, q);
                return ETags.JsonOrNotModified(http, await mediator.Send(new Query(filters), cancellationToken));
            })
            .WithName("CountOrders")
            .WithSummary("Count orders")
            .WithDescription("How many orders the list (GET /api/v1/orders) shows with the same filters and scope: in all, overdue now, " +
                "and by state (every state named, 0 included). The same roles as the list. A weak ETag; polling with If-None-Match " +
                "gets 304 while the counts are unchanged.")
            .Produces<Counts>()
            .WithPolledAnswer()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden);
}
