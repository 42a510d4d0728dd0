using System.Globalization;
using Whistle.Api.Features.Orders;
using Whistle.Api.Features.Photos;

namespace Whistle.Api.Features.Open311;

/// <summary>
/// mySociety's extension: <c>GET servicerequestupdates</c> lists the steps of this app's reports a reporter should hear of
/// (each history entry's id is its stable <c>update_id</c>, its status from <see cref="Open311Status"/>), and
/// <c>POST servicerequestupdates</c> adds the reporter's comment or photo to their report.
/// </summary>
public static class Open311Updates
{
    /// <summary>What a reporter hears of each step, Chinese first; a step not named here (a deadline, an escalation, the desk's own) is not an update.</summary>
    private static string? Describe(OrderHistoryEntry entry, IReadOnlyDictionary<string, string> departments)
    {
        string Department() => entry.Details.GetValueOrDefault("departmentCode") is { } code ? departments.GetValueOrDefault(code, code) : "";
        return entry.Action switch
        {
            "whistle" or "reassign" => $"已吹哨派给{Department()}。Whistled to {Department()}.",
            "acknowledge" => "责任部门已签收，正在处置。The department has signed for it and is handling it.",
            "return" or "approve-return" => "责任部门认为不属其职责，社区将另行派单。Returned as outside the department's duties; the community will send it on.",
            "resolve" => $"已办结：{entry.Details.GetValueOrDefault("result")}",
            "handle-locally" => $"社区已就地解决：{entry.Details.GetValueOrDefault("result")}",
            "evaluate" => entry.ToState == OrderState.Closed ? "评价满意，已办结归档。Evaluated satisfied: closed." : "评价不满意，重新办理（回头看）。Evaluated unsatisfied: reopened.",
            "close-unevaluated" => "办结后未评价，已自动归档。Closed after resolution without an evaluation.",
            "cancel" => "已撤销。Cancelled.",
            "merge" => "与同一问题的工单合并（并单）。Merged with the order that tracks the same problem.",
            Order.ReporterUpdateAction => entry.Details.GetValueOrDefault("description"),
            _ => null,
        };
    }

    internal static void Map(RouteGroupBuilder open311, string format)
    {
        open311.MapGet($"/servicerequestupdates.{format}", ListAsync);
        open311.MapPost($"/servicerequestupdates.{format}", PostAsync).WithMetadata(new PhotoUploadEndpoint());
    }

    private static async Task<IResult> ListAsync(HttpContext http, WhistleDbContext db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var query = http.Request.Query;
        var app = await Open311Access.CallerAsync(http, query[Open311Access.KeyField]);
        var end = Open311Requests.Date(query["end_date"], "end_date");
        var start = Open311Requests.Date(query["start_date"], "start_date");
        var (from, to) = Open311Requests.Window(start, end, clock.GetUtcNow());
        var own = db.OwnOrders(app);
        var steps = await db.OrderHistory.AsNoTracking()
            .Where(e => e.At >= from && e.At <= to)
            // The join keeps this app's own orders' steps only.
            .Join(own, e => e.OrderId, o => o.Id, (e, o) => new { Entry = e, o.Number })
            .OrderBy(x => x.Entry.Id)
            .Take(Open311Requests.MaxRequests * 10)
            .ToListAsync(cancellationToken);
        var departments = await db.Departments.AsNoTracking().ToDictionaryAsync(d => d.Code, d => d.Name, cancellationToken);
        var zone = Open311Endpoints.Zone(http);
        var updates = steps
            .Select(x => (x.Entry, x.Number, Text: Describe(x.Entry, departments)))
            .Where(x => x.Text is not null)
            .Select(x => (Open311Node)new Open311Branch("request_update",
            [
                new Open311Leaf("update_id", x.Entry.Id.ToString(CultureInfo.InvariantCulture)),
                new Open311Leaf("service_request_id", OrderCode.Format(x.Number)),
                new Open311Leaf("status", Open311Status.Of(x.Entry.ToState, CancelReasonOf(x.Entry)).Extended),
                new Open311Leaf("updated_datetime", Open311Wire.Time(x.Entry.At, zone)),
                new Open311Leaf("description", x.Text),
            ])).ToList();
        return Open311Wire.Answer(Open311Wire.FormatOf(http.Request.Path), new Open311List("service_request_updates", updates));
    }

    private static CancelReason? CancelReasonOf(OrderHistoryEntry entry) =>
        entry.Action == "cancel" && WireName.TryParse<CancelReason>(entry.Details.GetValueOrDefault("reason"), out var reason) ? reason : null;

    public sealed record Command(string RequestId, string Description, IReadOnlyList<ProcessedPhoto> Photos, Caller App) : ICommand<long>;

    public sealed class Handler(WhistleDbContext db, IPhotoStore store, TimeProvider clock) : ICommandHandler<Command, long>
    {
        public async ValueTask<long> Handle(Command command, CancellationToken cancellationToken)
        {
            // Another app's report, or the district's own, is not found: its existence is not disclosed.
            if (!OrderCode.TryParse(command.RequestId, out var number)
                || !await db.OwnOrders(command.App).AnyAsync(o => o.Number == number, cancellationToken))
            {
                throw new Open311Exception(StatusCodes.Status404NotFound, $"No request '{command.RequestId}' filed by this app.");
            }
            var order = await OrderStore.LockAsync(db, command.RequestId, cancellationToken);
            var actor = command.App.Actor;
            var at = clock.Now();
            order.AddReporterUpdate(command.Description, actor, at);
            var version = order.Version;
            if (command.Photos.Count > 0)
            {
                // The problem as the resident sees it: while it is open a discovery photo, once resolved the proof it is still there.
                var stage = order.TakesPhotos(PhotoStage.Discovery) ? PhotoStage.Discovery : PhotoStage.Evaluation;
                order.AddPhotos(command.Photos.Select(p => PhotoRules.ToPhoto(p, stage, order.Location, actor, at)).ToList(), actor, at);
                await PhotoRules.StoreAsync(store, db, command.Photos, cancellationToken);
            }
            await OrderStore.SaveAsync(db, order, cancellationToken);
            return await db.OrderHistory.Where(e => e.OrderId == order.Id && e.Version == version).Select(e => e.Id).SingleAsync(cancellationToken);
        }
    }

    private static async Task<IResult> PostAsync(
        HttpContext http, IMediator mediator, PhotoProcessor processor, MediaFetch media, CancellationToken cancellationToken)
    {
        var form = await Open311Requests.ReadFormAsync(http.Request, cancellationToken);
        var app = await Open311Access.CallerAsync(http, Open311Fields.Text(form, Open311Access.KeyField) ?? http.Request.Query[Open311Access.KeyField]);
        var requestId = Open311Fields.Text(form, "service_request_id")
            ?? throw new Open311Exception(StatusCodes.Status400BadRequest, "service_request_id is required.");
        var description = Open311Fields.Text(form, "description")
            ?? throw new Open311Exception(StatusCodes.Status400BadRequest, "description is required.");
        if (description.Length > 4000)
        {
            throw new Open311Exception(StatusCodes.Status400BadRequest, "description: at most 4000 characters.");
        }
        var photos = await Open311Requests.PhotosAsync(form, processor, media, cancellationToken);
        var updateId = await mediator.Send(new Command(requestId, description, photos, app), cancellationToken);
        return Open311Wire.Answer(Open311Wire.FormatOf(http.Request.Path), new Open311List("service_request_updates",
        [
            new Open311Branch("request_update", [new Open311Leaf("update_id", updateId.ToString(CultureInfo.InvariantCulture))]),
        ]));
    }
}
