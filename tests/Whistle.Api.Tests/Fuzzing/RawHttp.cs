using System.Net.Sockets;
using System.Text;

namespace Whistle.Api.Tests.Fuzzing;

/// <summary>One request sent as bytes, framing and all, and what came back before the server closed the connection.</summary>
public sealed record RawAnswer(int? Status, string Head, string Body)
{
    public bool IsProblem => Head.Contains("Content-Type: application/problem+json", StringComparison.OrdinalIgnoreCase);

    public override string ToString() => Status is { } status ? $"{status} {(Body.Length > 200 ? Body[..200] + "…" : Body)}" : "no answer";
}

/// <summary>
/// HTTP/1.1 framing broken the ways a client or a proxy can break it: chunk sizes past any integer, bad
/// chunk lines, conflicting lengths, oversized request lines and headers, control characters. Sent over
/// a socket, since no HTTP client will write them.
/// </summary>
public static class RawHttp
{
    /// <summary>Each case: what it breaks, the bytes, and whether the service itself (not the server's parser) answers it.</summary>
    public static IEnumerable<(string What, byte[] Request, bool ReachesService)> Cases(string key)
    {
        const string body = """{"title":"x"}""";
        string Head(string extra, string method = "POST", string target = "/api/v1/orders") =>
            $"{method} {target} HTTP/1.1\r\nHost: localhost\r\nX-Api-Key: {key}\r\nContent-Type: application/json\r\nConnection: close\r\n{extra}";
        byte[] Bytes(string text) => Encoding.Latin1.GetBytes(text);

        foreach (var size in new[] { "FFFFFFFFFFFFFFFFFFFF", "FFFFFFFF", "7FFFFFFF", "80000000", "100000000", "-1", "zz", "", " 5", "5 ; x=" + new string('y', 10_000), "0x5", "+5" })
        {
            yield return ($"a chunk size of '{(size.Length > 20 ? size[..20] + "…" : size)}'",
                Bytes(Head("Transfer-Encoding: chunked\r\n\r\n") + size + "\r\n" + body + "\r\n0\r\n\r\n"), true);
        }
        yield return ("a chunk longer than its size", Bytes(Head("Transfer-Encoding: chunked\r\n\r\n") + "2\r\n" + body + "\r\n0\r\n\r\n"), true);
        yield return ("a chunk without its CRLF", Bytes(Head("Transfer-Encoding: chunked\r\n\r\n") + "D\r\n" + body + "0\r\n\r\n"), true);
        yield return ("a trailer of 100,000 bytes", Bytes(Head("Transfer-Encoding: chunked\r\n\r\n") + "D\r\n" + body + "\r\n0\r\nX-Trailer: " + new string('t', 100_000) + "\r\n\r\n"), true);
        yield return ("chunked and a Content-Length", Bytes(Head($"Transfer-Encoding: chunked\r\nContent-Length: {body.Length}\r\n\r\n") + "D\r\n" + body + "\r\n0\r\n\r\n"), false);
        yield return ("a transfer coding other than chunked", Bytes(Head("Transfer-Encoding: gzip\r\n\r\n") + body), false);
        yield return ("chunked twice", Bytes(Head("Transfer-Encoding: chunked, chunked\r\n\r\n") + "D\r\n" + body + "\r\n0\r\n\r\n"), false);
        foreach (var length in new[] { "-1", "abc", "99999999999999999999", "1, 2", "" })
        {
            yield return ($"a Content-Length of '{length}'", Bytes(Head($"Content-Length: {length}\r\n\r\n") + body), false);
        }
        yield return ("two different Content-Lengths", Bytes(Head($"Content-Length: {body.Length}\r\nContent-Length: 2\r\n\r\n") + body), false);
        yield return ("a request line of 20,000 characters", Bytes(Head("\r\n", "GET", "/api/v1/orders?q=" + new string('q', 20_000))), false);
        yield return ("headers of 100,000 bytes", Bytes(Head("X-Big: " + new string('h', 100_000) + "\r\n\r\n", "GET")), false);
        yield return ("2,000 headers", Bytes(Head(string.Concat(Enumerable.Range(0, 2_000).Select(i => $"X-H{i}: v\r\n")) + "\r\n", "GET")), false);
        yield return ("a header without a colon", Bytes(Head("NoColon\r\n\r\n", "GET")), false);
        yield return ("a folded header", Bytes(Head("X-Folded: a\r\n b\r\n\r\n", "GET")), false);
        yield return ("a NUL in a header", Bytes(Head("X-Nul: a\0b\r\n\r\n", "GET")), false);
        yield return ("a bare LF", Bytes("GET /api/v1/orders HTTP/1.1\nHost: localhost\n\n"), false);
        yield return ("an unknown method", Bytes(Head("\r\n", "FROB", "/api/v1/orders")), true);
        yield return ("an HTTP version that does not exist", Bytes($"GET /api/v1/orders HTTP/9.9\r\nHost: localhost\r\nX-Api-Key: {key}\r\n\r\n"), false);
        yield return ("an HTTP/2 preface on HTTP/1.1", Bytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), false);
        yield return ("no Host", Bytes($"GET /api/v1/orders HTTP/1.1\r\nX-Api-Key: {key}\r\nConnection: close\r\n\r\n"), false);
        yield return ("an absolute target for another host", Bytes(Head("\r\n", "GET", "http://elsewhere.example/api/v1/orders")), false);
        yield return ("an asterisk target", Bytes(Head("\r\n", "GET", "*")), false);
        yield return ("Expect: 100-continue for an unknown expectation", Bytes(Head($"Expect: 200-ok\r\nContent-Length: {body.Length}\r\n\r\n") + body), false);
    }

    public static async Task<RawAnswer> SendAsync(Uri server, byte[] request, CancellationToken cancellationToken = default)
    {
        using var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(server.Host, server.Port, cancellationToken);
        var stream = tcp.GetStream();
        try
        {
            // Not half-closed after: Kestrel takes the client's FIN for an abort and would answer nothing.
            await stream.WriteAsync(request, cancellationToken);
        }
        catch (IOException)
        {
            // The server may answer and close before reading everything sent: what it answered is read below.
        }
        using var read = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // A server that waits for a body never sent is judged by what it answered within the time.
        read.CancelAfter(TimeSpan.FromSeconds(4));
        var buffer = new MemoryStream();
        try
        {
            await stream.CopyToAsync(buffer, read.Token);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
        {
            // Reset after the answer, or nothing more within the time: judged by what arrived.
        }
        var text = Encoding.UTF8.GetString(buffer.ToArray());
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = split < 0 ? text : text[..split];
        var status = head.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) && head.Length >= 12 && int.TryParse(head.AsSpan(9, 3), out var code) ? code : (int?)null;
        return new RawAnswer(status, head, split < 0 ? "" : text[(split + 4)..]);
    }
}
