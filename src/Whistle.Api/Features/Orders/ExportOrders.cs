using System.Runtime.CompilerServices;
using Microsoft.OpenApi;

namespace Whistle.Api.Features.Orders;

/// <summary>
/// The orders list as a spreadsheet for a district's monthly assessment (考核): the list's filters and
/// scope, every matching order rather than a page, oldest first, streamed row by row.
/// </summary>
public static class ExportOrders
{
    public sealed record Query(ListOrders.Query Filters, string? Format) : IQuery<Table>;

    public sealed class Validator : AbstractValidator<Query>
    {
        private static readonly ListOrders.Validator Filters = new();

        public Validator()
        {
            // The list's own rules, with their field names, then the format.
            RuleFor(q => q).Custom((q, context) =>
            {
                foreach (var failure in Filters.Validate(q.Filters).Errors)
                {
                    context.AddFailure(failure);
                }
            });
            RuleFor(q => q.Format).Must(f => f is "csv" or "xlsx")
                .WithMessage("'format' must be csv or xlsx.").OverridePropertyName("format");
        }
    }

    /// <summary>The columns, named as in the order's JSON (nested ones by their leaf).</summary>
    public static readonly IReadOnlyList<string> Columns =
    [
        "code", "id", "state", "priority", "title", "description", "categoryCode", "gridCode", "communityCode", "streetCode",
        "departmentCode", "escalationLevel", "filedBy", "filedAt", "firstWhistledAt", "whistledAt", "acknowledgedAt", "resolvedAt",
        "closedAt", "handledLocallyAt", "cancelledAt", "acknowledgeBy", "resolveBy", "overdue", "overdueSince",
        "whistles", "returns", "reopens", "escalations", "result", "returnReason", "rating", "evaluationComment", "cancelReason",
        "latitude", "longitude", "address",
    ];

    public sealed class Handler(WhistleDbContext db, TimeProvider clock) : IQueryHandler<Query, Table>
    {
        public ValueTask<Table> Handle(Query query, CancellationToken cancellationToken)
        {
            var now = clock.GetUtcNow();
            var orders = ListOrders.Matching(db.Orders.AsNoTracking(), query.Filters);
            if (ListOrders.IsOverdue(query.Filters.Overdue))
            {
                orders = orders.Where(Overdue.At(now));
            }
            var name = $"whistle-orders-{now:yyyyMMdd-HHmm}";
            return ValueTask.FromResult(new Table(name, Columns, Rows(orders.OrderBy(o => o.Number), now, cancellationToken)));
        }

        // Read as the writer asks for rows: one order in memory at a time, however many match.
        private static async IAsyncEnumerable<object?[]> Rows(IQueryable<Order> orders, DateTimeOffset now, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await foreach (var o in orders.AsAsyncEnumerable().WithCancellation(cancellationToken))
            {
                var missed = o.MissedDeadlineAt(now);
                yield return
                [
                    OrderCode.Format(o.Number), o.Id.ToString(), WireName.Of(o.State), WireName.Of(o.Priority), o.Title, o.Description,
                    o.CategoryCode, o.GridCode, o.CommunityCode, o.StreetCode, o.DepartmentCode, WireName.Of(o.EscalationLevel), o.FiledBy,
                    o.FiledAt, o.FirstWhistledAt, o.WhistledAt, o.AcknowledgedAt, o.ResolvedAt, o.ClosedAt, o.HandledLocallyAt, o.CancelledAt,
                    o.AcknowledgeBy, o.ResolveBy, missed is not null, missed?.At,
                    (long)o.WhistleCount, (long)o.ReturnCount, (long)o.ReopenCount, (long)o.EscalationCount,
                    o.Result, o.ReturnReason, o.Rating is { } r ? WireName.Of(r) : null, o.EvaluationComment,
                    o.CancelReason is { } c ? WireName.Of(c) : null,
                    o.Location.Latitude, o.Location.Longitude, o.Location.Address,
                ];
            }
        }
    }

    internal static void Map(RouteGroupBuilder orders) =>
        orders.MapGet("/export", async (
                [Description("csv (the default) or xlsx."), DocumentedAs(JsonSchemaType.String, Values = ["csv", "xlsx"], Default = "\"csv\"")] string? format,
                [Description("One or more states, comma-separated (whistled,acknowledged).")] string? state,
                [Description("Orders whistled to this department now.")] string? departmentCode,
                string? communityCode, string? categoryCode, string? streetCode, string? gridCode,
                [Description("true: only orders past a running deadline now."), DocumentedAs(JsonSchemaType.Boolean)] string? overdue,
                IMediator mediator, HttpContext http, CancellationToken cancellationToken) =>
            {
                var caller = http.GetCaller();
                AccessPolicy.Ensure(caller, ListOrders.IsOverdue(overdue) ? Operation.ListOverdueOrders : Operation.ReadOrders);
                format ??= "csv";
                var filters = new ListOrders.Query(state, departmentCode, communityCode, categoryCode, streetCode, gridCode, null, null, overdue, caller);
                var table = await mediator.Send(new Query(filters, format), cancellationToken);
                http.Response.Headers.CacheControl = "private, no-cache";
                await table.WriteAsync(http.Response, format == "xlsx" ? TableFormat.Xlsx : TableFormat.Csv, cancellationToken);
            })
            .WithName("ExportOrders")
            .WithSummary("Download orders as CSV or XLSX")
            .WithDescription("Every order the list would show with the same filters and scope (no paging), oldest first, one row each, " +
                "columns named as in the order's JSON; times in ISO 8601, text that a spreadsheet would take for a formula starts with an " +
                "apostrophe in CSV. Streamed: a million orders download without the service holding them.")
            .Produces(StatusCodes.Status200OK, contentType: Table.CsvType)
            .WithTableDownload("The orders as a table.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden);
}
