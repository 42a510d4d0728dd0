using System.Globalization;
using Microsoft.Extensions.Options;
using Whistle.Api.Features.Orders;
using Whistle.Api.Features.Photos;

namespace Whistle.Api.Features.Open311;

/// <summary>
/// <c>POST requests</c> files a resident's report through the native filing's rules (the position finds the grid,
/// the service code is the category, photos as on a 随手拍 filing) and keeps the reporter's fields for the desk;
/// <c>GET requests</c> and <c>GET requests/{id}</c> read back the reports this app filed.
/// </summary>
public static class Open311Requests
{
    /// <summary>The window <c>GET requests</c> covers at most (and by default, ending now), as the spec suggests.</summary>
    public static readonly TimeSpan MaxWindow = TimeSpan.FromDays(90);

    /// <summary>
    /// The span a list covers (requests and updates alike): start_date to end_date, at most 90 days apart; by default the
    /// last 90 days, or 90 days from the one date given. At the calendar's edges the default stops there, never past it.
    /// </summary>
    internal static (DateTimeOffset From, DateTimeOffset To) Window(DateTimeOffset? start, DateTimeOffset? end, DateTimeOffset now)
    {
        var from = start ?? Before(end ?? now);
        var to = end ?? (start is { } given ? After(given) : now);
        if (to < from || to - from > MaxWindow)
        {
            throw new Open311Exception(StatusCodes.Status400BadRequest, "start_date must come before end_date, at most 90 days apart.");
        }
        return (from, to);
    }

    private static DateTimeOffset Before(DateTimeOffset at) =>
        at.UtcTicks - DateTimeOffset.MinValue.UtcTicks > MaxWindow.Ticks ? at - MaxWindow : DateTimeOffset.MinValue;

    private static DateTimeOffset After(DateTimeOffset at) =>
        DateTimeOffset.MaxValue.UtcTicks - at.UtcTicks > MaxWindow.Ticks ? at + MaxWindow : DateTimeOffset.MaxValue;
    public const int MaxRequests = 1000;

    public sealed record Command(FileOrder.Command Filing, IReadOnlyList<ProcessedPhoto> Photos, IFormCollection Form) : ICommand<OrderResponse>;

    public sealed class Handler(WhistleDbContext db, ReferenceCache reference, IPhotoStore store, TimeProvider clock, IOptions<Geo.GeoOptions> geo)
        : ICommandHandler<Command, OrderResponse>
    {
        public async ValueTask<OrderResponse> Handle(Command command, CancellationToken cancellationToken)
        {
            var (order, filed) = await FileOrderWithPhotos.SaveFiledAsync(
                new FileOrder.Handler(db, reference, clock, geo), db, store, command.Filing, command.Photos, cancellationToken);
            db.OrderReporters.Add(Open311Fields.Reporter(command.Form, order.Id, command.Filing.Caller));
            await db.SaveChangesAsync(cancellationToken);
            return filed;
        }
    }

    internal static void Map(RouteGroupBuilder open311, string format)
    {
        open311.MapPost($"/requests.{format}", FileAsync).WithMetadata(new PhotoUploadEndpoint());
        open311.MapGet($"/requests.{format}", ListAsync);
        open311.MapGet($"/requests/{{id}}.{format}", GetAsync);
    }

    private static async Task<IResult> FileAsync(
        HttpContext http, IMediator mediator, PhotoProcessor processor, MediaFetch media, CancellationToken cancellationToken)
    {
        var form = await ReadFormAsync(http.Request, cancellationToken);
        var app = await Open311Access.CallerAsync(http, Open311Fields.Text(form, Open311Access.KeyField) ?? http.Request.Query[Open311Access.KeyField]);
        var filing = new FileOrder.Command(Open311Fields.Filing(form), app);
        // The report's fields and the reporter's are checked before any photo is fetched or decoded.
        await new FileOrder.Validator().ValidateAndThrowAsync(filing, cancellationToken);
        _ = Open311Fields.Reporter(form, Guid.Empty, app);
        var photos = await PhotosAsync(form, processor, media, cancellationToken);
        var order = await mediator.Send(new Command(filing, photos, form), cancellationToken);
        return Open311Wire.Answer(Open311Wire.FormatOf(http.Request.Path), new Open311List("service_requests",
        [
            new Open311Branch("request",
            [
                new Open311Leaf("service_request_id", order.Code),
                new Open311Leaf("service_notice", $"已受理，编号 {order.Code}：社区将吹哨派给责任部门。Filed as {order.Code}; the community will whistle it to the department responsible."),
            ]),
        ]));
    }

    /// <summary>The photos a report or an update carries: the multipart's files (any part name) and the one media_url names.</summary>
    internal static async Task<IReadOnlyList<ProcessedPhoto>> PhotosAsync(
        IFormCollection form, PhotoProcessor processor, MediaFetch media, CancellationToken cancellationToken)
    {
        var uploads = new List<(byte[] Bytes, string Field)>();
        foreach (var file in form.Files)
        {
            using var bytes = new MemoryStream((int)file.Length);
            await file.CopyToAsync(bytes, cancellationToken);
            if (bytes.Length == 0)
            {
                throw new Open311Exception(StatusCodes.Status400BadRequest, $"{file.Name}: the file is empty.");
            }
            uploads.Add((bytes.ToArray(), file.Name));
        }
        if (Open311Fields.Text(form, "media_url") is { } url)
        {
            uploads.Add((await media.FetchAsync(url, cancellationToken), "media_url"));
        }
        if (uploads.Count > Photo.MaxPerOrder)
        {
            throw new Open311Exception(StatusCodes.Status400BadRequest, $"At most {Photo.MaxPerOrder} photos in one request; {uploads.Count} were sent.");
        }
        var processed = new List<ProcessedPhoto>(uploads.Count);
        foreach (var (bytes, field) in uploads)
        {
            processed.Add(await processor.ProcessAsync(bytes, field, cancellationToken));
        }
        return processed;
    }

    /// <summary>The form, url-encoded as the spec says or multipart with photos as mySociety's extension does; anything else 400.</summary>
    internal static async Task<IFormCollection> ReadFormAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!request.HasFormContentType)
        {
            throw new Open311Exception(StatusCodes.Status400BadRequest,
                "Send the fields as application/x-www-form-urlencoded, or multipart/form-data with photos.");
        }
        try
        {
            return await request.ReadFormAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is InvalidDataException or InvalidOperationException or IOException && exception is not BadHttpRequestException)
        {
            throw new Open311Exception(StatusCodes.Status400BadRequest, "The form body is malformed: " + exception.Message);
        }
    }

    private static async Task<IResult> ListAsync(HttpContext http, WhistleDbContext db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var query = http.Request.Query;
        var app = await Open311Access.CallerAsync(http, query[Open311Access.KeyField]);
        var orders = db.OwnOrders(app);
        if (List(query["service_request_id"]) is { Count: > 0 } ids)
        {
            // The spec: with ids, the other filters do not apply.
            var numbers = ids.Select(id => OrderCode.TryParse(id, out var n) ? n : -1).ToList();
            orders = orders.Where(o => numbers.Contains(o.Number));
        }
        else
        {
            var end = Date(query["end_date"], "end_date");
            var start = Date(query["start_date"], "start_date");
            var (from, to) = Window(start, end, clock.GetUtcNow());
            orders = orders.Where(o => o.FiledAt >= from && o.FiledAt <= to);
            if (List(query["service_code"]) is { Count: > 0 } codes)
            {
                orders = orders.Where(o => codes.Contains(o.CategoryCode));
            }
            if (List(query["status"]) is { Count: > 0 } statuses)
            {
                if (statuses.FirstOrDefault(s => s is not ("open" or "closed")) is { } unknown)
                {
                    throw new Open311Exception(StatusCodes.Status400BadRequest, $"status '{unknown}' is not open or closed.");
                }
                var states = statuses.SelectMany(Open311Status.StatesOf).ToList();
                orders = orders.Where(o => states.Contains(o.State));
            }
        }
        var found = await orders.OrderByDescending(o => o.Number).Take(MaxRequests).ToListAsync(cancellationToken);
        return await AnswerAsync(http, db, found, cancellationToken);
    }

    private static async Task<IResult> GetAsync(string id, HttpContext http, WhistleDbContext db, CancellationToken cancellationToken)
    {
        var app = await Open311Access.CallerAsync(http, http.Request.Query[Open311Access.KeyField]);
        var order = OrderCode.TryParse(id, out var number)
            ? await db.OwnOrders(app).SingleOrDefaultAsync(o => o.Number == number, cancellationToken)
            : null;
        return order is null
            ? throw new Open311Exception(StatusCodes.Status404NotFound, $"No request '{id}' filed by this app.")
            : await AnswerAsync(http, db, [order], cancellationToken);
    }

    private static async Task<IResult> AnswerAsync(HttpContext http, WhistleDbContext db, IReadOnlyList<Order> orders, CancellationToken cancellationToken)
    {
        var zone = Open311Endpoints.Zone(http);
        var categories = await db.Categories.AsNoTracking().ToDictionaryAsync(c => c.Code, c => c.Name, cancellationToken);
        var departments = await db.Departments.AsNoTracking().ToDictionaryAsync(d => d.Code, d => d.Name, cancellationToken);
        return Open311Wire.Answer(Open311Wire.FormatOf(http.Request.Path), new Open311List("service_requests", orders.Select(o =>
        {
            var status = Open311Status.Of(o.State, o.CancelReason);
            return (Open311Node)new Open311Branch("request",
            [
                new Open311Leaf("service_request_id", OrderCode.Format(o.Number)),
                new Open311Leaf("status", status.Basic),
                new Open311Leaf("status_notes", o.Result ?? o.ReturnReason),
                new Open311Leaf("service_name", categories.GetValueOrDefault(o.CategoryCode, o.CategoryCode)),
                new Open311Leaf("service_code", o.CategoryCode),
                new Open311Leaf("description", o.Description),
                new Open311Leaf("agency_responsible", o.DepartmentCode is { } d ? departments.GetValueOrDefault(d, d) : null),
                new Open311Leaf("requested_datetime", Open311Wire.Time(o.FiledAt, zone)),
                new Open311Leaf("updated_datetime", Open311Wire.Time(UpdatedAt(o), zone)),
                new Open311Leaf("expected_datetime", o.ResolveBy is { } by && status.Basic == "open" ? Open311Wire.Time(by, zone) : null),
                new Open311Leaf("address", o.Location.Address),
                new Open311Leaf("lat", Open311Wire.Number(o.Location.Latitude), Open311Kind.Number),
                new Open311Leaf("long", Open311Wire.Number(o.Location.Longitude), Open311Kind.Number),
            ]);
        }).ToList()));
    }

    /// <summary>The order's latest milestone.</summary>
    private static DateTimeOffset UpdatedAt(Order o) => new[]
    {
        o.FiledAt, o.WhistledAt, o.AcknowledgedAt, o.ReturnedAt, o.ResolvedAt, o.EvaluatedAt, o.ClosedAt, o.HandledLocallyAt,
        o.CancelledAt, o.MergedAt, o.LastEscalatedAt,
    }.Max(at => at ?? DateTimeOffset.MinValue);

    internal static List<string> List(string? text) =>
        (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    /// <summary>A W3C date-time (with an offset, or Z); a date alone means its midnight in UTC, as clients send it.</summary>
    internal static DateTimeOffset? Date(string? text, string field)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at
            : throw new Open311Exception(StatusCodes.Status400BadRequest, $"{field} '{text}' is not a W3C date-time (2026-03-02T09:00:00+08:00).");
    }
}
