using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Webhooks;

/// <summary>A real HTTP receiver on loopback (Kestrel on 127.0.0.1, a free port) that records every request it gets.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    public sealed record Received(string Id, string Timestamp, string Signature, string Body, int AnsweredWith, DateTimeOffset At);

    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <summary>How requests broke the document's <c>webhooks</c>: disposing the receiver fails the test if any did.</summary>
    public ConcurrentQueue<string> Violations { get; } = new();

    /// <summary>What it answers; 200 unless a test makes it fail.</summary>
    public int Status { get; set; } = 200;

    /// <summary>How long it takes to answer (makes concurrent senders overlap).</summary>
    public TimeSpan Delay { get; set; } = TimeSpan.Zero;

    public string Url { get; private set; } = "";

    /// <summary>The requests answered 2xx: what the subscriber has actually received.</summary>
    public IReadOnlyList<Received> Accepted => Requests.Where(r => r.AnsweredWith is >= 200 and < 300).ToList();

    private WebhookReceiver()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapPost("/hook", async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            if (Delay > TimeSpan.Zero)
            {
                await Task.Delay(Delay);
            }
            // Each event type is its own webhook in the document: the reference data's, or an order's.
            var webhook = body.StartsWith("{\"type\":\"reference.", StringComparison.Ordinal) ? "referenceChanged" : "orderEvent";
            foreach (var violation in Contract.Committed.CheckWebhook(webhook,
                         http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body))
            {
                Violations.Enqueue(violation);
            }
            var status = Status;
            Requests.Enqueue(new Received(
                http.Request.Headers["webhook-id"].ToString(), http.Request.Headers["webhook-timestamp"].ToString(),
                http.Request.Headers["webhook-signature"].ToString(), body, status, DateTimeOffset.UtcNow));
            return Results.StatusCode(status);
        });
    }

    public static async Task<WebhookReceiver> StartAsync()
    {
        var receiver = new WebhookReceiver();
        await receiver._app.StartAsync();
        var address = receiver._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Url = address.TrimEnd('/') + "/hook";
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (!Violations.IsEmpty)
        {
            throw new ContractViolationException([.. Violations.Distinct()]);
        }
    }
}
