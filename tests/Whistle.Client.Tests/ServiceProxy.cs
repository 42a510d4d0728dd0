using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Client.Tests;

/// <summary>
/// The service on a loopback port for clients in another process (node): each request goes on to the
/// in-process service through the contract checker, which records the exchange; a violation of the
/// document is kept and answered 599, so that the client's step fails and the test names it.
/// </summary>
public sealed class ServiceProxy : IDisposable
{
    private static readonly HashSet<string> Hop = new(StringComparer.OrdinalIgnoreCase) { "Host", "Connection", "Content-Length", "Transfer-Encoding", "Keep-Alive" };

    private readonly HttpListener _listener = new();
    private readonly HttpClient _service;
    private readonly CancellationTokenSource _stop = new();

    public ServiceProxy(WhistleApp app, Action<Exchange> seen)
    {
        var port = FreePort();
        BaseAddress = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(BaseAddress + "/");
        _listener.Start();
        _service = new HttpClient(new ContractCheckingHandler(Contract.Committed) { Seen = seen, InnerHandler = app.Server.CreateHandler() })
        {
            BaseAddress = new Uri("http://localhost"),
        };
        _ = Task.Run(ServeAsync);
    }

    public string BaseAddress { get; }

    public ConcurrentQueue<string> Violations { get; } = new();

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            _ = Task.Run(() => ForwardAsync(context));
        }
    }

    private async Task ForwardAsync(HttpListenerContext context)
    {
        using var body = new MemoryStream();
        await context.Request.InputStream.CopyToAsync(body);
        var request = new HttpRequestMessage(new HttpMethod(context.Request.HttpMethod), context.Request.RawUrl);
        if (body.Length > 0)
        {
            request.Content = new ByteArrayContent(body.ToArray());
        }
        foreach (var name in context.Request.Headers.AllKeys.OfType<string>().Where(n => !Hop.Contains(n)))
        {
            var value = context.Request.Headers[name]!;
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content?.Headers.TryAddWithoutValidation(name, value);
            }
        }
        var answer = context.Response;
        try
        {
            using var response = await _service.SendAsync(request);
            answer.StatusCode = (int)response.StatusCode;
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers).Where(h => !Hop.Contains(h.Key)))
            {
                answer.Headers[name] = string.Join(", ", values);
            }
            var bytes = await response.Content.ReadAsByteArrayAsync();
            if (bytes.Length > 0)
            {
                answer.ContentLength64 = bytes.Length;
                await answer.OutputStream.WriteAsync(bytes);
            }
        }
        catch (ContractViolationException violation)
        {
            Violations.Enqueue(violation.Message);
            answer.StatusCode = 599;
        }
        answer.Close();
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
        _service.Dispose();
    }
}
