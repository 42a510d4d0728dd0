using FluentValidation.Results;
using Microsoft.AspNetCore.Mvc;
using Whistle.Api.Features.Orders;
using Whistle.Domain.Reference;
using static Whistle.Api.Features.Reference.ReferenceEndpoints;

namespace Whistle.Api.Features.Reference;

/// <summary>
/// Re-division beyond moving one entry (a PUT with another parent): merging a community into another
/// of its street, splitting one, and re-homing open orders to where their grid now sits. Orders keep
/// the place they were filed in unless an administrator re-homes them: only open orders move
/// (<see cref="Order.IsOpen"/>), each with a <c>rehome</c> entry in its history, in the change's own
/// transaction; closed, handled and cancelled orders stay where their figures were counted. Like
/// every reference change, each takes the reference lock, checks the set with
/// <see cref="ReferenceRules"/>, logs each step and notifies every instance.
/// </summary>
public static class Redivide
{
    /// <param name="Merged">The community merged away, now retired.</param>
    /// <param name="Into">The community that took its grids.</param>
    /// <param name="MovedGridCodes">The grids that moved, by code.</param>
    /// <param name="RehomedOrderCodes">The open orders re-homed with them (empty unless rehomeOpenOrders was asked for).</param>
    public sealed record MergeResponse(CommunityResponse Merged, CommunityResponse Into, IReadOnlyList<string> MovedGridCodes, IReadOnlyList<string> RehomedOrderCodes);

    /// <param name="Community">The new community.</param>
    /// <param name="From">The community it was split from, with the grids it kept.</param>
    /// <param name="MovedGridCodes">The grids that moved to the new community, by code.</param>
    /// <param name="RehomedOrderCodes">The open orders re-homed with them (empty unless rehomeOpenOrders was asked for).</param>
    public sealed record SplitResponse(CommunityResponse Community, CommunityResponse From, IReadOnlyList<string> MovedGridCodes, IReadOnlyList<string> RehomedOrderCodes);

    /// <param name="RehomedOrderCodes">The open orders moved to where their grid now sits, by code; empty when none was elsewhere.</param>
    public sealed record RehomeResponse(IReadOnlyList<string> RehomedOrderCodes);

    /// <param name="IntoCommunityCode">The community in use, in the same street, that takes the merged one's grids.</param>
    /// <param name="RehomeOpenOrders">Also move the open orders of those grids to the surviving community (each recorded in its history).
    /// Default false: orders keep the place they were filed in.</param>
    public sealed record MergeBody(string? IntoCommunityCode = null, bool? RehomeOpenOrders = null);

    /// <param name="Community">The new community: its code (never used before) and name; it stays in the split one's street.</param>
    /// <param name="GridCodes">The grids in use of the split community that move to the new one; at least one, and not all of them.</param>
    /// <param name="RehomeOpenOrders">Also move the open orders of those grids to the new community (each recorded in its history).
    /// Default false: orders keep the place they were filed in.</param>
    public sealed record SplitBody(ManageReference.CommunityBody? Community = null, IReadOnlyList<string?>? GridCodes = null, bool? RehomeOpenOrders = null);

    /// <param name="Reason">Why, for each order's history (up to 500 characters); by default the grid's new place.</param>
    public sealed record RehomeBody(string? Reason = null);

    public sealed record Merge(string Code, MergeBody Body, IReadOnlyCollection<int>? IfMatch, Caller Caller) : ICommand<(MergeResponse, int)>;

    public sealed record Split(string Code, SplitBody Body, IReadOnlyCollection<int>? IfMatch, Caller Caller) : ICommand<SplitResponse>;

    public sealed record Rehome(ReferenceList List, string Code, string? Reason, Caller Caller) : ICommand<RehomeResponse>;

    public const int MaxReasonLength = 500;

    public sealed class Handler(WhistleDbContext db, TimeProvider clock) :
        ICommandHandler<Merge, (MergeResponse, int)>, ICommandHandler<Split, SplitResponse>, ICommandHandler<Rehome, RehomeResponse>
    {
        public async ValueTask<(MergeResponse, int)> Handle(Merge command, CancellationToken cancellationToken)
        {
            await ReferenceSet.LockAsync(db, cancellationToken);
            var set = await ReferenceSet.LoadAsync(db, cancellationToken);
            var merged = InUse(set, command.Code, command.IfMatch, "merged");
            var intoCode = command.Body.IntoCommunityCode?.Trim() ?? "";
            var into = set.Communities.GetValueOrDefault(intoCode);
            var problem = intoCode.Length == 0 ? "intoCommunityCode is required."
                : intoCode == merged.Code ? "A community cannot be merged into itself."
                : into is null ? $"No community has the code '{intoCode}'."
                : into.RetiredAt is not null ? $"The community '{intoCode}' is retired: it cannot take grids."
                // A merge re-draws no street boundary: moving a community to another street is its own, logged, step (PUT).
                : into.StreetCode != merged.StreetCode
                    ? $"The community '{intoCode}' is in street '{into.StreetCode}', '{merged.Code}' in '{merged.StreetCode}': a merge stays within a street (move one first)."
                : null;
            if (problem is not null)
            {
                throw new ValidationException([new ValidationFailure("intoCommunityCode", problem)]);
            }

            var now = clock.GetUtcNow().ToUniversalTime();
            var actor = command.Caller.Actor;
            var moved = set.Grids.Values.Where(g => g.CommunityCode == merged.Code && g.RetiredAt is null).OrderBy(g => g.Code, StringComparer.Ordinal).ToList();
            var changes = MoveGrids(set, moved, into!.Code);
            var before = ReferenceResponses.Of(set, ReferenceList.Communities, merged);
            var retired = (Community)ManageReference.Copy(merged);
            retired.RetiredAt = now;
            retired.Version++;
            set.Put(ReferenceList.Communities, retired);
            changes.Add(new(ReferenceList.Communities, retired, before));
            Check(set, changes, "");

            await WriteAsync(set, changes, "merge", actor, now, cancellationToken);
            var rehomed = command.Body.RehomeOpenOrders == true
                ? await RehomeOpenOrdersAsync(db, set, moved.Select(g => g.Code).ToList(),
                    _ => $"The community '{merged.Code}' was merged into '{into.Code}'.", actor, now, cancellationToken)
                : [];
            await ReferenceStore.NotifyAsync(db, cancellationToken);
            return (new MergeResponse(
                (CommunityResponse)ReferenceResponses.Of(set, ReferenceList.Communities, retired),
                (CommunityResponse)ReferenceResponses.Of(set, ReferenceList.Communities, into),
                moved.Select(g => g.Code).ToList(), rehomed), retired.Version);
        }

        public async ValueTask<SplitResponse> Handle(Split command, CancellationToken cancellationToken)
        {
            await ReferenceSet.LockAsync(db, cancellationToken);
            var set = await ReferenceSet.LoadAsync(db, cancellationToken);
            var from = InUse(set, command.Code, command.IfMatch, "split");
            var body = command.Body.Community;
            var code = body?.Code?.Trim() ?? "";
            var failures = new List<ValidationFailure>();
            if (ReferenceRules.NewCode(set, ReferenceList.Communities, code) is { } taken)
            {
                failures.Add(new("community." + taken.Field, taken.Message));
            }
            if (body?.StreetCode is { } street && street != from.StreetCode)
            {
                failures.Add(new("community.streetCode", $"A split community stays in the street of '{from.Code}' ('{from.StreetCode}'): leave streetCode out, or move it afterwards."));
            }
            var codes = command.Body.GridCodes ?? [];
            var moved = new List<Grid>();
            if (codes.Count == 0)
            {
                failures.Add(new("gridCodes", "Name at least one grid to move to the new community."));
            }
            else if (codes.Count > ReferenceRules.MaxGridsMoved)
            {
                throw new ValidationException([new ValidationFailure("gridCodes", $"At most {ReferenceRules.MaxGridsMoved} grids move in one split; {codes.Count} were named.")]);
            }
            for (var i = 0; i < codes.Count; i++)
            {
                var gridCode = codes[i]?.Trim() ?? "";
                var grid = set.Grids.GetValueOrDefault(gridCode);
                var gridProblem = grid is null ? $"No grid has the code '{gridCode}'."
                    : grid.RetiredAt is not null ? $"The grid '{gridCode}' is retired: it stays where it was."
                    : grid.CommunityCode != from.Code ? $"The grid '{gridCode}' is in the community '{grid.CommunityCode}', not '{from.Code}'."
                    : moved.Contains(grid) ? $"'{gridCode}' is named twice."
                    : null;
                if (gridProblem is null)
                {
                    moved.Add(grid!);
                }
                else
                {
                    failures.Add(new($"gridCodes[{i}]", gridProblem));
                }
            }
            var kept = set.Grids.Values.Count(g => g.CommunityCode == from.Code && g.RetiredAt is null) - moved.Count;
            if (moved.Count > 0 && kept == 0)
            {
                // Both halves of a split keep grids; moving every one is a rename (or a merge the other way).
                failures.Add(new("gridCodes", $"These are all the grids in use of '{from.Code}': a split leaves it at least one (to move them all, merge it instead)."));
            }
            if (failures.Count > 0)
            {
                throw new ValidationException(failures);
            }

            var now = clock.GetUtcNow().ToUniversalTime();
            var actor = command.Caller.Actor;
            var created = new Community { Code = code, Name = body?.Name?.Trim() ?? "", StreetCode = from.StreetCode, Version = 1 };
            set.Put(ReferenceList.Communities, created);
            List<Step> changes = [new(ReferenceList.Communities, created, null), .. MoveGrids(set, moved, created.Code)];
            Check(set, changes, "community.");

            await WriteAsync(set, changes, "split", actor, now, cancellationToken);
            var rehomed = command.Body.RehomeOpenOrders == true
                ? await RehomeOpenOrdersAsync(db, set, moved.Select(g => g.Code).ToList(),
                    _ => $"The community '{from.Code}' was split: its grid moved to the new community '{created.Code}'.", actor, now, cancellationToken)
                : [];
            await ReferenceStore.NotifyAsync(db, cancellationToken);
            return new SplitResponse(
                (CommunityResponse)ReferenceResponses.Of(set, ReferenceList.Communities, created),
                (CommunityResponse)ReferenceResponses.Of(set, ReferenceList.Communities, from),
                moved.Select(g => g.Code).ToList(), rehomed);
        }

        public async ValueTask<RehomeResponse> Handle(Rehome command, CancellationToken cancellationToken)
        {
            if (command.Reason is { Length: > MaxReasonLength })
            {
                throw new ValidationException([new ValidationFailure("reason", $"reason is at most {MaxReasonLength} characters.")]);
            }
            // Under the reference lock, so no grid moves while its orders follow it.
            await ReferenceSet.LockAsync(db, cancellationToken);
            var set = await ReferenceSet.LoadAsync(db, cancellationToken);
            var entry = set.Find(command.List, command.Code) ?? throw ReferenceStore.NotFound(command.List, command.Code);
            if (entry.RetiredAt is not null)
            {
                throw new ReferenceConflictException(
                    $"The {(command.List == ReferenceList.Grids ? "grid" : "community")} '{command.Code}' is retired: its orders have nowhere in use to go.",
                    new Dictionary<string, object?>());
            }
            var grids = command.List == ReferenceList.Grids
                ? [command.Code]
                : set.Grids.Values.Where(g => g.CommunityCode == command.Code).Select(g => g.Code).Order(StringComparer.Ordinal).ToList();
            var reason = string.IsNullOrWhiteSpace(command.Reason) ? null : command.Reason.Trim();
            var rehomed = await RehomeOpenOrdersAsync(db, set, grids,
                grid => reason ?? $"Re-division: the grid '{grid.Code}' is now in the community '{grid.CommunityCode}'.",
                command.Caller.Actor, clock.GetUtcNow().ToUniversalTime(), cancellationToken);
            return new RehomeResponse(rehomed);
        }

        /// <summary>The community named in the path, in use and at the caller's version: 404, 412, or 409 once retired (merged already).</summary>
        private static Community InUse(ReferenceSet set, string code, IReadOnlyCollection<int>? ifMatch, string verb)
        {
            var community = set.Communities.GetValueOrDefault(code) ?? throw ReferenceStore.NotFound(ReferenceList.Communities, code);
            ReferenceStore.EnsureVersion(ReferenceList.Communities, code, community.Version, ifMatch);
            if (community.RetiredAt is not null)
            {
                throw new ReferenceConflictException(
                    $"The community '{code}' is retired (merged or retired already): it cannot be {verb}.", new Dictionary<string, object?>());
            }
            return community;
        }

        private static List<Step> MoveGrids(ReferenceSet set, IEnumerable<Grid> grids, string communityCode)
        {
            var steps = new List<Step>();
            foreach (var grid in grids)
            {
                var before = ReferenceResponses.Of(set, ReferenceList.Grids, grid);
                var after = (Grid)ManageReference.Copy(grid);
                after.CommunityCode = communityCode;
                after.Version++;
                steps.Add(new(ReferenceList.Grids, after, before));
            }
            // Put after reading every "before", so each shows the grid where it was.
            foreach (var step in steps)
            {
                set.Put(ReferenceList.Grids, step.Entry);
            }
            return steps;
        }

        /// <summary>What the changed set breaks, reported on the new community's fields (prefix) or the entry's own.</summary>
        private static void Check(ReferenceSet set, List<Step> changes, string prefix)
        {
            var failures = ReferenceRules.Check(set, changes.Select(c => (c.List, c.Entry.Code)));
            if (failures.Count > 0)
            {
                throw new ValidationException(failures.Select(f =>
                    new ValidationFailure(f.List == ReferenceList.Communities && prefix.Length > 0 ? prefix + f.Field : f.Field, f.Message)));
            }
        }

        /// <summary>Writes each step with its change-log row (all under one action: merge or split), in the command's transaction.</summary>
        private async Task WriteAsync(ReferenceSet set, List<Step> changes, string action, Actor actor, DateTimeOffset now, CancellationToken cancellationToken)
        {
            foreach (var step in changes)
            {
                if (step.Before is null)
                {
                    db.Add(step.Entry);
                }
                else
                {
                    db.Update(step.Entry);
                }
                // The view after is the set's as the whole change leaves it (a moved grid shows its new street).
                ReferenceStore.Log(db, actor, now, ReferenceRules.Name(step.List), step.Entry.Code, action, step.Before,
                    ReferenceResponses.Of(set, step.List, step.Entry));
            }
            await db.SaveChangesAsync(cancellationToken);
            db.ChangeTracker.Clear();
        }
    }

    public static void Map(RouteGroupBuilder reference)
    {
        reference.MapPost("/communities/{code}/merge", async Task<Ok<MergeResponse>> (
                string code, [FromBody] MergeBody? body,
                [FromHeader(Name = "If-Match"), Description("The merged community's ETag as last read; a stale one is refused with 412.")] string? ifMatch,
                IMediator mediator, HttpContext http, CancellationToken ct) =>
            {
                var (response, version) = await mediator.Send(new Merge(code, body ?? new(), ETags.ParseIfMatch(ifMatch), http.GetCaller()), ct);
                http.Response.Headers.ETag = ETags.For(version);
                return TypedResults.Ok(response);
            })
            .WithName("MergeCommunity").WithSummary("Merge a community into another of its street")
            .WithDescription("Admins. Every grid in use of the community moves to intoCommunityCode (in use, in the same street: a merge re-draws no " +
                "street boundary), and the community is retired; each step is in the change log (action merge), all in one transaction. Orders keep " +
                "the place they were filed in unless rehomeOpenOrders is true: then the open orders of the moved grids move too, each recorded in " +
                "its history (rehome). 409 when the community is retired already (merged before); 412 when If-Match is stale.")
            .Manages()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .WithResponseHeader(StatusCodes.Status200OK, "ETag", "The merged (now retired) community's version, quoted.");

        reference.MapPost("/communities/{code}/split", async Task<Created<SplitResponse>> (
                string code, [FromBody] SplitBody? body,
                [FromHeader(Name = "If-Match"), Description("The split community's ETag as last read; a stale one is refused with 412.")] string? ifMatch,
                IMediator mediator, HttpContext http, CancellationToken ct) =>
            {
                var response = await mediator.Send(new Split(code, body ?? new(), ETags.ParseIfMatch(ifMatch), http.GetCaller()), ct);
                http.Response.Headers.ETag = ETags.For(1);
                return TypedResults.Created($"/api/v1/communities/{Uri.EscapeDataString(response.Community.Code)}", response);
            })
            .WithName("SplitCommunity").WithSummary("Split a new community off one")
            .WithDescription("Admins. A new community in the same street takes the listed grids (in use, of this community; not all of them); " +
                "each step is in the change log (action split), all in one transaction. Orders keep the place they were filed in unless " +
                "rehomeOpenOrders is true (then the open orders of the moved grids follow, each recorded in its history). 400 per field " +
                "(community.code used before, gridCodes[i] unknown, retired, elsewhere or twice); 409 when the community is retired; 412 when If-Match is stale.")
            .Manages()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .WithResponseHeader(StatusCodes.Status201Created, "ETag", "The new community's version, quoted (\"1\").");

        foreach (var (list, one) in new[] { (ReferenceList.Grids, "Grid"), (ReferenceList.Communities, "Community") })
        {
            var what = one.ToLowerInvariant();
            reference.MapPost($"/{ReferenceRules.Name(list)}/{{code}}/rehome-open-orders", async Task<Ok<RehomeResponse>> (
                    string code, [FromBody] RehomeBody? body, IMediator mediator, HttpContext http, CancellationToken ct) =>
                    TypedResults.Ok(await mediator.Send(new Rehome(list, code, body?.Reason, http.GetCaller()), ct)))
                .WithName($"RehomeOpenOrdersOf{one}").WithSummary($"Re-home the open orders of a moved {what}")
                .WithDescription($"Admins. Each open order (not closed, handled locally or cancelled) filed in {(list == ReferenceList.Grids ? "the grid" : "a grid now in the community")} " +
                    "whose community or street is no longer the grid's moves to where the grid now sits, as it stands (state, department, deadlines), " +
                    "with a rehome entry in its history (before and after, who, why) and a new version. Finished orders never move: the figures " +
                    "count them where they were filed, and a re-homed order where it now is. 409 when it is retired.")
                .Manages()
                .ProducesProblem(StatusCodes.Status404NotFound)
                .ProducesProblem(StatusCodes.Status409Conflict);
        }
    }

    /// <summary>One entry a merge or split writes, as it becomes, with the API's view of it before (null when created).</summary>
    private sealed record Step(ReferenceList List, IReferenceEntry Entry, object? Before);

    /// <summary>
    /// Moves the open orders of the grids to where each grid now sits (its community and that
    /// community's street), recording a <c>rehome</c> in each order's history; orders already
    /// there, and orders no longer open, stay as they are. Locks the orders it reads.
    /// </summary>
    internal static async Task<List<string>> RehomeOpenOrdersAsync(
        WhistleDbContext db, ReferenceSet set, IReadOnlyList<string> gridCodes, Func<Grid, string> reason, Actor actor, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        if (gridCodes.Count == 0)
        {
            return [];
        }
        var open = Order.OpenStates.ToList();
        var orders = await db.Orders.AsNoTracking().ForUpdate()
            .Where(o => gridCodes.Contains(o.GridCode) && open.Contains(o.State))
            .OrderBy(o => o.Number)
            .ToListAsync(cancellationToken);
        var moving = orders.Where(o => Place(set, o.GridCode) is var (community, street)
            && (o.CommunityCode != community || o.StreetCode != street)).ToList();
        await OrderStore.AttachPartsAsync(db, moving, cancellationToken);
        foreach (var order in moving)
        {
            var grid = set.Grids[order.GridCode];
            order.Rehome(grid, set.Communities[grid.CommunityCode], reason(grid), actor, now);
            await OrderStore.SaveAsync(db, order, cancellationToken);
        }
        return moving.Select(o => OrderCode.Format(o.Number)).ToList();
    }

    private static (string Community, string Street) Place(ReferenceSet set, string gridCode)
    {
        var grid = set.Grids[gridCode];
        return (grid.CommunityCode, set.Communities[grid.CommunityCode].StreetCode);
    }
}
