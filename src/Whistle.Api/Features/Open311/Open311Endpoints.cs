using Microsoft.Extensions.Options;

namespace Whistle.Api.Features.Open311;

/// <summary>
/// Open311 GeoReport v2 under <c>/open311/v2/</c>, each resource as <c>.xml</c> (the spec's required form) and <c>.json</c>,
/// with mySociety's extensions as FixMyStreet uses them. The discovery and the services are public; requests and updates
/// take a reporting app's <c>api_key</c> (<see cref="Open311Access"/>). docs/open311.md walks through it.
/// </summary>
public static class Open311Endpoints
{
    public const string Root = "/open311/v2";
    public static readonly string[] Formats = ["xml", "json"];

    /// <summary>When this endpoint's Open311 surface last changed (the discovery's changeset).</summary>
    private const string Changeset = "2026-12-07T00:00:00+08:00";

    public static void MapOpen311(this IEndpointRouteBuilder app)
    {
        GetReporter.Map(app);
        // Described by hand (Open311Document): XML bodies and Open311's errors are not what the generator knows.
        var open311 = app.MapGroup(Root).ExcludeFromDescription().AllowAnonymous();
        foreach (var format in Formats)
        {
            open311.MapGet($"/discovery.{format}", Discovery);
            open311.MapGet($"/services.{format}", Services);
            open311.MapGet($"/services/{{code}}.{format}", Definition);
            Open311Requests.Map(open311, format);
            Open311Updates.Map(open311, format);
        }
        // Anything else under the root is Open311's 404, not the API's problem.
        open311.Map("/{**rest}", (HttpContext http) =>
            throw new Open311Exception(StatusCodes.Status404NotFound, $"No Open311 resource at {http.Request.Path}; see {Root}/discovery.xml."));
    }

    private static IResult Discovery(HttpContext http)
    {
        var url = $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}{Root}/";
        return Open311Wire.Answer(Open311Wire.FormatOf(http.Request.Path), new Open311Branch("discovery",
        [
            new Open311Leaf("changeset", Changeset),
            new Open311Leaf("contact", "The district's operations desk (区指挥中心). Keys for reporting apps: an admin creates a reporting-app credential."),
            new Open311Leaf("key_service", "Ask the district's operations desk for a reporting-app API key."),
            new Open311List("endpoints",
            [
                new Open311Branch("endpoint",
                [
                    new Open311Leaf("specification", "http://wiki.open311.org/GeoReport_v2"),
                    new Open311Leaf("url", url),
                    new Open311Leaf("changeset", Changeset),
                    new Open311Leaf("type", "production"),
                    new Open311List("formats", [new Open311Leaf("format", "text/xml"), new Open311Leaf("format", "application/json")]),
                ]),
            ]),
        ]));
    }

    /// <summary>The district's categories: retired ones too, marked <c>inactive</c> (a FixMyStreet client deletes a service missing from the list).</summary>
    private static async Task<IResult> Services(HttpContext http, WhistleDbContext db, CancellationToken cancellationToken)
    {
        var categories = await db.Categories.AsNoTracking().OrderBy(c => c.Code).ToListAsync(cancellationToken);
        var departments = await db.Departments.AsNoTracking().ToDictionaryAsync(d => d.Code, d => d.Name, cancellationToken);
        return Open311Wire.Answer(Open311Wire.FormatOf(http.Request.Path), new Open311List("services", categories.Select(c =>
        {
            // Grouped by the department the duty catalogue sends the category to.
            var group = departments.GetValueOrDefault(c.DepartmentCode, c.DepartmentCode);
            return (Open311Node)new Open311Branch("service",
            [
                new Open311Leaf("service_code", c.Code),
                new Open311Leaf("service_name", c.Name),
                new Open311Leaf("description", c.Name),
                new Open311Leaf("metadata", "true", Open311Kind.Boolean),
                new Open311Leaf("type", "realtime"),
                new Open311Leaf("keywords", c.RetiredAt is null ? null : "inactive"),
                new Open311Leaf("group", group),
                new Open311List("groups", [new Open311Leaf("group", group)]),
            ]);
        }).ToList()));
    }

    private static async Task<IResult> Definition(string code, HttpContext http, WhistleDbContext db, CancellationToken cancellationToken)
    {
        var category = await db.Categories.AsNoTracking().SingleOrDefaultAsync(c => c.Code == code, cancellationToken)
            ?? throw new Open311Exception(StatusCodes.Status404NotFound, $"No service has the code '{code}'.");
        var order = 0;
        return Open311Wire.Answer(Open311Wire.FormatOf(http.Request.Path), new Open311Branch("service_definition",
        [
            new Open311Leaf("service_code", category.Code),
            new Open311List("attributes", Open311Fields.Attributes.Select(a => (Open311Node)new Open311Branch("attribute",
            [
                new Open311Leaf("variable", "true", Open311Kind.Boolean),
                new Open311Leaf("code", a.Code),
                new Open311Leaf("datatype", a.Values.Count > 0 ? "singlevaluelist" : "string"),
                new Open311Leaf("required", "false", Open311Kind.Boolean),
                new Open311Leaf("datatype_description", a.DatatypeDescription),
                new Open311Leaf("order", (++order).ToString(System.Globalization.CultureInfo.InvariantCulture), Open311Kind.Number),
                new Open311Leaf("description", a.Description),
                new Open311List("values", a.Values.Select(v => (Open311Node)new Open311Branch("value",
                    [new Open311Leaf("key", v.Key), new Open311Leaf("name", v.Name)])).ToList(), Optional: true),
            ])).ToList()),
        ]));
    }

    internal static TimeZoneInfo Zone(HttpContext http) => http.RequestServices.GetRequiredService<IOptions<WhistleOptions>>().Value.Zone;
}
