using System.Buffers.Text;
using System.ComponentModel;
using System.Globalization;
using System.Text;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Whistle.Api.Persistence;
using Whistle.Domain.Orders;

namespace Whistle.Api.Features.Orders;

/// <summary>Orders newest first, narrowed by state and codes, a page at a time.</summary>
public static class ListOrders
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 200;

    /// <param name="Items">Up to limit orders, newest first.</param>
    /// <param name="NextCursor">Pass as cursor for the next page; null on the last page.</param>
    public sealed record Page(IReadOnlyList<OrderResponse> Items, string? NextCursor);

    public sealed record Query(
        string? State, string? DepartmentCode, string? CommunityCode, string? CategoryCode, string? StreetCode,
        string? GridCode, string? Limit, string? Cursor) : IQuery<Page>;

    public sealed class Validator : AbstractValidator<Query>
    {
        public Validator()
        {
            RuleFor(q => q.State)
                .Must(states => States(states) is not null)
                .WithMessage($"'state' takes one or more of {string.Join(", ", WireName.All<OrderState>())}, separated by commas.")
                .OverridePropertyName("state");
            RuleFor(q => q.Limit)
                .Must(limit => limit is null || ParseLimit(limit) is not null)
                .WithMessage($"'limit' must be a whole number from 1 to {MaxLimit}.")
                .OverridePropertyName("limit");
            RuleFor(q => q.Cursor)
                .Must(cursor => cursor is null || DecodeCursor(cursor) is not null)
                .WithMessage("'cursor' is not one this service handed out; use nextCursor from the previous page.")
                .OverridePropertyName("cursor");
        }
    }

    public sealed class Handler(WhistleDbContext db) : IQueryHandler<Query, Page>
    {
        public async ValueTask<Page> Handle(Query query, CancellationToken cancellationToken)
        {
            var limit = query.Limit is null ? DefaultLimit : ParseLimit(query.Limit)!.Value;
            var orders = db.Orders.AsNoTracking();
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
            if (query.Cursor is not null && DecodeCursor(query.Cursor) is { } before)
            {
                orders = orders.Where(o => o.Number < before);
            }
            // Keyset pagination: the number only grows, so "below the last one seen" is stable under inserts.
            var page = await orders.OrderByDescending(o => o.Number).Take(limit + 1).ToListAsync(cancellationToken);
            var more = page.Count > limit;
            if (more)
            {
                page.RemoveAt(page.Count - 1);
            }
            return new Page(
                page.Select(OrderResponse.From).ToList(),
                more ? EncodeCursor(page[^1].Number) : null);
        }
    }

    internal static void Map(RouteGroupBuilder orders) =>
        orders.MapGet("/", async Task<Ok<Page>> (
                [Description("One or more states, comma-separated (whistled,acknowledged).")] string? state,
                [Description("Orders whistled to this department now.")] string? departmentCode,
                string? communityCode, string? categoryCode, string? streetCode, string? gridCode,
                [Description("Page size, 1 to 200; 20 by default.")] string? limit,
                [Description("nextCursor from the previous page.")] string? cursor,
                IMediator mediator, CancellationToken cancellationToken) =>
                TypedResults.Ok(await mediator.Send(
                    new Query(state, departmentCode, communityCode, categoryCode, streetCode, gridCode, limit, cursor), cancellationToken)))
            .WithName("ListOrders")
            .WithSummary("List orders")
            .WithDescription("Newest first, with keyset pagination: follow nextCursor until it is null. Filters combine with AND.")
            .ProducesValidationProblem();

    private static int? ParseLimit(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit is >= 1 and <= MaxLimit ? limit : null;

    private static List<OrderState>? States(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }
        var states = new List<OrderState>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!WireName.TryParse<OrderState>(part, out var state))
            {
                return null;
            }
            states.Add(state);
        }
        return states;
    }

    // Opaque to clients so the key can change without breaking them.
    private static string EncodeCursor(long number) =>
        Base64Url.EncodeToString(Encoding.ASCII.GetBytes("n" + number.ToString(CultureInfo.InvariantCulture)));

    private static long? DecodeCursor(string cursor)
    {
        try
        {
            var text = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(cursor));
            return text.StartsWith('n') && long.TryParse(text.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                ? n
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
