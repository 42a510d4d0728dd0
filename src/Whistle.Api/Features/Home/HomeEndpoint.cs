namespace Whistle.Api.Features.Home;

/// <summary>
/// <c>GET /</c>: where a person who opens the service's address goes next, instead of a bare 401. Public,
/// and it says nothing the documentation does not: no version, no configuration.
/// </summary>
public static class HomeEndpoint
{
    /// <param name="Name">The service.</param>
    /// <param name="Links">Where to go: the API's documentation and document, the dashboard, the field app, readiness.</param>
    public sealed record Home(string Name, IReadOnlyDictionary<string, string> Links);

    private static readonly Home Answer = new("Whistle", new Dictionary<string, string>
    {
        ["api"] = "/swagger",
        ["openapi"] = "/openapi/v1.json",
        ["dashboard"] = "/dashboard",
        ["app"] = "/app/",
        ["health"] = "/health/ready",
    });

    public static void MapHome(this IEndpointRouteBuilder app) =>
        app.MapGet("/", () => TypedResults.Ok(Answer)).ExcludeFromDescription().AllowAnonymous();
}
