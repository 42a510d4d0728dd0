namespace Whistle.Api.Infrastructure;

/// <summary>
/// Where the service listens when nothing says otherwise: the README's http://localhost:5080. Decided
/// here rather than in a launch profile, whose applicationUrl would win over ASPNETCORE_URLS under
/// <c>dotnet run</c>; any address configured the usual ways wins over this default.
/// </summary>
public static class ListenAddress
{
    public const string Default = "http://localhost:5080";

    /// <summary>
    /// The default, or null when an address is configured: <c>urls</c> (ASPNETCORE_URLS, DOTNET_URLS,
    /// <c>--urls</c>), <c>http_ports</c>/<c>https_ports</c> (ASPNETCORE_HTTP_PORTS, as the container image
    /// sets) or Kestrel endpoints.
    /// </summary>
    public static string? DefaultUnlessConfigured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["urls"])
        || !string.IsNullOrWhiteSpace(configuration["http_ports"])
        || !string.IsNullOrWhiteSpace(configuration["https_ports"])
        || configuration.GetSection("Kestrel:Endpoints").Exists()
            ? null
            : Default;
}
