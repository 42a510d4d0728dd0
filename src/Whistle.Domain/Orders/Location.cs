namespace Whistle.Domain.Orders;

/// <summary>Where the problem is: the phone's GPS fix and a street address people can read.</summary>
public sealed record Location(double Latitude, double Longitude, string? Address);
