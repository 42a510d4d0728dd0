using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Api.Features.Webhooks;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Webhooks;

/// <summary>
/// A subscriber chooses where deliveries go, so by default they never reach into the district's own
/// network: loopback, private and link-local addresses are refused when connecting.
/// </summary>
public sealed class WebhookAddressTests : IAsyncLifetime
{
    private readonly WhistleApp _app = new() { AllowPrivateWebhookAddresses = false };
    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync()
    {
        await _app.InitializeAsync();
        _receiver = await WebhookReceiver.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task By_default_a_delivery_to_a_loopback_receiver_is_refused_before_connecting_and_recorded_as_such()
    {
        var client = _app.CreateClient();
        var webhook = await (await client.PostAsJsonAsync("/api/v1/webhooks", new { url = _receiver.Url, events = new[] { "*" } })).Read<Webhook>();
        var order = await client.File();
        await client.Whistle(order.Id);

        var run = await _app.Services.GetRequiredService<WebhookDispatcher>().RunOnceAsync(default);

        Assert.Equal((0, 1), (run.Delivered, run.Retrying));
        Assert.Empty(_receiver.Requests);
        var delivery = Assert.Single((await (await client.GetAsync($"/api/v1/webhooks/{webhook.Id}/deliveries")).Read<DeliveryPage>()).Items);
        var detail = await (await client.GetAsync($"/api/v1/webhooks/{webhook.Id}/deliveries/{delivery.Id}")).Read<DeliveryDetail>();
        Assert.Contains("may not reach", Assert.Single(detail.Attempts).Error);
    }

    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.16.0.1", false)]
    [InlineData("172.32.0.1", true)]
    [InlineData("192.168.1.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("fd00::1", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    [InlineData("8.8.8.8", true)]
    [InlineData("2001:4860:4860::8888", true)]
    // Benchmarking, and the IPv6 forms that carry a private or loopback IPv4 address: judged by the address they reach.
    [InlineData("198.18.0.1", false)]
    [InlineData("198.19.255.254", false)]
    [InlineData("198.20.0.1", true)]
    [InlineData("64:ff9b::127.0.0.1", false)]
    [InlineData("64:ff9b::10.0.0.1", false)]
    [InlineData("64:ff9b::a9fe:a9fe", false)]
    [InlineData("64:ff9b::8.8.8.8", true)]
    [InlineData("64:ff9b:1::a00:1", false)]
    [InlineData("2002:7f00:1::", false)]
    [InlineData("2002:c0a8:101::1", false)]
    [InlineData("2002:808:808::1", true)]
    [InlineData("::127.0.0.1", false)]
    [InlineData("::10.0.0.1", false)]
    [InlineData("::ffff:127.0.0.1", false)]
    [InlineData("::ffff:169.254.169.254", false)]
    [InlineData("::ffff:198.18.0.1", false)]
    [InlineData("2001:0:4136:e378:8000:63bf:3fff:fdd2", false)]
    [InlineData("2001:db8::1", false)]
    public void Only_public_addresses_are_reachable(string address, bool reachable) =>
        Assert.Equal(reachable, WebhookAddresses.IsPublic(IPAddress.Parse(address)));
}
