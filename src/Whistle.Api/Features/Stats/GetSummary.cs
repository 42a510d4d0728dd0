using System.ComponentModel;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Whistle.Api.Persistence;

namespace Whistle.Api.Features.Stats;

/// <summary>The headline figures over orders whistled in a period.</summary>
public static class GetSummary
{
    /// <param name="From">Start of the period (inclusive); null for the beginning of records.</param>
    /// <param name="To">End of the period (exclusive); null for now and on.</param>
    /// <param name="ValidOrders">Orders first whistled in the period and not cancelled.</param>
    /// <param name="CompletedOrders">Valid orders now resolved or closed (办结): resolved and not reopened since.</param>
    /// <param name="CompletionRate">completedOrders / validOrders, 0 to 1; null when there are no valid orders.</param>
    public sealed record Response(DateTimeOffset? From, DateTimeOffset? To, long ValidOrders, long CompletedOrders, double? CompletionRate);

    public sealed record Query(string? From, string? To) : IQuery<Response>;

    public sealed class Validator : AbstractValidator<Query>
    {
        public Validator(PeriodParser periods)
        {
            RuleFor(q => q.From).Must(f => periods.TryParseStart(f, out _))
                .WithMessage(PeriodParser.FormatMessage("from")).OverridePropertyName("from");
            RuleFor(q => q.To).Must(t => periods.TryParseEnd(t, out _))
                .WithMessage(PeriodParser.FormatMessage("to")).OverridePropertyName("to");
            RuleFor(q => q)
                .Must(q => !periods.TryParseStart(q.From, out var from) || !periods.TryParseEnd(q.To, out var to)
                    || from is null || to is null || from < to)
                .WithMessage("'from' must be before 'to'.").OverridePropertyName("to");
        }
    }

    private sealed record Counts(long Valid, long Completed);

    public sealed class Handler(WhistleDbContext db, PeriodParser periods) : IQueryHandler<Query, Response>
    {
        public async ValueTask<Response> Handle(Query query, CancellationToken cancellationToken)
        {
            periods.TryParseStart(query.From, out var from);
            periods.TryParseEnd(query.To, out var to);
            // Valid: whistled in the period and not cancelled. Completed: resolved or closed now.
            var counts = await db.Database.SqlQuery<Counts>($"""
                SELECT count(*) FILTER (WHERE state <> 'cancelled') AS valid,
                       count(*) FILTER (WHERE state IN ('resolved', 'closed')) AS completed
                FROM orders
                WHERE first_whistled_at IS NOT NULL
                  AND ({from}::timestamptz IS NULL OR first_whistled_at >= {from})
                  AND ({to}::timestamptz IS NULL OR first_whistled_at < {to})
                """).SingleAsync(cancellationToken);
            return new Response(from, to, counts.Valid, counts.Completed,
                counts.Valid == 0 ? null : (double)counts.Completed / counts.Valid);
        }
    }

    public static void MapStats(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/stats/summary", async Task<Ok<Response>> (
                [Description("Start of the period, inclusive: an ISO 8601 date-time, or a date meaning its midnight in the district's time zone.")] string? from,
                [Description("End of the period, exclusive: an ISO 8601 date-time, or a date meaning the end of that day in the district's time zone.")] string? to,
                IMediator mediator, CancellationToken cancellationToken) =>
                TypedResults.Ok(await mediator.Send(new Query(from, to), cancellationToken)))
            .WithTags("Statistics")
            .WithName("GetSummary")
            .WithSummary("Completion figures for a period")
            .WithDescription(
                "Counted over orders first whistled in [from, to). validOrders: whistled and not cancelled. " +
                "completedOrders: valid and now resolved or closed (an unsatisfied evaluation reopens an order and takes it out " +
                "until it is resolved again). completionRate = completedOrders / validOrders, null with no valid orders. " +
                "Orders handled locally were never whistled and are not counted.")
            .ProducesValidationProblem();
}
