using System.Net;
using System.Net.Http.Headers;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Dashboard;

/// <summary>The page and its files as served, without a browser.</summary>
public class DashboardServingTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    private readonly HttpClient _client = app.CreateClient();

    [Theory]
    [InlineData("/dashboard")]
    [InlineData("/dashboard/")]
    public async Task The_page_carries_the_service_clock_and_zone_and_loads_only_its_own_files(string path)
    {
        var response = await _client.GetAsync(path);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("""<meta name="whistle-time-zone" content="Asia/Shanghai">""", html);
        Assert.Contains("""<meta name="whistle-now" content="2026-03-02T01:00:00.0000000+00:00">""", html);
        Assert.Contains("""<script src="/dashboard/dashboard.js" defer></script>""", html);
        Assert.DoesNotContain("//", html.Replace("http://www.w3.org", "", StringComparison.Ordinal));
        Assert.Contains("script-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Theory]
    [InlineData("/dashboard/dashboard.js", "text/javascript")]
    [InlineData("/dashboard/dashboard.css", "text/css")]
    public async Task Files_are_served_with_an_etag_and_a_304_when_unchanged(string path, string mediaType)
    {
        var response = await _client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(response.Headers.ETag);

        var again = new HttpRequestMessage(HttpMethod.Get, path);
        again.Headers.IfNoneMatch.Add(response.Headers.ETag);
        Assert.Equal(HttpStatusCode.NotModified, (await _client.SendAsync(again)).StatusCode);
    }

    [Fact]
    public async Task An_unknown_file_is_a_404() =>
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/dashboard/dashboard.html")).StatusCode);
}
