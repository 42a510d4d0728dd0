using System.Net;
using System.Net.Sockets;

namespace Whistle.Api.Features.Webhooks;

/// <summary>
/// Where deliveries may connect. A subscriber chooses the URL, so without a check a department's key
/// could make the service POST into the district's own network (the database host, a cloud metadata
/// endpoint). Checked when connecting, after DNS, so a name that resolves inside cannot slip through.
/// </summary>
public static class WebhookAddresses
{
    /// <summary>A connect callback that refuses loopback, private, link-local and other non-public addresses unless allowed.</summary>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> ConnectCallback(Func<bool> allowPrivate) =>
        async (context, cancellationToken) =>
        {
            var host = context.DnsEndPoint.Host;
            var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
            var allowed = allowPrivate() ? addresses : addresses.Where(IsPublic).ToArray();
            if (allowed.Length == 0)
            {
                throw new HttpRequestException(
                    $"'{host}' resolves only to addresses deliveries may not reach (loopback, private or link-local); " +
                    "set Whistle:Webhooks:AllowPrivateAddresses to deliver inside the network.");
            }
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };

    /// <summary>Whether an address lies on the public internet (not loopback, private, link-local, shared, multicast or unspecified).</summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)
            || address.Equals(IPAddress.Broadcast) || address.Equals(IPAddress.IPv6None))
        {
            return false;
        }
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] == 10 || b[0] == 0 || b[0] >= 224                  // private, "this network", multicast and reserved
                || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)                  // private
                || (b[0] == 192 && b[1] == 168)                               // private
                || (b[0] == 169 && b[1] == 254)                               // link-local, cloud metadata
                || (b[0] == 100 && b[1] >= 64 && b[1] <= 127));               // carrier-grade NAT
        }
        return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || address.IsIPv6UniqueLocal);
    }
}
