using System.Net;
using Whistle.Api.Tests.Fuzzing;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Robustness;

/// <summary>
/// A chunk size past any integer, which Kestrel reports as an IOException rather than a bad request:
/// a 400 problem, and the next request is served. (Every other framing case is in
/// <see cref="Fuzzing.FuzzFramingAndWorkbookTests"/>.)
/// </summary>
public class RawFramingTests(KestrelWhistleApp app) : IClassFixture<KestrelWhistleApp>
{
    [Fact]
    public async Task A_chunk_size_past_any_integer_is_a_400_problem()
    {
        var (_, request, _) = RawHttp.Cases(app.AdminKey).Single(c => c.What == "a chunk size of 'FFFFFFFFFFFFFFFFFFFF'");

        var answer = await RawHttp.SendAsync(app.Address, request);

        Assert.True(answer.Status == (int)HttpStatusCode.BadRequest, answer.ToString());
        Assert.True(answer.IsProblem, answer.Head);
        using var next = app.NetworkClient();
        var order = await next.File();
        Assert.Equal(order.Id, (await next.Get(order.Id)).Id);
    }
}
