using System.Net;
using Whistle.Api.Features.Geo;
using Whistle.Api.Tests.Infrastructure;
using Whistle.Domain.Geo;

namespace Whistle.Api.Tests.Geo;

public sealed record PlacedLocation(double Latitude, double Longitude, string? Address, string CoordinateSystem);

public sealed record Duplicate(Guid Id, string Code, double DistanceMeters, string State, string CategoryCode, DateTimeOffset FiledAt);

/// <summary>An order as the geo features show it: where it is, its possible duplicates, what it was merged into.</summary>
public sealed record PlacedOrder(
    Guid Id, string Code, string State, string GridCode, string CommunityCode, string CategoryCode, PlacedLocation Location,
    Duplicate[]? PossibleDuplicates, Guid? MergedInto, int Version, string[] AllowedActions);

public sealed record Nearby(NearbyItem[] Items);

public sealed record NearbyItem(double DistanceMeters, PlacedOrder Order);

public static class GeoSteps
{
    /// <summary>Metres north or east as degrees near Hohhot.</summary>
    public static LatLon Moved(this LatLon from, double northMetres, double eastMetres = 0) => new(
        from.Latitude + northMetres / 111_195.0,
        from.Longitude + eastMetres / (111_195.0 * Math.Cos(from.Latitude * Math.PI / 180)));

    public static LatLon CentreOf(string grid)
    {
        var cell = BuiltInBoundaries.Grids[grid];
        var (latitude, longitude) = cell.At(0.5, 0.5);
        return new LatLon(latitude, longitude);
    }

    public static Dictionary<string, object?> ByPosition(LatLon at, string category = "garbage", string? system = null)
    {
        var body = Filing.Valid(category);
        body.Remove("gridCode");
        body["location"] = new Dictionary<string, object?>
        {
            ["latitude"] = at.Latitude,
            ["longitude"] = at.Longitude,
            ["address"] = "By the gate",
            ["coordinateSystem"] = system,
        };
        return body;
    }

    public static async Task<PlacedOrder> FileAt(this HttpClient client, LatLon at, string category = "garbage", string? system = null)
    {
        var response = await client.Post("/api/v1/orders", ByPosition(at, category, system));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await response.Read<PlacedOrder>();
    }
}
