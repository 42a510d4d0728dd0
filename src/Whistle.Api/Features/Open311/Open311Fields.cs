using System.Globalization;
using FluentValidation.Results;
using Whistle.Api.Features.Orders;
using Whistle.Domain.Geo;

namespace Whistle.Api.Features.Open311;

/// <summary>
/// What an Open311 filing's fields mean to Whistle: <c>service_code</c> the category, <c>lat</c>/<c>long</c> the position
/// that finds the grid, <c>description</c> the text, <c>attribute[…]</c> per the service definition, and the reporter's
/// fields kept for the desk (<see cref="OrderReporter"/>). Field errors name Open311's fields, not the native API's.
/// </summary>
public static class Open311Fields
{
    public sealed record Value(string Key, string Name);

    public sealed record Attribute(string Code, string Description, string? DatatypeDescription, IReadOnlyList<Value> Values);

    /// <summary>The attributes every service definition offers (all optional).</summary>
    public static readonly IReadOnlyList<Attribute> Attributes =
    [
        new("title", "标题 Title: a short headline; without it, the description's first line (up to 200 characters).", "Up to 200 characters.", []),
        new("priority", "紧急程度 Priority: urgent gets the category's shorter deadlines.", null,
            [new("normal", "一般 normal"), new("urgent", "紧急 urgent")]),
        new("coordinate_system", "坐标系 What lat and long are in: wgs84 (GPS, the default), gcj02 (Amap, Tencent) or bd09 (Baidu).", null,
            [new("wgs84", "WGS 84 (GPS)"), new("gcj02", "GCJ-02 (高德, 腾讯)"), new("bd09", "BD-09 (百度)")]),
    ];

    /// <summary>A native field's name as Open311 calls it, for error messages.</summary>
    public static string WireName(string field) => field switch
    {
        "categoryCode" => "service_code",
        "description" => "description",
        "title" => "attribute[title]",
        "priority" => "attribute[priority]",
        "location.latitude" => "lat",
        "location.longitude" => "long",
        "location.address" => "address_string",
        "location.coordinateSystem" => "attribute[coordinate_system]",
        "gridCode" => "lat",
        "file" or "photos" => "media",
        _ => field,
    };

    /// <summary>The native filing an Open311 form stands for (checked by the native validator after).</summary>
    public static FileOrder.Request Filing(IFormCollection form)
    {
        var failures = new List<ValidationFailure>();
        var description = Text(form, "description");
        var address = Text(form, "address_string");
        var latitude = Coordinate(form, "lat", failures);
        var longitude = Coordinate(form, "long", failures);
        if (latitude is null && longitude is null)
        {
            failures.Add(new("lat", address is null
                ? "lat and long are required: Whistle places a report by its position."
                : "address_string alone is not enough: Whistle places a report by its position, so send lat and long (WGS 84 unless attribute[coordinate_system] says otherwise)."));
        }
        var priority = Choice<Priority>(form, "priority", failures);
        var system = Choice<CoordinateSystem>(form, "coordinate_system", failures);
        if (failures.Count > 0)
        {
            throw new ValidationException(failures);
        }
        var title = Text(form, "attribute[title]") ?? FirstLine(description);
        return new FileOrder.Request(title, description, Text(form, "service_code"),
            new FileOrder.LocationRequest(latitude, longitude, address, system), GridCode: null, priority);
    }

    /// <summary>The reporter's fields (FixMyStreet sends <c>deviceid</c> for <c>device_id</c>), checked for length.</summary>
    public static OrderReporter Reporter(IFormCollection form, Guid orderId, Caller app)
    {
        var failures = new List<ValidationFailure>();
        string? Field(string name, int length, string? alias = null)
        {
            var value = Text(form, name) ?? (alias is null ? null : Text(form, alias));
            if (value?.Length > length)
            {
                failures.Add(new(name, $"At most {length} characters."));
            }
            return value;
        }
        var reporter = new OrderReporter
        {
            OrderId = orderId,
            FiledVia = app.Actor.Id!,
            Email = Field("email", OrderReporter.EmailLength),
            FirstName = Field("first_name", OrderReporter.NameLength),
            LastName = Field("last_name", OrderReporter.NameLength),
            Phone = Field("phone", OrderReporter.PhoneLength),
            DeviceId = Field("device_id", OrderReporter.IdLength, alias: "deviceid"),
            AccountId = Field("account_id", OrderReporter.IdLength),
        };
        if (reporter.Email is { } email && !email.Contains('@', StringComparison.Ordinal))
        {
            failures.Add(new("email", "Not an e-mail address."));
        }
        return failures.Count > 0 ? throw new ValidationException(failures) : reporter;
    }

    public static string? Text(IFormCollection form, string name) =>
        form[name].ToString().Trim() is { Length: > 0 } text ? text : null;

    private static string? FirstLine(string? description) =>
        description?.Split('\n', 2)[0].Trim() is { Length: > 0 } line ? (line.Length > 200 ? line[..200] : line) : null;

    private static double? Coordinate(IFormCollection form, string name, List<ValidationFailure> failures)
    {
        if (Text(form, name) is not { } text)
        {
            return null;
        }
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value))
        {
            return value;
        }
        failures.Add(new(name, $"'{text}' is not a number of degrees."));
        return null;
    }

    private static T? Choice<T>(IFormCollection form, string attribute, List<ValidationFailure> failures) where T : struct, Enum
    {
        var field = $"attribute[{attribute}]";
        if (Text(form, field) is not { } text)
        {
            return null;
        }
        if (Whistle.Domain.Orders.WireName.TryParse<T>(text, out var value))
        {
            return value;
        }
        failures.Add(new(field, $"One of: {string.Join(", ", Whistle.Domain.Orders.WireName.All<T>())}."));
        return null;
    }
}
