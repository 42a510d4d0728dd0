using System.Net;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Robustness;

/// <summary>Period bounds at the calendar's ends are a 400 naming the bound, not an overflow.</summary>
public class ExtremeDateTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    private readonly HttpClient _client = app.CreateClient();

    public static TheoryData<string, string, string> Extremes()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var operation in new[] { "summary", "breakdown", "timeseries" })
        {
            data.Add(operation, "from=0001-01-01", "from");
            data.Add(operation, "to=9999-12-31", "to");
            data.Add(operation, "from=0001-01-01T00:00:00", "from");
            data.Add(operation, "from=0001-01-01T00:00:00%2B08:00", "from");
            data.Add(operation, "to=9999-12-31T23:59:59", "to");
            data.Add(operation, "to=9999-12-31T23:59:59-12:00", "to");
            data.Add(operation, "from=0001-01-01&to=9999-12-31", "from");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Extremes))]
    public async Task A_bound_at_the_calendars_end_is_a_400_naming_it(string operation, string query, string field)
    {
        var response = await _client.GetAsync($"/api/v1/stats/{operation}?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Read<Problem>();
        Assert.Contains(field, problem.Errors!.Keys);
        Assert.Contains("1900 to 2999", problem.Errors[field].Single());
    }

    [Fact]
    public async Task The_widest_period_allowed_is_answered()
    {
        await _client.File();

        var response = await _client.GetAsync("/api/v1/stats/summary?from=1900-01-01&to=2999-12-31");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
