using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Microsoft.OpenApi;

namespace Whistle.Api.Features.Orders;

/// <summary>
/// Orders newest first, narrowed by state, codes and text, a page at a time; or by urgency (the desk's
/// queue: the earliest running deadline first, so the overdue lead); or only those overdue now, the
/// longest overdue first (what a supervisor chases).
/// </summary>
public static class ListOrders
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 200;

    /// <param name="Items">Up to limit orders, newest first.</param>
    /// <param name="NextCursor">Pass as cursor for the next page; null on the last page.</param>
    public sealed record Page(IReadOnlyList<OrderResponse> Items, string? NextCursor);

    public const int MaxTextLength = 100;

    /// <summary>How a page is ordered: <c>newest</c> first (the default) or by <c>urgency</c>.</summary>
    public const string Newest = "newest";

    public const string Urgency = "urgency";

    public sealed record Query(
        string? State, string? DepartmentCode, string? CommunityCode, string? CategoryCode, string? StreetCode,
        string? GridCode, string? Limit, string? Cursor, string? Overdue, Caller Caller, string? Q = null, string? Sort = null) : IQuery<Page>;

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
            RuleFor(q => q.Q)
                .Length(1, MaxTextLength).When(q => q.Q is not null)
                .WithMessage($"'q' takes 1 to {MaxTextLength} characters: an order's code, or text of its title, description or address.")
                .OverridePropertyName("q");
            RuleFor(q => q.Sort)
                .Must(sort => sort is null or Newest or Urgency)
                .WithMessage($"'sort' must be {Newest} or {Urgency}.")
                .OverridePropertyName("sort");
            RuleFor(q => q.Sort)
                .Must((q, sort) => !(IsOverdue(q.Overdue) && sort == Newest))
                .WithMessage($"overdue=true lists the longest overdue first; leave 'sort' out or send {Urgency}.")
                .OverridePropertyName("sort");
            // A cursor continues the order it came from: newest first, or by running (or missed) deadline.
            RuleFor(q => q.Cursor)
                .Must((q, cursor) => cursor is null || DecodeCursor(cursor) is { } c && Continues(c, q))
                .WithMessage("'cursor' is not one this service handed out for this sort; use nextCursor from the previous page.")
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
            else if (query.Sort == Urgency)
            {
                page = await UrgentFirst(orders, cursor, limit + 1, cancellationToken);
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
                more ? EncodeCursor(CursorAfter(page[^1], query)) : null);
        }

        /// <summary>
        /// The desk's queue: orders with a running deadline (<see cref="Overdue"/>'s rule) by that deadline, earliest
        /// first, so the overdue come first (the longest overdue leading) and then the nearest deadline; after them
        /// the orders no deadline runs for, newest first. Two keyset queries, the second only when the first runs out.
        /// </summary>
        private static async Task<List<Order>> UrgentFirst(IQueryable<Order> orders, Cursor? after, int take, CancellationToken cancellationToken)
        {
            var keyed = orders.Select(Overdue.WithRunningDeadline((o, deadline) => new { Order = o, Deadline = deadline }));
            var page = new List<Order>();
            if (after is null || after.Deadline is not null)
            {
                var running = keyed.Where(x => x.Deadline != null);
                if (after is { Deadline: { } deadline })
                {
                    running = running.Where(x => x.Deadline > deadline || (x.Deadline == deadline && x.Order.Number > after.Number));
                }
                page = await running.OrderBy(x => x.Deadline).ThenBy(x => x.Order.Number).Select(x => x.Order).Take(take).ToListAsync(cancellationToken);
            }
            if (page.Count < take)
            {
                var rest = keyed.Where(x => x.Deadline == null);
                if (after is { Deadline: null })
                {
                    rest = rest.Where(x => x.Order.Number < after.Number);
                }
                page.AddRange(await rest.OrderByDescending(x => x.Order.Number).Select(x => x.Order).Take(take - page.Count).ToListAsync(cancellationToken));
            }
            return page;
        }

        private static Cursor CursorAfter(Order last, Query query) =>
            IsOverdue(query.Overdue) || query.Sort == Urgency
                ? new Cursor(last.Number, Overdue.RunningDeadline(last.State, last.AcknowledgeBy, last.ResolveBy), ByDeadline: true)
                : new Cursor(last.Number, null, ByDeadline: false);

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
        if (query.Q is { Length: > 0 } text)
        {
            // Wildcards in the text are the text's own: escaped, so "50%" finds "50%" and not "50 bags".
            var pattern = "%" + text.Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_") + "%";
            orders = OrderCode.TryParse(text.Trim(), out var number)
                ? orders.Where(o => o.Number == number
                    || EF.Functions.ILike(o.Title, pattern, @"\") || EF.Functions.ILike(o.Description, pattern, @"\")
                    || EF.Functions.ILike(o.Location.Address!, pattern, @"\"))
                : orders.Where(o => EF.Functions.ILike(o.Title, pattern, @"\") || EF.Functions.ILike(o.Description, pattern, @"\")
                    || EF.Functions.ILike(o.Location.Address!, pattern, @"\"));
        }
        return orders;
    }

    internal static void Map(RouteGroupBuilder orders) =>
        orders.MapGet("/", async Task<IResult> (
                [Description("One or more states, comma-separated (whistled,acknowledged).")] string? state,
                [Description("Orders whistled to this department now.")] string? departmentCode,
                string? communityCode, string? categoryCode, string? streetCode, string? gridCode,
                [Description(TextDescription)] string? q,
                [Description("newest (the default): newest first. urgency: the desk's queue, by the running deadline, earliest first " +
                    "(the overdue first, the longest overdue leading, then the nearest deadline), then the orders no deadline runs " +
                    "for, newest first."), DocumentedAs(JsonSchemaType.String, Values = [Newest, Urgency], Default = "\"newest\"")] string? sort,
                [Description("Page size, 1 to 200; 20 by default."), DocumentedAs(JsonSchemaType.Integer, Minimum = 1, Maximum = 200, Default = "20")] string? limit,
                [Description("nextCursor from the previous page, with the same sort.")] string? cursor,
                [Description("true: only orders past a running deadline now (whistled and not acknowledged by acknowledgeBy, " +
                    "or not resolved by resolveBy), the longest overdue first."), DocumentedAs(JsonSchemaType.Boolean)] string? overdue,
                IMediator mediator, HttpContext http, CancellationToken cancellationToken) =>
            {
                var caller = http.GetCaller();
                // Before validation: a role that may not list these orders hears so whatever else it sent.
                AccessPolicy.Ensure(caller, IsOverdue(overdue) ? Operation.ListOverdueOrders : Operation.ReadOrders);
                var page = await mediator.Send(
                    new Query(state, departmentCode, communityCode, categoryCode, streetCode, gridCode, limit, cursor, overdue, caller, q, sort),
                    cancellationToken);
                return ETags.JsonOrNotModified(http, page);
            })
            .WithName("ListOrders")
            .WithSummary("List orders")
            .WithDescription("Newest first, by urgency with sort=urgency, or with overdue=true the longest overdue first; keyset " +
                "pagination: follow nextCursor until it is null (a cursor continues only the sort it came from). Filters combine with " +
                "AND. Only the orders in the caller's scope: a department's queue, a community's or grid worker's own orders, a " +
                "supervisor's street. A dashboard lists only with overdue=true, the whole district's (a command centre's screen shows " +
                "them; it reads no single order). The answer carries a weak ETag; polling with If-None-Match gets 304 while it is unchanged.")
            .Produces<Page>()
            .WithPolledAnswer()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden);

    internal const string TextDescription = "Free text, 1 to 100 characters: an order's code (WS-0000042), or text found in its title, " +
        "description or address (case-insensitive; % and _ are matched as themselves).";

    /// <summary>Documents a read answered with a weak ETag and 304 (<see cref="ETags.JsonOrNotModified"/>).</summary>
    internal static RouteHandlerBuilder WithPolledAnswer(this RouteHandlerBuilder endpoint)
    {
        endpoint.Produces(StatusCodes.Status304NotModified).WithRequestHeader("If-None-Match", ETags.IfNoneMatchDescription);
        foreach (var status in new[] { StatusCodes.Status200OK, StatusCodes.Status304NotModified })
        {
            endpoint.WithResponseHeader(status, "ETag", ETags.WeakETagDescription)
                .WithResponseHeader(status, "Cache-Control", "private, no-cache: a browser may keep the answer but asks again with its ETag.");
        }
        return endpoint;
    }

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

    /// <summary>
    /// Where a page ended: the last order's number and, when ordered by deadline (urgency or overdue), its running
    /// deadline, null once past the orders that have one.
    /// </summary>
    private sealed record Cursor(long Number, DateTimeOffset? Deadline, bool ByDeadline);

    /// <summary>Whether the cursor came from a page ordered as this query asks: newest first, or by deadline.</summary>
    private static bool Continues(Cursor cursor, Query query) =>
        IsOverdue(query.Overdue) ? cursor.Deadline is not null
        : query.Sort == Urgency ? cursor.ByDeadline
        : !cursor.ByDeadline;

    // Opaque to clients so the key can change without breaking them: "n42", "d<µs since 0001>.42", or "u42" (urgency,
    // past the orders with a running deadline).
    private static string EncodeCursor(Cursor cursor) =>
        Base64Url.EncodeToString(Encoding.ASCII.GetBytes(cursor switch
        {
            { Deadline: { } deadline } => string.Create(CultureInfo.InvariantCulture, $"d{deadline.UtcTicks / TimeSpan.TicksPerMicrosecond}.{cursor.Number}"),
            { ByDeadline: true } => "u" + cursor.Number.ToString(CultureInfo.InvariantCulture),
            _ => "n" + cursor.Number.ToString(CultureInfo.InvariantCulture),
        }));

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
        if (text.StartsWith('n') || text.StartsWith('u'))
        {
            return Whole(text.AsSpan(1)) is { } n and > 0 ? new Cursor(n, null, ByDeadline: text[0] == 'u') : null;
        }
        if (text.StartsWith('d') && text.IndexOf('.', StringComparison.Ordinal) is var dot and > 1
            && Whole(text.AsSpan(1, dot - 1)) is { } micros && micros <= DateTimeOffset.MaxValue.UtcTicks / TimeSpan.TicksPerMicrosecond
            && Whole(text.AsSpan(dot + 1)) is { } number and > 0)
        {
            return new Cursor(number, new DateTimeOffset(micros * TimeSpan.TicksPerMicrosecond, TimeSpan.Zero), ByDeadline: true);
        }
        return null;
    }

    private static long? Whole(ReadOnlySpan<char> text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
}
