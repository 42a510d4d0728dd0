using Microsoft.Extensions.Options;
using Whistle.Api.Features.Photos;
using Whistle.Api.Features.Webhooks;

namespace Whistle.Api.Features.Open311;

/// <summary>Open311 settings, under <c>Whistle:Open311</c>.</summary>
public sealed class Open311Options
{
    public const string Section = "Whistle:Open311";

    /// <summary>
    /// The hosts a filing's <c>media_url</c> may name (FixMyStreet's own, say): the photo is fetched from there and kept
    /// with the order. A URL on any other host is refused (400); none listed, every media_url is refused.
    /// </summary>
    public List<string> MediaHosts { get; set; } = [];

    /// <summary>How long one fetch may take.</summary>
    public TimeSpan MediaTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Fetches a filing's <c>media_url</c>: only from <see cref="Open311Options.MediaHosts"/>, over http(s), and only to
/// public addresses under the webhook deliveries' rules (<see cref="WebhookAddresses"/>, Whistle:Webhooks:AllowPrivateAddresses),
/// no redirect followed, no more than an upload may carry. Anything else is the client's error (400), never a 5xx.
/// </summary>
public sealed class MediaFetch(IHttpClientFactory clients, IOptions<Open311Options> options, IOptions<PhotoOptions> photos)
{
    public const string HttpClientName = "open311-media";

    public async Task<byte[]> FetchAsync(string url, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw Refused("media_url is not an http or https URL.");
        }
        if (!options.Value.MediaHosts.Any(host => string.Equals(host, uri.Host, StringComparison.OrdinalIgnoreCase)))
        {
            throw Refused($"media_url's host '{uri.Host}' is not one this district fetches photos from (Whistle:Open311:MediaHosts); send the photo in the request instead (multipart).");
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.MediaTimeout);
        var limit = photos.Value.MaxRequestBytes;
        try
        {
            using var response = await clients.CreateClient(HttpClientName).GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw Refused($"media_url answered {(int)response.StatusCode}.");
            }
            if (response.Content.Headers.ContentLength > limit)
            {
                throw Refused($"media_url's photo is over {limit:N0} bytes.");
            }
            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await body.ReadAsync(chunk, timeout.Token)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    throw Refused($"media_url's photo is over {limit:N0} bytes.");
                }
                buffer.Write(chunk, 0, read);
            }
            return buffer.Length > 0 ? buffer.ToArray() : throw Refused("media_url answered an empty body.");
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw Refused("media_url could not be fetched: " + (e is OperationCanceledException ? "it took too long." : e.Message));
        }
    }

    private static Open311Exception Refused(string message) => new(StatusCodes.Status400BadRequest, message);

    public static IServiceCollection AddOpen311(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<Open311Options>().Bind(configuration.GetSection(Open311Options.Section));
        services.AddSingleton<MediaFetch>();
        services.AddHttpClient(HttpClientName)
            .ConfigureHttpClient(client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(provider => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                // The same rule as webhook deliveries: a name that resolves inside the network is refused when connecting.
                ConnectCallback = WebhookAddresses.ConnectCallback(
                    () => provider.GetRequiredService<IOptions<WebhookOptions>>().Value.AllowPrivateAddresses),
            });
        return services;
    }
}
