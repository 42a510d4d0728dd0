using FluentValidation.Results;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Whistle.Api.Features.Geo;
using Whistle.Domain.Geo;

namespace Whistle.Api.Features.Orders;

/// <summary>A grid worker files an order for a problem found in a grid (社区发现).</summary>
public static class FileOrder
{
    /// <param name="Title">A short headline, up to 200 characters.</param>
    /// <param name="Description">What is wrong and where, up to 4,000 characters.</param>
    /// <param name="CategoryCode">The kind of problem; its duty catalogue entry routes the whistle and sets the deadlines.</param>
    /// <param name="GridCode">The grid where the problem is; it places the order in its community and street. Optional: without it
    /// the grid whose boundary contains the location is taken (a location in no grid is a 400 naming the nearest grid and its distance).</param>
    /// <param name="Location">Where exactly: the phone's position and an address.</param>
    /// <param name="Priority">normal (the default) or urgent, which gets the category's shorter deadlines.</param>
    /// <param name="SameProblemAs">The order (id or WS- code) the reporter says this repeats, chosen among the possible duplicates
    /// shown before filing. The filing still goes in, naming it (sameProblemAs), so the community can merge the two. It must be an
    /// order the caller can see.</param>
    public sealed record Request(
        string? Title, string? Description, string? CategoryCode, LocationRequest? Location, string? GridCode = null, Priority? Priority = null,
        string? SameProblemAs = null);

    /// <param name="Latitude">Degrees, -90 to 90, in coordinateSystem.</param>
    /// <param name="Longitude">Degrees, -180 to 180, in coordinateSystem.</param>
    /// <param name="Address">A street address people can read, up to 500 characters.</param>
    /// <param name="CoordinateSystem">What the latitude and longitude are in: wgs84 (GPS, the default), gcj02 (Amap, Tencent)
    /// or bd09 (Baidu). Whistle converts to WGS 84 and stores that.</param>
    public sealed record LocationRequest(double? Latitude, double? Longitude, string? Address = null, CoordinateSystem? CoordinateSystem = null);

    public sealed record Command(Request Order, Caller Caller) : ICommand<OrderResponse>;

    public sealed class Validator : AbstractValidator<Command>
    {
        public Validator()
        {
            RuleFor(c => c.Order.Title).NotEmpty().MaximumLength(200).OverridePropertyName("title");
            RuleFor(c => c.Order.Description).NotEmpty().MaximumLength(4000).OverridePropertyName("description");
            RuleFor(c => c.Order.CategoryCode).NotEmpty().MaximumLength(50).OverridePropertyName("categoryCode");
            // Optional: the location (always required) then finds the grid.
            RuleFor(c => c.Order.GridCode).NotEmpty().MaximumLength(50).When(c => c.Order.GridCode is not null).OverridePropertyName("gridCode");
            RuleFor(c => c.Order.Location).NotNull().OverridePropertyName("location");
            When(c => c.Order.Location is not null, () =>
            {
                RuleFor(c => c.Order.Location!.Latitude).NotNull().InclusiveBetween(-90, 90).OverridePropertyName("location.latitude");
                RuleFor(c => c.Order.Location!.Longitude).NotNull().InclusiveBetween(-180, 180).OverridePropertyName("location.longitude");
                RuleFor(c => c.Order.Location!.Address).MaximumLength(500).OverridePropertyName("location.address");
                RuleFor(c => c.Order.Location!.CoordinateSystem).IsInEnum().OverridePropertyName("location.coordinateSystem");
            });
            RuleFor(c => c.Order.Priority).IsInEnum().OverridePropertyName("priority");
            RuleFor(c => c.Order.SameProblemAs).NotEmpty().MaximumLength(100).When(c => c.Order.SameProblemAs is not null)
                .OverridePropertyName("sameProblemAs");
        }
    }

    public sealed class Handler(WhistleDbContext db, ReferenceCache reference, TimeProvider clock, IOptions<GeoOptions> geo)
        : ICommandHandler<Command, OrderResponse>
    {
        public async ValueTask<OrderResponse> Handle(Command command, CancellationToken cancellationToken)
        {
            var order = await FileAsync(command, cancellationToken);
            return await SaveWithPossibleDuplicatesAsync(order, command.Caller, cancellationToken);
        }

        /// <summary>
        /// Saves the filing; its answer names the open orders nearby that may be the same problem (never blocking),
        /// searched in the insert's own round trip.
        /// </summary>
        internal async Task<OrderResponse> SaveWithPossibleDuplicatesAsync(Order order, Caller caller, CancellationToken cancellationToken)
        {
            var search = PossibleDuplicates.Near(db, order, caller, geo.Value);
            var filed = await OrderStore.SaveAsync(db, order, cancellationToken, search);
            return filed with { PossibleDuplicates = search.Found };
        }

        /// <summary>The new order, checked against the reference data and the caller's grids, not yet saved (photos may join it).</summary>
        internal async Task<Order> FileAsync(Command command, CancellationToken cancellationToken)
        {
            var request = command.Order;
            var location = request.Location!;
            // Stored in WGS 84 whatever the phone's map spoke.
            var wgs = ChineseCoordinates.ToWgs84(
                new LatLon(location.Latitude!.Value, location.Longitude!.Value), location.CoordinateSystem ?? CoordinateSystem.Wgs84);
            var category = await reference.CategoryAsync(db, request.CategoryCode!, cancellationToken);
            var gridCode = request.GridCode ?? await Locating.GridForFilingAsync(db, wgs, cancellationToken);
            var placed = await reference.GridAsync(db, gridCode, cancellationToken);
            var unknown = new List<ValidationFailure>();
            if (category is null)
            {
                unknown.Add(new("categoryCode", $"No category has the code '{request.CategoryCode}'."));
            }
            if (placed is null)
            {
                unknown.Add(new("gridCode", $"No grid has the code '{request.GridCode}'."));
            }
            // A retired entry keeps the orders it has but takes no new ones.
            if (category?.RetiredAt is not null)
            {
                unknown.Add(new("categoryCode", $"The category '{request.CategoryCode}' is retired: it takes no new orders."));
            }
            if (placed?.Grid.RetiredAt is not null)
            {
                unknown.Add(new("gridCode", $"The grid '{request.GridCode}' is retired: it takes no new orders."));
            }
            var sameProblemAs = request.SameProblemAs is { } key ? await SameProblemAsAsync(key, command.Caller, cancellationToken) : null;
            if (request.SameProblemAs is not null && sameProblemAs is null)
            {
                // One answer for an order that does not exist and one out of the caller's scope: no way to probe for orders.
                unknown.Add(new("sameProblemAs", $"No order you can see has the id or code '{request.SameProblemAs}'."));
            }
            if (unknown.Count > 0)
            {
                throw new ValidationException(unknown);
            }

            if (!AccessPolicy.MayFileIn(command.Caller, placed!.Grid.Code, placed.Community.Code))
            {
                throw new ForbiddenException($"This credential files orders only in its own grids or community, not in grid '{placed.Grid.Code}'.");
            }

            return Order.File(
                Guid.CreateVersion7(), request.Title!.Trim(), request.Description!.Trim(), category!, placed!.Grid, placed.Community,
                new Location(wgs.Latitude, wgs.Longitude, location.Address?.Trim()),
                request.Priority ?? Priority.Normal, command.Caller.Actor, clock.Now(), sameProblemAs);
        }

        /// <summary>The order the filing names as the same problem, if it exists and the caller can see it.</summary>
        private async Task<Order?> SameProblemAsAsync(string key, Caller caller, CancellationToken cancellationToken) =>
            Guid.TryParse(key, out _) || OrderCode.TryParse(key, out _)
                ? await db.Orders.AsNoTracking().WhereKey(key).Visible(caller).SingleOrDefaultAsync(cancellationToken)
                : null;
    }

    internal static void Map(RouteGroupBuilder orders) =>
        orders.MapPost("/", async Task<Created<OrderResponse>> (
                Request request, IMediator mediator, HttpContext http, CancellationToken cancellationToken) =>
            {
                var caller = http.GetCaller();
                var order = await mediator.Send(new Command(request, caller), cancellationToken);
                http.Response.Headers.ETag = ETags.For(order.Version);
                return TypedResults.Created($"/api/v1/orders/{order.Id}", OrderEndpoints.ForCaller(caller, order));
            })
            .WithName("FileOrder")
            .WithSummary("File an order")
            .WithDescription(
                "A grid worker records a problem found in a grid. The order starts 'discovered': the community then " +
                "whistles it to a department or handles it locally. Unknown category or grid codes are 400. Without gridCode the " +
                "grid containing the location is taken (a location in no grid is 400, naming the nearest grid and its distance). " +
                "The answer names possibleDuplicates: unfinished orders of the same category near the location, filed lately, " +
                "that the caller can see (never blocking: the filing stands; a community or supervisor may merge them).")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .WithOrderETag(StatusCodes.Status201Created)
            .WithMetadata(new Features.Photos.MultipartFiling())
            .RequireOperation(Operation.FileOrder);
}
