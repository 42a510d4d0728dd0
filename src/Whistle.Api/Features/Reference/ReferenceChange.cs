namespace Whistle.Api.Features.Reference;

/// <summary>
/// One change to the reference data, as it was made: who, when, which entry, and the entry as the
/// API showed it before and after (JSON; before is null for a new entry). Rows are only ever added.
/// </summary>
public sealed class ReferenceChange
{
    public long Id { get; set; }
    public DateTimeOffset At { get; set; }
    public string Actor { get; set; } = "";
    public string? ActorId { get; set; }
    /// <summary>The list: streets, communities, grids, departments, categories, catalogue or calendar.</summary>
    public string Entity { get; set; } = "";
    /// <summary>The entry's code (a catalogue entry's id, a calendar day's date).</summary>
    public string Code { get; set; } = "";
    /// <summary>create, update, retire, reinstate, delete, merge, split, or import.</summary>
    public string Action { get; set; } = "";
    public string? Before { get; set; }
    public string? After { get; set; }
}

/// <summary>The change log over the API: newest first, a page at a time (admins).</summary>
public static class ReferenceChanges
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;

    /// <param name="Id">Only grows: the order in which changes were made.</param>
    /// <param name="At">When.</param>
    /// <param name="Actor">Who: the credential's name.</param>
    /// <param name="ActorId">That credential (key:… or token:…); null for the command line's import.</param>
    /// <param name="Entity">The list: streets, communities, grids, departments, categories, catalogue or calendar.</param>
    /// <param name="Code">The entry's code (a catalogue entry's id, a calendar day's date).</param>
    /// <param name="Action">create, update, retire, reinstate, delete, merge (a grid moved by a merge, the merged community retired) or split (the new community, a grid moved to it).</param>
    /// <param name="Before">The entry as it was (as the API shows it); null when it was created.</param>
    /// <param name="After">The entry as it became; null when it was deleted.</param>
    public sealed record Entry(
        long Id, DateTimeOffset At, string Actor, string? ActorId, string Entity, string Code, string Action,
        IReadOnlyDictionary<string, System.Text.Json.Nodes.JsonNode?>? Before, IReadOnlyDictionary<string, System.Text.Json.Nodes.JsonNode?>? After);

    /// <param name="Items">Up to limit changes, newest first.</param>
    /// <param name="NextCursor">Pass as cursor for the next page; null on the last page.</param>
    public sealed record Page(IReadOnlyList<Entry> Items, string? NextCursor);

    public sealed record Query(string? Entity, string? Code, string? Limit, string? Cursor) : IQuery<Page>;

    public sealed class Validator : AbstractValidator<Query>
    {
        public Validator()
        {
            RuleFor(q => q.Limit).Must(l => l is null || int.TryParse(l, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= MaxLimit)
                .WithMessage($"'limit' must be a whole number from 1 to {MaxLimit}.").OverridePropertyName("limit");
            RuleFor(q => q.Cursor).Must(c => c is null || long.TryParse(c, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
                .WithMessage("'cursor' is not one this service handed out; use nextCursor from the previous page.").OverridePropertyName("cursor");
            RuleFor(q => q.Entity).MaximumLength(32).OverridePropertyName("entity");
            RuleFor(q => q.Code).MaximumLength(50).OverridePropertyName("code");
        }
    }

    public sealed class Handler(WhistleDbContext db) : IQueryHandler<Query, Page>
    {
        public async ValueTask<Page> Handle(Query query, CancellationToken cancellationToken)
        {
            var limit = query.Limit is null ? DefaultLimit : int.Parse(query.Limit, System.Globalization.CultureInfo.InvariantCulture);
            var changes = db.ReferenceChanges.AsNoTracking()
                .Where(c => query.Entity == null || c.Entity == query.Entity)
                .Where(c => query.Code == null || c.Code == query.Code);
            if (query.Cursor is not null)
            {
                var below = long.Parse(query.Cursor, System.Globalization.CultureInfo.InvariantCulture);
                changes = changes.Where(c => c.Id < below);
            }
            var page = await changes.OrderByDescending(c => c.Id).Take(limit + 1).ToListAsync(cancellationToken);
            var more = page.Count > limit;
            if (more)
            {
                page.RemoveAt(page.Count - 1);
            }
            return new Page(
                page.Select(From).ToList(),
                more ? page[^1].Id.ToString(System.Globalization.CultureInfo.InvariantCulture) : null);
        }
    }

    /// <summary>A change as the log (and the <c>reference.changed</c> event) shows it.</summary>
    public static Entry From(ReferenceChange c) => new(c.Id, c.At, c.Actor, c.ActorId, c.Entity, c.Code, c.Action, Fields(c.Before), Fields(c.After));

    private static Dictionary<string, System.Text.Json.Nodes.JsonNode?>? Fields(string? json) =>
        json is null ? null : System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject().ToDictionary(p => p.Key, p => p.Value?.DeepClone());

    public static void Map(RouteGroupBuilder reference) =>
        reference.MapGet("/reference/changes", async Task<Ok<Page>> (
                [Description("Only this list's changes: streets, communities, grids, departments, categories, catalogue, calendar.")] string? entity,
                [Description("Only this entry's changes.")] string? code,
                [Description($"Changes per page, 1 to 500 (default 50)."), DocumentedAs(Microsoft.OpenApi.JsonSchemaType.Integer, Minimum = 1, Maximum = MaxLimit, Default = "50")] string? limit,
                [Description("nextCursor from the previous page.")] string? cursor,
                IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new Query(entity, code, limit, cursor), ct)))
            .WithName("ListReferenceChanges").WithSummary("The reference data's change log")
            .WithDescription("Admins. Every change to the reference data, newest first: who, when, which entry, the entry before and after.")
            .RequireOperation(Operation.ManageReference)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden);
}
