using System.Net;
using System.Net.Sockets;

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

    /// <summary>
    /// The first address in <c>urls</c> (or the default) that another program already listens on, when
    /// <paramref name="server"/> is Kestrel; null when all are free or the addresses are given another way
    /// (ports, Kestrel endpoints, a host name), which Kestrel checks itself as it starts.
    /// </summary>
    public static string? FirstInUse(Microsoft.AspNetCore.Hosting.Server.IServer server, IConfiguration configuration)
    {
        if (server.GetType().Assembly != typeof(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServer).Assembly)
        {
            return null;
        }
        var urls = DefaultUnlessConfigured(configuration) ?? configuration["urls"];
        foreach (var url in (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            BindingAddress address;
            try
            {
                address = BindingAddress.Parse(url);
            }
            catch (FormatException)
            {
                continue;
            }
            var ip = address.Host switch
            {
                "localhost" => IPAddress.Loopback,
                "*" or "+" => IPAddress.Any,
                var host => IPAddress.TryParse(host.Trim('[', ']'), out var parsed) ? parsed : null,
            };
            if (ip is null || address.IsUnixPipe || address.Port == 0)
            {
                continue;
            }
            using var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            // As Kestrel binds: a port left in TIME_WAIT by a service just stopped is free; one listened on is not.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            try
            {
                socket.Bind(new IPEndPoint(ip, address.Port));
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                return url;
            }
            catch (SocketException)
            {
                // Not an address of this machine, or not ours to take: Kestrel will say.
            }
        }
        return null;
    }

    /// <summary>The one line a busy address gets, instead of the host's stack traces.</summary>
    public static string InUseMessage(string url) =>
        $"Cannot listen on {url}: another program (perhaps another Whistle) is using it. Stop it, or choose another port: --urls http://localhost:5081 (or ASPNETCORE_URLS=http://localhost:5081).";
}
