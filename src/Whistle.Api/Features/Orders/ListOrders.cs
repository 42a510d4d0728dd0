using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Microsoft.OpenApi;

namespace Whistle.Api.Features.Orders;

/// <summary>
/// Orders newest first, narrowed by state and codes, a page at a time; or only those overdue now,
/// the longest overdue first (what a supervisor chases).
/// </summary>
public static class ListOrders
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 200;

    /// <param name="Items">Up to limit orders, newest first.</param>
    /// <param name="NextCursor">Pass as cursor for the next page; null on the last page.</param>
    public sealed record Page(IReadOnlyList<OrderResponse> Items, string? NextCursor);

    public sealed record Query(
        string? State, string? DepartmentCode, string? CommunityCode, string? CategoryCode, string? StreetCode,
        string? GridCode, string? Limit, string? Cursor, string? Overdue, Caller Caller) : IQuery<Page>;

    public sealed class Validator : AbstractValidator<Query>
    {
        public Validator()
        {
            RuleFor(q => q.State)
                .Must(states => States(states) is not null)
                .WithMessage($"'state' takes one or more (at most {MaxStates}) of {string.Join(", ", WireName.All<OrderState>())}, separated by commas.")
                .OverridePropertyName("state");
            RuleFor(q => q.Limit)
                .Must(limit => limit is null || ParseLimit(limit) is not null)
                .WithMessage($"'limit' must be a whole number from 1 to {MaxLimit}.")
                .OverridePropertyName("limit");
            RuleFor(q => q.Overdue)
                .Must(overdue => overdue is null || bool.TryParse(overdue, out _))
                .WithMessage("'overdue' must be true or false.")
                .OverridePropertyName("overdue");
            // A cursor continues the order it came from: newest first, or by missed deadline.
            RuleFor(q => q.Cursor)
                .Must((q, cursor) => cursor is null || DecodeCursor(cursor) is { } c && (c.Deadline is not null) == IsOverdue(q.Overdue))
                .WithMessage("'cursor' is not one this service handed out; use nextCursor from the previous page.")
                .OverridePropertyName("cursor");
        }
    }

    public sealed class Handler(WhistleDbContext db, TimeProvider clock) : IQueryHandler<Query, Page>
    {
        public async ValueTask<Page> Handle(Query query, CancellationToken cancellationToken)
        {
            var now = clock.GetUtcNow();
            var limit = query.Limit is null ? DefaultLimit : ParseLimit(query.Limit)!.Value;
            var orders = Matching(db.Orders.AsNoTracking(), query);
            var cursor = query.Cursor is null ? null : DecodeCursor(query.Cursor);
            List<Order> page;
            if (IsOverdue(query.Overdue))
            {
                page = await OverdueFirst(orders, cursor, limit + 1, now, cancellationToken);
            }
            else
            {
                if (cursor is not null)
                {
                    orders = orders.Where(o => o.Number < cursor.Number);
                }
                // Keyset pagination: the number only grows, so "below the last one seen" is stable under inserts.
                page = await orders.OrderByDescending(o => o.Number).Take(limit + 1).ToListAsync(cancellationToken);
            }
            var more = page.Count > limit;
            if (more)
            {
                page.RemoveAt(page.Count - 1);
            }
            await OrderStore.AttachPartsAsync(db, page, cancellationToken);
            return new Page(
                page.Select(order => OrderEndpoints.ForCaller(query.Caller, OrderResponse.From(order, now))).ToList(),
                more ? EncodeCursor(new Cursor(page[^1].Number, IsOverdue(query.Overdue) ? page[^1].MissedDeadlineAt(now)!.At : null)) : null);
        }

        /// <summary>
        /// Orders past their running deadline now (<see cref="Overdue"/>, as the statistics count
        /// overdueNow), ordered by that deadline, earliest first: a newly overdue order joins at the
        /// end, so the keyset pages stay stable.
        /// </summary>
        private static async Task<List<Order>> OverdueFirst(IQueryable<Order> orders, Cursor? after, int take, DateTimeOffset now, CancellationToken cancellationToken)
        {
            var missed = orders.Where(Overdue.At(now)).Select(Overdue.WithRunningDeadline((o, deadline) => new { Order = o, Deadline = deadline }));
            if (after is { Deadline: { } deadline })
            {
                missed = missed.Where(x => x.Deadline > deadline || (x.Deadline == deadline && x.Order.Number > after.Number));
            }
            return await missed
                .OrderBy(x => x.Deadline)
                .ThenBy(x => x.Order.Number)
                .Select(x => x.Order)
                .Take(take)
                .ToListAsync(cancellationToken);
        }
    }

    /// <summary>The orders the query's filters and the caller's scope select (the export takes the same).</summary>
    internal static IQueryable<Order> Matching(IQueryable<Order> orders, Query query)
    {
        orders = orders.Listable(query.Caller, IsOverdue(query.Overdue));
        if (States(query.State) is { Count: > 0 } states)
        {
            orders = orders.Where(o => states.Contains(o.State));
        }
        if (query.DepartmentCode is not null)
        {
            orders = orders.Where(o => o.DepartmentCode == query.DepartmentCode);
        }
        if (query.CommunityCode is not null)
        {
            orders = orders.Where(o => o.CommunityCode == query.CommunityCode);
        }
        if (query.CategoryCode is not null)
        {
            orders = orders.Where(o => o.CategoryCode == query.CategoryCode);
        }
        if (query.StreetCode is not null)
        {
            orders = orders.Where(o => o.StreetCode == query.StreetCode);
        }
        if (query.GridCode is not null)
        {
            orders = orders.Where(o => o.GridCode == query.GridCode);
        }
        return orders;
    }

    internal static void Map(RouteGroupBuilder orders) =>
        orders.MapGet("/", async Task<Ok<Page>> (
                [Description("One or more states, comma-separated (whistled,acknowledged).")] string? state,
                [Description("Orders whistled to this department now.")] string? departmentCode,
                string? communityCode, string? categoryCode, string? streetCode, string? gridCode,
                [Description("Page size, 1 to 200; 20 by default."), DocumentedAs(JsonSchemaType.Integer, Minimum = 1, Maximum = 200, Default = "20")] string? limit,
                [Description("nextCursor from the previous page.")] string? cursor,
                [Description("true: only orders past a running deadline now (whistled and not acknowledged by acknowledgeBy, " +
                    "or not resolved by resolveBy), the longest overdue first."), DocumentedAs(JsonSchemaType.Boolean)] string? overdue,
                IMediator mediator, HttpContext http, CancellationToken cancellationToken) =>
            {
                var caller = http.GetCaller();
                // Before validation: a role that may not list these orders hears so whatever else it sent.
                AccessPolicy.Ensure(caller, IsOverdue(overdue) ? Operation.ListOverdueOrders : Operation.ReadOrders);
                return TypedResults.Ok(await mediator.Send(
                    new Query(state, departmentCode, communityCode, categoryCode, streetCode, gridCode, limit, cursor, overdue, caller),
                    cancellationToken));
            })
            .WithName("ListOrders")
            .WithSummary("List orders")
            .WithDescription("Newest first, or with overdue=true the longest overdue first; keyset pagination: follow nextCursor " +
                "until it is null. Filters combine with AND. Only the orders in the caller's scope: a department's queue, a " +
                "community's or grid worker's own orders, a supervisor's street. A dashboard lists only with overdue=true, the whole " +
                "district's (a command centre's screen shows them; it reads no single order).")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden);

    private static int? ParseLimit(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit is >= 1 and <= MaxLimit ? limit : null;

    /// <summary>The most codes one state filter may list: each state at most twice over.</summary>
    internal static readonly int MaxStates = 2 * Enum.GetValues<OrderState>().Length;

    internal static List<OrderState>? States(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }
        var states = new List<OrderState>();
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length > MaxStates)
        {
            return null;
        }
        foreach (var part in parts)
        {
            if (!WireName.TryParse<OrderState>(part, out var state))
            {
                return null;
            }
            states.Add(state);
        }
        return states;
    }

    internal static bool IsOverdue(string? overdue) => overdue is not null && bool.TryParse(overdue, out var on) && on;

    /// <summary>Where a page ended: the last order's number and, when ordered by deadline, its missed deadline.</summary>
    private sealed record Cursor(long Number, DateTimeOffset? Deadline);

    // Opaque to clients so the key can change without breaking them: "n42", or "d<µs since 0001>.42".
    private static string EncodeCursor(Cursor cursor) =>
        Base64Url.EncodeToString(Encoding.ASCII.GetBytes(cursor.Deadline is { } deadline
            ? string.Create(CultureInfo.InvariantCulture, $"d{deadline.UtcTicks / TimeSpan.TicksPerMicrosecond}.{cursor.Number}")
            : "n" + cursor.Number.ToString(CultureInfo.InvariantCulture)));

    private static Cursor? DecodeCursor(string cursor)
    {
        string text;
        try
        {
            text = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(cursor));
        }
        catch (FormatException)
        {
            return null;
        }
        if (text.StartsWith('n'))
        {
            return Whole(text.AsSpan(1)) is { } n and > 0 ? new Cursor(n, null) : null;
        }
        if (text.StartsWith('d') && text.IndexOf('.', StringComparison.Ordinal) is var dot and > 1
            && Whole(text.AsSpan(1, dot - 1)) is { } micros && micros <= DateTimeOffset.MaxValue.UtcTicks / TimeSpan.TicksPerMicrosecond
            && Whole(text.AsSpan(dot + 1)) is { } number and > 0)
        {
            return new Cursor(number, new DateTimeOffset(micros * TimeSpan.TicksPerMicrosecond, TimeSpan.Zero));
        }
        return null;
    }

    private static long? Whole(ReadOnlySpan<char> text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
}
