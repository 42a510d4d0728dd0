using Microsoft.Extensions.Configuration;
using Whistle.Api.Infrastructure;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests;

/// <summary>
/// The README's configuration table holds for its own run command: http://localhost:5080 when nothing
/// is configured, and whatever is configured (ASPNETCORE_URLS, --urls, ports, Kestrel endpoints) otherwise.
/// That ASPNETCORE_URLS is obeyed by the real process: <see cref="Readme.ReadmeTests"/> starts the service with it.
/// </summary>
public class ListenAddressTests
{
    [Fact]
    public void With_nothing_configured_the_service_listens_on_localhost_5080() =>
        Assert.Equal("http://localhost:5080", ListenAddress.DefaultUnlessConfigured(new ConfigurationBuilder().Build()));

    [Theory]
    [InlineData("urls", "http://0.0.0.0:9000")] // ASPNETCORE_URLS, DOTNET_URLS, --urls
    [InlineData("http_ports", "8080")] // ASPNETCORE_HTTP_PORTS, as the container image sets it
    [InlineData("https_ports", "8443")]
    [InlineData("Kestrel:Endpoints:Http:Url", "http://127.0.0.1:9001")]
    public void Any_configured_address_wins_over_the_default(string key, string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();

        Assert.Null(ListenAddress.DefaultUnlessConfigured(configuration));
    }

    [Fact]
    public void No_launch_profile_overrides_the_environment_under_dotnet_run()
    {
        // dotnet run applies a profile's applicationUrl and environmentVariables over the caller's environment,
        // which is how ASPNETCORE_URLS=… dotnet run once still listened on 5080.
        var settings = Path.Combine(Repository.Root, "src", "Whistle.Api", "Properties", "launchSettings.json");
        if (File.Exists(settings))
        {
            var text = File.ReadAllText(settings);
            Assert.DoesNotContain("applicationUrl", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("environmentVariables", text, StringComparison.OrdinalIgnoreCase);
        }
    }
}
