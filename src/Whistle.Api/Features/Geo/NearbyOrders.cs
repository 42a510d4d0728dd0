using System.Globalization;
using Microsoft.OpenApi;
using NetTopologySuite.Geometries;
using Whistle.Api.Features.Orders;
using Whistle.Api.Persistence.Configurations;
using Whistle.Domain.Geo;

namespace Whistle.Api.Features.Geo;

/// <summary>
/// Orders near a point, nearest first: what a grid worker checks before filing, and what a
/// community looks at to find repeats. The list's scope and filters (<see cref="ListOrders.Matching"/>)
/// narrowed to a radius through the positions' GiST index.
/// </summary>
public static class NearbyOrders
{
    public const double DefaultRadius = 500, MaxRadius = 50_000;
    public const int DefaultLimit = 50, MaxLimit = 200;

    /// <param name="Items">Up to limit orders within the radius, nearest first.</param>
    public sealed record Response(IReadOnlyList<NearbyOrder> Items);

    /// <param name="DistanceMeters">From the point asked about, in metres (on the WGS 84 spheroid).</param>
    /// <param name="Order">The order, as GET shows it.</param>
    public sealed record NearbyOrder(double DistanceMeters, OrderResponse Order);

    public sealed record Query(
        string? Latitude, string? Longitude, string? Radius, string? CategoryCode, string? State, string? CoordinateSystem, string? Limit,
        Caller Caller) : IQuery<Response>;

    public sealed class Validator : AbstractValidator<Query>
    {
        public Validator()
        {
            RuleFor(q => q.Latitude).Must(v => Number(v) is >= -90 and <= 90)
                .WithMessage("'latitude' is required: degrees from -90 to 90.").OverridePropertyName("latitude");
            RuleFor(q => q.Longitude).Must(v => Number(v) is >= -180 and <= 180)
                .WithMessage("'longitude' is required: degrees from -180 to 180.").OverridePropertyName("longitude");
            RuleFor(q => q.Radius).Must(v => v is null || Number(v) is > 0 and <= MaxRadius)
                .WithMessage($"'radius' is metres, above 0 and at most {MaxRadius:0}.").OverridePropertyName("radius");
            RuleFor(q => q.Limit).Must(v => v is null || int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= MaxLimit)
                .WithMessage($"'limit' must be a whole number from 1 to {MaxLimit}.").OverridePropertyName("limit");
            RuleFor(q => q.State).Must(states => ListOrders.States(states) is not null)
                .WithMessage($"'state' takes one or more of {string.Join(", ", WireName.All<OrderState>())}, separated by commas.")
                .OverridePropertyName("state");
            RuleFor(q => q.CoordinateSystem).Must(v => v is null || WireName.TryParse<CoordinateSystem>(v, out _))
                .WithMessage($"'coordinateSystem' is one of {string.Join(", ", WireName.All<CoordinateSystem>())}.")
                .OverridePropertyName("coordinateSystem");
        }
    }

    public sealed class Handler(WhistleDbContext db, TimeProvider clock) : IQueryHandler<Query, Response>
    {
        private const int KnnMargin = 10;

        public async ValueTask<Response> Handle(Query query, CancellationToken cancellationToken)
        {
            var now = clock.GetUtcNow().ToUniversalTime();
            var system = Coordinates.Parse(query.CoordinateSystem);
            // The point is asked in the same system the answer is given in.
            var point = Locating.Point(ChineseCoordinates.ToWgs84(new LatLon(Number(query.Latitude)!.Value, Number(query.Longitude)!.Value), system));
            var radius = query.Radius is null ? DefaultRadius : Number(query.Radius)!.Value;
            var limit = query.Limit is null ? DefaultLimit : int.Parse(query.Limit, CultureInfo.InvariantCulture);
            var matching = ListOrders.Matching(db.Orders.AsNoTracking(),
                new ListOrders.Query(query.State, null, null, query.CategoryCode, null, null, null, null, null, query.Caller));
            // Nearest first: with many orders in the radius (100,000 within 5 km at a million) through the GiST
            // index's KNN order (<->: walked outwards, stopped once the page is full) rather than sorting them all;
            // with few, KNN would walk the whole index looking for rows that are not there, so those few are
            // read through the radius alone and sorted here. A bounded count tells which. <-> measures on the
            // sphere, the answer on the spheroid: a few candidates more, sorted exactly, decide near-ties.
            var within = matching.Where(o => EF.Property<Point>(o, PositionColumn.Property).IsWithinDistance(point, radius));
            var page = limit + KnnMargin;
            var many = await within.Take(page).CountAsync(cancellationToken) == page;
            var candidates = await (many
                    ? within.OrderBy(o => EF.Functions.DistanceKnn(EF.Property<Point>(o, PositionColumn.Property), point)).Take(page)
                    : within)
                .Select(o => new { Order = o, Distance = EF.Property<Point>(o, PositionColumn.Property).Distance(point) })
                .ToListAsync(cancellationToken);
            var near = candidates.OrderBy(x => x.Distance).ThenBy(x => x.Order.Number).Take(limit);
            return new Response(near.Select(x =>
            {
                var order = OrderEndpoints.ForCaller(query.Caller, OrderResponse.From(x.Order, now));
                return new NearbyOrder(Math.Round(x.Distance, 1),
                    system == Domain.Geo.CoordinateSystem.Wgs84 ? order : order with { Location = order.Location.In(system) });
            }).ToList());
        }
    }

    private static double? Number(string? text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && double.IsFinite(n) ? n : null;

    internal static void Map(RouteGroupBuilder orders) =>
        orders.MapGet("/nearby", async Task<Ok<Response>> (
                [Description("Degrees, in coordinateSystem."), DocumentedAs(JsonSchemaType.Number, Minimum = -90, Maximum = 90)] string? latitude,
                [Description("Degrees, in coordinateSystem."), DocumentedAs(JsonSchemaType.Number, Minimum = -180, Maximum = 180)] string? longitude,
                [Description("Metres, 500 by default, at most 50,000."), DocumentedAs(JsonSchemaType.Number, Default = "500")] string? radius,
                string? categoryCode,
                [Description("One or more states, comma-separated (whistled,acknowledged).")] string? state,
                [Description(Coordinates.ParameterDescription + " Also what latitude and longitude are given in."), DocumentedAs(JsonSchemaType.String, OneOf = typeof(CoordinateSystem))] string? coordinateSystem,
                [Description("At most this many, 1 to 200; 50 by default."), DocumentedAs(JsonSchemaType.Integer, Minimum = 1, Maximum = 200, Default = "50")] string? limit,
                IMediator mediator, HttpContext http, CancellationToken cancellationToken) =>
            {
                var caller = http.GetCaller();
                AccessPolicy.Ensure(caller, Operation.ReadOrders);
                return TypedResults.Ok(await mediator.Send(
                    new Query(latitude, longitude, radius, categoryCode, state, coordinateSystem, limit, caller), cancellationToken));
            })
            .WithName("ListNearbyOrders")
            .WithSummary("Orders near a point")
            .WithDescription("Orders within radius metres of the point, nearest first, with their distance; the same scope as the list " +
                "(a department's queue, a community's or grid worker's own orders, a supervisor's street) and its categoryCode and state filters.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden);
}
