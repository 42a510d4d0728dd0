using FluentValidation.Results;
using Microsoft.AspNetCore.Mvc;
using Whistle.Api.Features.Orders;
using Whistle.Domain.Reference;
using static Whistle.Api.Features.Reference.ReferenceEndpoints;

namespace Whistle.Api.Features.Reference;

/// <summary>
/// An administrator creates, edits, retires and reinstates streets, communities, grids, departments
/// and categories. Each change takes the reference lock, is made to the whole set in memory, checked
/// by <see cref="ReferenceRules"/>, written with its change-log rows and announced to every instance.
/// </summary>
public static class ManageReference
{
    public enum Change
    {
        Create,
        Update,
        Retire,
        Reinstate,
    }

    /// <param name="Proposed">The entry as the caller wants it (create, update); null to retire or reinstate.</param>
    /// <param name="ReassignTo">Retiring a department: who takes its open orders and routes.</param>
    public sealed record Command(
        ReferenceList List, Change Change, string Code, IReferenceEntry? Proposed, IReadOnlyCollection<int>? IfMatch,
        string? ReassignTo, Caller Caller) : ICommand<Result>;

    public sealed record Result(object Response, int Version);

    public sealed class Handler(WhistleDbContext db, TimeProvider clock) : ICommandHandler<Command, Result>
    {
        public async ValueTask<Result> Handle(Command command, CancellationToken cancellationToken)
        {
            var (list, code) = (command.List, command.Code);
            await ReferenceSet.LockAsync(db, cancellationToken);
            var set = await ReferenceSet.LoadAsync(db, cancellationToken);
            var now = clock.GetUtcNow().ToUniversalTime();
            var actor = command.Caller.Actor;
            var existing = set.Find(list, code);
            IReferenceEntry after;
            if (command.Change == Change.Create)
            {
                if (ReferenceRules.NewCode(set, list, code) is { } taken)
                {
                    throw ReferenceStore.Invalid([taken]);
                }
                after = command.Proposed!;
                after.Version = 1;
            }
            else
            {
                if (existing is null)
                {
                    throw ReferenceStore.NotFound(list, code);
                }
                ReferenceStore.EnsureVersion(list, code, existing.Version, command.IfMatch);
                var retired = command.Change switch
                {
                    Change.Retire => existing.RetiredAt ?? now,
                    Change.Reinstate => null,
                    _ => existing.RetiredAt,
                };
                if (command.Change != Change.Update && retired == existing.RetiredAt)
                {
                    // Already so: nothing changes, nothing is logged.
                    return new(ReferenceResponses.Of(set, list, existing), existing.Version);
                }
                after = command.Proposed ?? Copy(existing);
                after.RetiredAt = retired;
                after.Version = existing.Version + 1;
            }
            set.Put(list, after);
            List<(ReferenceList, string)> touched = [(list, code)];
            List<(object Before, Category Category)> categoriesChanged = [];
            List<(object Before, DutyEntry Entry)> entriesChanged = [];
            List<Guid> transfers = [];
            if (list == ReferenceList.Departments && command.Change == Change.Retire)
            {
                transfers = await HandOverAsync(set, code, command.ReassignTo, touched, categoriesChanged, entriesChanged, cancellationToken);
            }
            var failures = ReferenceRules.Check(set, touched);
            if (failures.Count > 0)
            {
                throw ReferenceStore.Invalid(failures);
            }

            var action = command.Change.ToString().ToLowerInvariant();
            if (command.Change == Change.Create)
            {
                db.Add(after);
            }
            else
            {
                db.Update(after);
            }
            ReferenceStore.Log(db, actor, now, ReferenceRules.Name(list), code, action,
                existing is null ? null : ReferenceResponses.Of(set, list, existing), ReferenceResponses.Of(set, list, after));
            foreach (var (before, category) in categoriesChanged)
            {
                db.Update(category);
                ReferenceStore.Log(db, actor, now, "categories", category.Code, "update", before, ReferenceResponses.Of(set, ReferenceList.Categories, category));
            }
            foreach (var (before, entry) in entriesChanged)
            {
                db.Update(entry);
                ReferenceStore.Log(db, actor, now, "catalogue", entry.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "update", before, DutyCatalogueEndpoints.EntryResponse.From(entry));
            }
            await db.SaveChangesAsync(cancellationToken);
            db.ChangeTracker.Clear();
            foreach (var id in transfers)
            {
                var order = await OrderStore.LockAsync(db, id.ToString(), cancellationToken);
                order.TransferTo(command.ReassignTo!, $"The department '{code}' was retired.", actor, now);
                await OrderStore.SaveAsync(db, order, cancellationToken);
            }
            await ReferenceStore.NotifyAsync(db, cancellationToken);
            return new(ReferenceResponses.Of(set, list, after), after.Version);
        }

        /// <summary>
        /// A department being retired must hand over what it holds: its open orders and the routes
        /// that name it. Without <paramref name="reassignTo"/> that is a 409 listing them; with it,
        /// the routes are rewritten in the set and the open orders returned for transfer.
        /// </summary>
        private async Task<List<Guid>> HandOverAsync(
            ReferenceSet set, string code, string? reassignTo, List<(ReferenceList, string)> touched,
            List<(object, Category)> categories, List<(object, DutyEntry)> entries, CancellationToken cancellationToken)
        {
            var open = await db.Orders.AsNoTracking()
                .Where(o => o.DepartmentCode == code && Order.OpenStates.Contains(o.State))
                .OrderBy(o => o.Number)
                .Select(o => new { o.Id, o.Number })
                .ToListAsync(cancellationToken);
            var routedCategories = set.Categories.Values.Where(c => c.RetiredAt is null && c.DepartmentCode == code).OrderBy(c => c.Code).ToList();
            var routedEntries = set.Catalogue.Values
                .Where(e => ReferenceRules.IsLive(set, e) && (e.DepartmentCode == code || e.CoDepartmentCodes.Contains(code)))
                .OrderBy(e => e.Id).ToList();
            if (reassignTo is null)
            {
                if (open.Count == 0 && routedCategories.Count == 0 && routedEntries.Count == 0)
                {
                    return [];
                }
                throw new ReferenceConflictException(
                    $"The department '{code}' still holds {open.Count} open orders and {routedCategories.Count + routedEntries.Count} routes: " +
                    "reassign them first, or retire it with reassignTo naming the department that takes them over.",
                    new Dictionary<string, object?>
                    {
                        ["openOrders"] = open.Select(o => OrderCode.Format(o.Number)).ToArray(),
                        ["categories"] = routedCategories.Select(c => c.Code).ToArray(),
                        ["catalogueEntries"] = routedEntries.Select(e => e.Id).ToArray(),
                    });
            }
            if (reassignTo == code || !set.Departments.TryGetValue(reassignTo, out var heir) || heir.RetiredAt is not null)
            {
                throw new ValidationException([new ValidationFailure("reassignTo", reassignTo == code
                    ? "A department cannot take over from itself."
                    : $"No department in use has the code '{reassignTo}'.")]);
            }
            foreach (var category in routedCategories)
            {
                var before = ReferenceResponses.Of(set, ReferenceList.Categories, category);
                category.DepartmentCode = reassignTo;
                category.Version++;
                categories.Add((before, category));
                touched.Add((ReferenceList.Categories, category.Code));
            }
            foreach (var entry in routedEntries)
            {
                var before = DutyCatalogueEndpoints.EntryResponse.From(entry);
                if (entry.DepartmentCode == code)
                {
                    entry.DepartmentCode = reassignTo;
                }
                entry.CoDepartmentCodes = entry.CoDepartmentCodes.Select(c => c == code ? reassignTo : c)
                    .Where(c => c != entry.DepartmentCode).Distinct().ToList();
                entry.Version++;
                entries.Add((before, entry));
                touched.Add((ReferenceList.Catalogue, entry.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }
            return open.Select(o => o.Id).ToList();
        }
    }

    internal static IReferenceEntry Copy(IReferenceEntry entry) => entry switch
    {
        Street s => new Street { Code = s.Code, Name = s.Name, RetiredAt = s.RetiredAt, Version = s.Version },
        Community c => new Community { Code = c.Code, Name = c.Name, StreetCode = c.StreetCode, RetiredAt = c.RetiredAt, Version = c.Version },
        Grid g => new Grid { Code = g.Code, Name = g.Name, CommunityCode = g.CommunityCode, RetiredAt = g.RetiredAt, Version = g.Version },
        Department d => new Department { Code = d.Code, Name = d.Name, RetiredAt = d.RetiredAt, Version = d.Version },
        Category c => new Category
        {
            Code = c.Code,
            Name = c.Name,
            DepartmentCode = c.DepartmentCode,
            AcknowledgeWithinHours = c.AcknowledgeWithinHours,
            ResolveWithinHours = c.ResolveWithinHours,
            UrgentAcknowledgeWithinHours = c.UrgentAcknowledgeWithinHours,
            UrgentResolveWithinHours = c.UrgentResolveWithinHours,
            ResolveInWorkingDays = c.ResolveInWorkingDays,
            RequiresResolutionPhoto = c.RequiresResolutionPhoto,
            RetiredAt = c.RetiredAt,
            Version = c.Version,
        },
        _ => throw new ArgumentOutOfRangeException(nameof(entry)),
    };

    // The request bodies: create takes the code, an update may repeat it (it never changes).

    /// <param name="Code">Stable and never reused: letters, digits, '.', '_' and '-', up to 50.</param>
    /// <param name="Name">The district's name for it (Chinese), up to 200 characters.</param>
    public sealed record StreetBody(string? Code = null, string? Name = null);

    /// <param name="Code">Stable and never reused: letters, digits, '.', '_' and '-', up to 50.</param>
    /// <param name="Name">The district's name for it (Chinese), up to 200 characters.</param>
    /// <param name="StreetCode">The street it belongs to; another street moves it there (re-division).</param>
    public sealed record CommunityBody(string? Code = null, string? Name = null, string? StreetCode = null);

    /// <param name="Code">Stable and never reused: letters, digits, '.', '_' and '-', up to 50.</param>
    /// <param name="Name">The district's name for it (Chinese), up to 200 characters.</param>
    /// <param name="CommunityCode">The community it belongs to; another community moves it there (re-division).</param>
    public sealed record GridBody(string? Code = null, string? Name = null, string? CommunityCode = null);

    /// <param name="Code">Stable and never reused: letters, digits, '.', '_' and '-', up to 50.</param>
    /// <param name="Name">The district's name for it (Chinese), up to 200 characters.</param>
    public sealed record DepartmentBody(string? Code = null, string? Name = null);

    /// <param name="Code">Stable and never reused: letters, digits, '.', '_' and '-', up to 50.</param>
    /// <param name="Name">The district's name for it (Chinese), up to 200 characters.</param>
    /// <param name="DepartmentCode">The department that answers it district-wide (the catalogue may override it by street or community); in use.</param>
    /// <param name="AcknowledgeWithinHours">Hours to acknowledge a normal order, 1 to 8760.</param>
    /// <param name="ResolveWithinHours">Hours to resolve a normal order, 1 to 8760.</param>
    /// <param name="UrgentAcknowledgeWithinHours">Hours to acknowledge an urgent order; no more than the normal limit.</param>
    /// <param name="UrgentResolveWithinHours">Hours to resolve an urgent order; no more than the normal limit.</param>
    /// <param name="ResolveInWorkingDays">Whether the resolve limits count only working days' time (the district's calendar).</param>
    /// <param name="RequiresResolutionPhoto">Whether resolving an order of this category needs a resolution photo on it (default false).</param>
    public sealed record CategoryBody(
        string? Code = null, string? Name = null, string? DepartmentCode = null, int? AcknowledgeWithinHours = null, int? ResolveWithinHours = null,
        int? UrgentAcknowledgeWithinHours = null, int? UrgentResolveWithinHours = null, bool? ResolveInWorkingDays = null, bool? RequiresResolutionPhoto = null);

    /// <param name="ReassignTo">The department in use that takes over the retired one's open orders (each recorded in its history) and its routes.</param>
    public sealed record RetireDepartmentBody(string? ReassignTo = null);

    public static void MapManagement(RouteGroupBuilder reference)
    {
        MapList<StreetBody, StreetResponse>(reference, ReferenceList.Streets, "Street", b => b.Code,
            (code, b) => new Street { Code = code, Name = b.Name?.Trim() ?? "" });
        MapList<CommunityBody, CommunityResponse>(reference, ReferenceList.Communities, "Community", b => b.Code,
            (code, b) => new Community { Code = code, Name = b.Name?.Trim() ?? "", StreetCode = b.StreetCode ?? "" });
        MapList<GridBody, GridResponse>(reference, ReferenceList.Grids, "Grid", b => b.Code,
            (code, b) => new Grid { Code = code, Name = b.Name?.Trim() ?? "", CommunityCode = b.CommunityCode ?? "" });
        MapList<DepartmentBody, DepartmentResponse>(reference, ReferenceList.Departments, "Department", b => b.Code,
            (code, b) => new Department { Code = code, Name = b.Name?.Trim() ?? "" });
        MapList<CategoryBody, CategoryResponse>(reference, ReferenceList.Categories, "Category", b => b.Code,
            (code, b) => new Category
            {
                Code = code,
                Name = b.Name?.Trim() ?? "",
                DepartmentCode = b.DepartmentCode ?? "",
                AcknowledgeWithinHours = b.AcknowledgeWithinHours ?? 0,
                ResolveWithinHours = b.ResolveWithinHours ?? 0,
                UrgentAcknowledgeWithinHours = b.UrgentAcknowledgeWithinHours ?? 0,
                UrgentResolveWithinHours = b.UrgentResolveWithinHours ?? 0,
                ResolveInWorkingDays = b.ResolveInWorkingDays ?? false,
                RequiresResolutionPhoto = b.RequiresResolutionPhoto ?? false,
            });
    }

    private static void MapList<TBody, TResponse>(
        RouteGroupBuilder reference, ReferenceList list, string one, Func<TBody, string?> codeOf, Func<string, TBody, IReferenceEntry> build)
        where TBody : class where TResponse : class
    {
        var path = "/" + ReferenceRules.Name(list);
        var what = one.ToLowerInvariant();

        reference.MapGet(path + "/{code}", async Task<Ok<TResponse>> (string code, WhistleDbContext db, HttpContext http, CancellationToken ct) =>
            {
                var (response, version) = await ReferenceResponses.LoadAsync(db, list, code, ct) ?? throw ReferenceStore.NotFound(list, code);
                return Answer<TResponse>(http, response, version);
            })
            .WithName("Get" + one).WithSummary($"Get a {what}")
            .WithDescription($"The {what} with its ETag, to edit it with If-Match.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithReferenceETag(StatusCodes.Status200OK);

        reference.MapPost(path, async Task<Created<TResponse>> (TBody body, IMediator mediator, HttpContext http, CancellationToken ct) =>
            {
                var code = codeOf(body)?.Trim() ?? "";
                var result = await mediator.Send(new Command(list, Change.Create, code, build(code, body), null, null, http.GetCaller()), ct);
                http.Response.Headers.ETag = ETags.For(result.Version);
                return TypedResults.Created($"/api/v1{path}/{Uri.EscapeDataString(code)}", (TResponse)result.Response);
            })
            .WithName("Create" + one).WithSummary($"Create a {what}")
            .WithDescription($"Admins. A code already used in {ReferenceRules.Name(list)} (retired entries included: codes are never reused), an unknown or retired parent, " +
                "or a category limit out of range is 400, per field. Every instance uses it within a second.")
            .Manages()
            .WithReferenceETag(StatusCodes.Status201Created);

        reference.MapPut(path + "/{code}", async Task<Ok<TResponse>> (
                string code, TBody body,
                [FromHeader(Name = "If-Match"), Description("The entry's ETag as last read; a stale one is refused with 412.")] string? ifMatch,
                IMediator mediator, HttpContext http, CancellationToken ct) =>
            {
                if (codeOf(body) is { } named && named.Trim() != code)
                {
                    throw new ValidationException([new ValidationFailure("code", "A code never changes: leave it out, or repeat the one in the path.")]);
                }
                var result = await mediator.Send(new Command(list, Change.Update, code, build(code, body), ETags.ParseIfMatch(ifMatch), null, http.GetCaller()), ct);
                return Answer<TResponse>(http, result.Response, result.Version);
            })
            .WithName("Update" + one).WithSummary($"Update a {what}")
            .WithDescription($"Admins. The whole {what} as it should be (its code stays). A new parent moves it (re-division): orders keep the place they were filed in. " +
                "400 per field as for create; 412 when If-Match is stale.")
            .Manages()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .WithReferenceETag(StatusCodes.Status200OK);

        if (list == ReferenceList.Departments)
        {
            reference.MapPost(path + "/{code}/retire", async Task<Ok<TResponse>> (
                    string code, [FromBody] RetireDepartmentBody? body,
                    [FromHeader(Name = "If-Match"), Description("The entry's ETag as last read; a stale one is refused with 412.")] string? ifMatch,
                    IMediator mediator, HttpContext http, CancellationToken ct) =>
                {
                    var result = await mediator.Send(new Command(list, Change.Retire, code, null, ETags.ParseIfMatch(ifMatch), body?.ReassignTo, http.GetCaller()), ct);
                    return Answer<TResponse>(http, result.Response, result.Version);
                })
                .WithName("Retire" + one).WithSummary($"Retire a {what}")
                .WithDescription("Admins. A retired department takes no new whistles or routes; its history and figures stay. While it holds open orders or " +
                    "categories and catalogue entries route to it, this is 409 listing them, unless reassignTo names the department that takes them over " +
                    "(each order's history records the transfer).")
                .Manages()
                .ProducesProblem(StatusCodes.Status404NotFound)
                .ProducesProblem(StatusCodes.Status409Conflict)
                .ProducesProblem(StatusCodes.Status412PreconditionFailed)
                .WithReferenceETag(StatusCodes.Status200OK);
        }
        else
        {
            reference.MapPost(path + "/{code}/retire", async Task<Ok<TResponse>> (
                    string code,
                    [FromHeader(Name = "If-Match"), Description("The entry's ETag as last read; a stale one is refused with 412.")] string? ifMatch,
                    IMediator mediator, HttpContext http, CancellationToken ct) =>
                {
                    var result = await mediator.Send(new Command(list, Change.Retire, code, null, ETags.ParseIfMatch(ifMatch), null, http.GetCaller()), ct);
                    return Answer<TResponse>(http, result.Response, result.Version);
                })
                .WithName("Retire" + one).WithSummary($"Retire a {what}")
                .WithDescription($"Admins. A retired {what} takes no new orders or routes; its history and figures stay. Entries still in use under it " +
                    "would be orphaned: that is 400 (move or retire them first).")
                .Manages()
                .ProducesProblem(StatusCodes.Status404NotFound)
                .ProducesProblem(StatusCodes.Status412PreconditionFailed)
                .WithReferenceETag(StatusCodes.Status200OK);
        }

        reference.MapPost(path + "/{code}/reinstate", async Task<Ok<TResponse>> (
                string code,
                [FromHeader(Name = "If-Match"), Description("The entry's ETag as last read; a stale one is refused with 412.")] string? ifMatch,
                IMediator mediator, HttpContext http, CancellationToken ct) =>
            {
                var result = await mediator.Send(new Command(list, Change.Reinstate, code, null, ETags.ParseIfMatch(ifMatch), null, http.GetCaller()), ct);
                return Answer<TResponse>(http, result.Response, result.Version);
            })
            .WithName("Reinstate" + one).WithSummary($"Reinstate a retired {what}")
            .WithDescription("Admins. In use again, under the same code; 400 if its parent (or a category's department) is retired.")
            .Manages()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .WithReferenceETag(StatusCodes.Status200OK);
    }

    private static Ok<TResponse> Answer<TResponse>(HttpContext http, object response, int version)
    {
        http.Response.Headers.ETag = ETags.For(version);
        return TypedResults.Ok((TResponse)response);
    }

    /// <summary>What every change endpoint declares: admins only, 400 per field.</summary>
    internal static RouteHandlerBuilder Manages(this RouteHandlerBuilder builder) => builder
        .RequireOperation(Operation.ManageReference)
        .ProducesValidationProblem()
        .ProducesProblem(StatusCodes.Status403Forbidden);

    internal static RouteHandlerBuilder WithReferenceETag(this RouteHandlerBuilder builder, int status) =>
        builder.WithResponseHeader(status, "ETag", "The entry's version, quoted (\"3\"): send it back in If-Match to change only this version.");
}
