using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Whistle.Api.Features.Access;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Robustness;

/// <summary>The service on a real Kestrel listener, as a client on the network reaches it.</summary>
public sealed class KestrelWhistleApp : WhistleApp
{
    public KestrelWhistleApp() => UseKestrel(0);

    /// <summary>The listener's address.</summary>
    public Uri Address
    {
        get
        {
            StartServer();
            return new Uri(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        }
    }

    /// <summary>A client of the listener (checked against the document, as every test client is).</summary>
    public HttpClient NetworkClient(bool anonymous = false)
    {
        ClientOptions.BaseAddress = Address;
        var client = CreateClient();
        if (anonymous)
        {
            client.DefaultRequestHeaders.Remove(ApiKeys.Header);
        }
        return client;
    }
}

/// <summary>
/// Every error a client can meet is an RFC 9457 problem (application/problem+json with type, title,
/// status and traceId), whatever it accepts, over the real server.
/// </summary>
public class ProblemEverywhereTests(KestrelWhistleApp app) : IClassFixture<KestrelWhistleApp>
{
    public static TheoryData<string, string, int> Errors() => new()
    {
        { "GET", "/api/v1/orders/WS-9999999", 404 },
        { "GET", "/api/v1/no-such-thing", 404 },
        { "DELETE", "/api/v1/orders", 405 },
        { "POST", "/api/v1/orders", 400 },
        { "GET", "/api/v1/grids?streetCode=%00", 400 },
        { "GET", "/api/v1/stats/summary?from=0001-01-01", 400 },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public async Task An_error_is_a_problem_whatever_the_client_accepts(string method, string path, int status)
    {
        foreach (var accept in new[] { "application/json", "application/xml", "text/html", "*/*", "" })
        {
            using var client = app.NetworkClient();
            var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (accept.Length > 0)
            {
                request.Headers.Accept.Add(MediaTypeWithQualityHeaderValue.Parse(accept));
            }
            if (method == "POST")
            {
                request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
            }

            var response = await client.SendAsync(request);

            await AssertProblem(response, status, $"{method} {path} Accept: {accept}");
        }
    }

    [Fact]
    public async Task An_unauthenticated_request_asking_for_xml_gets_a_problem()
    {
        using var client = app.NetworkClient(anonymous: true);
        client.DefaultRequestHeaders.Accept.Add(MediaTypeWithQualityHeaderValue.Parse("application/xml"));

        await AssertProblem(await client.GetAsync("/api/v1/orders"), 401, "anonymous");
        client.DefaultRequestHeaders.Add(ApiKeys.Header, "wk_unknownunknownunknownunknown");
        await AssertProblem(await client.GetAsync("/api/v1/orders"), 401, "unknown key");
    }

    /// <summary>
    /// The one error the service cannot shape: Kestrel refuses a request line whose path decodes to a
    /// NUL before any application code runs, and offers no hook for its answer (a bare 400). What
    /// matters is that it is a 400 and that nothing behind it is disturbed.
    /// </summary>
    [Fact]
    public async Task A_nul_in_the_path_is_refused_by_the_server_as_a_400_and_harms_nothing()
    {
        // Not checked against the document: this answer is Kestrel's, not the service's.
        using var client = new HttpClient { BaseAddress = app.Address };
        client.DefaultRequestHeaders.Add(ApiKeys.Header, app.AdminKey);

        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/v1/orders/%00")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync("/api/v1/orders/WS-0000001%00/whistle", null)).StatusCode);

        using var next = app.NetworkClient();
        var order = await next.File();
        Assert.Equal(order.Id, (await next.Get(order.Id)).Id);
    }

    private static async Task AssertProblem(HttpResponseMessage response, int status, string what)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"{what}: {(int)response.StatusCode} {text}");
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json",
            $"{what}: {response.Content.Headers.ContentType} {text}");
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        foreach (var member in new[] { "type", "title", "traceId" })
        {
            Assert.True(problem.TryGetProperty(member, out var value) && value.GetString() is { Length: > 0 }, $"{what}: no {member} in {text}");
        }
    }
}
