using System.Globalization;
using FluentValidation.Results;
using Microsoft.AspNetCore.Mvc;
using Whistle.Domain.Reference;

namespace Whistle.Api.Features.Reference;

/// <summary>
/// The duty catalogue's overrides (权责清单): in a street or a community, a category goes to another
/// department than its own. A whistle without a department takes the most specific entry
/// (<see cref="DutyCatalogue.RouteOf"/>), and its history names the entry.
/// </summary>
public static class DutyCatalogueEndpoints
{
    /// <param name="Id">The entry's number; history names it as routedBy "catalogue:{id}".</param>
    /// <param name="CategoryCode">The category it routes.</param>
    /// <param name="StreetCode">The street it applies in (or null, with a communityCode).</param>
    /// <param name="CommunityCode">The community it applies in (or null, with a streetCode); a community's entry wins over its street's.</param>
    /// <param name="DepartmentCode">The department that leads.</param>
    /// <param name="CoDepartmentCodes">Departments that handle it jointly (协办); may be empty.</param>
    public sealed record EntryResponse(
        long Id, string CategoryCode, string? StreetCode, string? CommunityCode, string DepartmentCode, IReadOnlyList<string> CoDepartmentCodes)
    {
        public static EntryResponse From(DutyEntry e) => new(e.Id, e.CategoryCode, e.StreetCode, e.CommunityCode, e.DepartmentCode, e.CoDepartmentCodes);
    }

    /// <param name="CategoryCode">The category it routes; in use.</param>
    /// <param name="StreetCode">The street it applies in; give this or communityCode.</param>
    /// <param name="CommunityCode">The community it applies in; give this or streetCode.</param>
    /// <param name="DepartmentCode">The department that leads; in use.</param>
    /// <param name="CoDepartmentCodes">Departments that handle it jointly; in use, not the lead, none twice.</param>
    public sealed record EntryBody(
        string? CategoryCode, string? StreetCode = null, string? CommunityCode = null, string? DepartmentCode = null, IReadOnlyList<string?>? CoDepartmentCodes = null);

    public enum Change
    {
        Create,
        Update,
        Delete,
    }

    public sealed record Command(Change Change, long Id, EntryBody? Body, IReadOnlyCollection<int>? IfMatch, Caller Caller) : ICommand<(EntryResponse Entry, int Version)>;

    public sealed class Handler(WhistleDbContext db, TimeProvider clock) : ICommandHandler<Command, (EntryResponse Entry, int Version)>
    {
        public async ValueTask<(EntryResponse Entry, int Version)> Handle(Command command, CancellationToken cancellationToken)
        {
            await ReferenceSet.LockAsync(db, cancellationToken);
            var set = await ReferenceSet.LoadAsync(db, cancellationToken);
            var now = clock.GetUtcNow().ToUniversalTime();
            var existing = command.Change == Change.Create ? null
                : set.Catalogue.GetValueOrDefault(command.Id) ?? throw new NotFoundException($"No catalogue entry has the id {command.Id}.");
            if (existing is not null)
            {
                ReferenceStore.EnsureVersion(ReferenceList.Catalogue, existing.Name, existing.Version, command.IfMatch);
            }
            var before = existing is null ? null : EntryResponse.From(existing);
            if (command.Change == Change.Delete)
            {
                // An override is a route, not a place orders were filed in: removing it only changes where new whistles go.
                db.DutyCatalogue.Remove(existing!);
                ReferenceStore.Log(db, command.Caller.Actor, now, "catalogue", Key(existing!.Id), "delete", before, null);
                await db.SaveChangesAsync(cancellationToken);
                await ReferenceStore.NotifyAsync(db, cancellationToken);
                return (before!, existing.Version);
            }
            var body = command.Body!;
            var entry = new DutyEntry
            {
                Id = existing?.Id ?? 0,
                CategoryCode = Code(body.CategoryCode) ?? "",
                StreetCode = Code(body.StreetCode),
                CommunityCode = Code(body.CommunityCode),
                DepartmentCode = Code(body.DepartmentCode) ?? "",
                CoDepartmentCodes = (body.CoDepartmentCodes ?? []).Select(c => Code(c) ?? "").ToList(),
                Version = (existing?.Version ?? 0) + 1,
            };
            set.Catalogue[entry.Id] = entry;
            var failures = ReferenceRules.Check(set, [(ReferenceList.Catalogue, Key(entry.Id))]);
            if (failures.Count > 0)
            {
                throw ReferenceStore.Invalid(failures);
            }
            if (existing is null)
            {
                db.DutyCatalogue.Add(entry);
            }
            else
            {
                db.DutyCatalogue.Update(entry);
            }
            await db.SaveChangesAsync(cancellationToken);
            ReferenceStore.Log(db, command.Caller.Actor, now, "catalogue", Key(entry.Id), existing is null ? "create" : "update", before, EntryResponse.From(entry));
            await db.SaveChangesAsync(cancellationToken);
            db.ChangeTracker.Clear();
            await ReferenceStore.NotifyAsync(db, cancellationToken);
            return (EntryResponse.From(entry), entry.Version);
        }

        private static string? Code(string? code) => string.IsNullOrWhiteSpace(code) ? null : code.Trim();
    }

    public sealed record List(string? CategoryCode) : IQuery<IReadOnlyList<EntryResponse>>;

    public sealed class ListHandler(WhistleDbContext db) : IQueryHandler<List, IReadOnlyList<EntryResponse>>
    {
        public async ValueTask<IReadOnlyList<EntryResponse>> Handle(List query, CancellationToken cancellationToken) =>
            (await db.DutyCatalogue.AsNoTracking()
                .Where(e => query.CategoryCode == null || e.CategoryCode == query.CategoryCode)
                .OrderBy(e => e.CategoryCode).ThenBy(e => e.Id)
                .ToListAsync(cancellationToken))
            .Select(EntryResponse.From).ToList();
    }

    internal static string Key(long id) => id.ToString(CultureInfo.InvariantCulture);

    public static void Map(RouteGroupBuilder reference)
    {
        reference.MapGet("/catalogue", async Task<Ok<IReadOnlyList<EntryResponse>>> (
                [Description("Only this category's entries.")] string? categoryCode, IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new List(categoryCode), ct)))
            .WithName("ListCatalogueEntries").WithSummary("List the duty catalogue's overrides")
            .WithDescription("By category. A whistle without a department goes to the community's entry for its category, else the street's, " +
                "else the category's own departmentCode; the whistle's history records which (routedBy).");

        reference.MapGet("/catalogue/{id:long}", async Task<Ok<EntryResponse>> (long id, WhistleDbContext db, HttpContext http, CancellationToken ct) =>
            {
                var entry = await db.DutyCatalogue.AsNoTracking().SingleOrDefaultAsync(e => e.Id == id, ct)
                    ?? throw new NotFoundException($"No catalogue entry has the id {id}.");
                http.Response.Headers.ETag = ETags.For(entry.Version);
                return TypedResults.Ok(EntryResponse.From(entry));
            })
            .WithName("GetCatalogueEntry").WithSummary("Get a duty catalogue entry")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithReferenceETag(StatusCodes.Status200OK);

        reference.MapPost("/catalogue", async Task<Created<EntryResponse>> (EntryBody body, IMediator mediator, HttpContext http, CancellationToken ct) =>
            {
                var (entry, version) = await mediator.Send(new Command(Change.Create, 0, body, null, http.GetCaller()), ct);
                http.Response.Headers.ETag = ETags.For(version);
                return TypedResults.Created($"/api/v1/catalogue/{entry.Id}", entry);
            })
            .WithName("CreateCatalogueEntry").WithSummary("Add a duty catalogue entry")
            .WithDescription("Admins. 400 per field: an unknown or retired category, area or department, both or neither area, a co-handler twice " +
                "or the lead again, a second entry for the same category and area.")
            .Manages()
            .WithReferenceETag(StatusCodes.Status201Created);

        reference.MapPut("/catalogue/{id:long}", async Task<Ok<EntryResponse>> (
                long id, EntryBody body,
                [FromHeader(Name = "If-Match"), Description("The entry's ETag as last read; a stale one is refused with 412.")] string? ifMatch,
                IMediator mediator, HttpContext http, CancellationToken ct) =>
            {
                var (entry, version) = await mediator.Send(new Command(Change.Update, id, body, ETags.ParseIfMatch(ifMatch), http.GetCaller()), ct);
                http.Response.Headers.ETag = ETags.For(version);
                return TypedResults.Ok(entry);
            })
            .WithName("UpdateCatalogueEntry").WithSummary("Change a duty catalogue entry")
            .WithDescription("Admins. The whole entry as it should be; 400 per field as for adding one, 412 when If-Match is stale.")
            .Manages()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .WithReferenceETag(StatusCodes.Status200OK);

        reference.MapDelete("/catalogue/{id:long}", async Task<NoContent> (
                long id,
                [FromHeader(Name = "If-Match"), Description("The entry's ETag as last read; a stale one is refused with 412.")] string? ifMatch,
                IMediator mediator, HttpContext http, CancellationToken ct) =>
            {
                await mediator.Send(new Command(Change.Delete, id, null, ETags.ParseIfMatch(ifMatch), http.GetCaller()), ct);
                return TypedResults.NoContent();
            })
            .WithName("DeleteCatalogueEntry").WithSummary("Remove a duty catalogue entry")
            .WithDescription("Admins. New whistles in its area go by the next less specific entry; orders it routed keep it in their history.")
            .Manages()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);
    }
}
