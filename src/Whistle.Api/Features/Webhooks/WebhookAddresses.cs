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

    /// <summary>
    /// Whether an address lies on the public internet (not loopback, private, link-local, shared, benchmarking,
    /// multicast or unspecified). An IPv6 address that carries an IPv4 one (mapped, compatible, NAT64, 6to4)
    /// is judged by the IPv4 address it reaches; Teredo, documentation and discard prefixes are not public.
    /// </summary>
    public static bool IsPublic(IPAddress address)
    {
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)
            || address.Equals(IPAddress.Broadcast) || address.Equals(IPAddress.IPv6None))
        {
            return false;
        }
        if (Embedded(address) is { } inner)
        {
            return IsPublic(inner);
        }
        var b = address.GetAddressBytes();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return !(b[0] == 10 || b[0] == 0 || b[0] >= 224                  // private, "this network", multicast and reserved
                || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)                  // private
                || (b[0] == 192 && b[1] == 168)                               // private
                || (b[0] == 169 && b[1] == 254)                               // link-local, cloud metadata
                || (b[0] == 100 && b[1] >= 64 && b[1] <= 127)                 // carrier-grade NAT
                || (b[0] == 198 && b[1] is 18 or 19)                          // benchmarking (198.18.0.0/15)
                || (b[0] == 192 && b[1] == 0 && b[2] is 0 or 2)               // IETF protocol assignments, documentation
                || (b[0] == 198 && b[1] == 51 && b[2] == 100)                 // documentation
                || (b[0] == 203 && b[1] == 0 && b[2] == 113));                // documentation
        }
        return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || address.IsIPv6UniqueLocal
            || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0)                         // Teredo (2001::/32): a tunnel to anywhere
            || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)                   // documentation (2001:db8::/32)
            || (b[0] == 0x01 && b[1] == 0 && b.AsSpan(2, 6).IndexOfAnyExcept((byte)0) < 0)      // discard (100::/64)
            || (b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b));                    // NAT64 local use (64:ff9b:1::/48) and the rest of 64:ff9b::/32
    }

    /// <summary>The IPv4 address an IPv6 one carries and reaches: mapped (::ffff:a.b.c.d), compatible (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d), 6to4 (2002:aabb:ccdd::).</summary>
    private static IPAddress? Embedded(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return null;
        }
        var b = address.GetAddressBytes();
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }
        // ::/96 (:: and ::1 are refused before this is asked).
        if (b.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0)
        {
            return new IPAddress(b.AsSpan(12, 4));
        }
        if (b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0)
        {
            return new IPAddress(b.AsSpan(12, 4));
        }
        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return new IPAddress(b.AsSpan(2, 4));
        }
        return null;
    }
}
