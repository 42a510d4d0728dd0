using System.Net;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Orders;

/// <summary>A whole order's life over HTTP, with a return, a re-whistle and a reopen, checked to the letter.</summary>
public class LifecycleTests : IClassFixture<WhistleApp>
{
    private readonly WhistleApp _app;
    private readonly HttpClient _client;

    public LifecycleTests(WhistleApp app)
    {
        _app = app;
        _client = app.CreateClient();
    }

    [Fact]
    public async Task An_order_goes_round_the_loop_with_a_return_and_a_reopen_and_its_history_and_summary_say_exactly_that()
    {
        var t0 = _app.Clock.GetUtcNow();
        var filed = await _client.File(category: "pipe-blockage", grid: "ST02-C03-G04", actor: "grid-worker-0203");
        // This class files no other order: the summary's all-time figures are this order's alone.
        Assert.Equal("discovered", filed.State);
        Assert.Equal(["whistle", "handle-locally", "cancel", "merge"], filed.AllowedActions);
        Assert.Equal(("ST02-C03", "ST02"), (filed.CommunityCode, filed.StreetCode));
        Assert.Matches("^WS-[0-9]{7}$", filed.Code);

        _app.Clock.Advance(TimeSpan.FromMinutes(10));
        var whistled = await _client.Act(filed.Id, "whistle", new { departmentCode = "housing" }, actor: "community-ST02-C03");
        Assert.Equal("housing", whistled.DepartmentCode);
        Assert.Equal(t0.AddMinutes(10).AddHours(4), whistled.Deadlines.AcknowledgeBy);   // pipe-blockage: 4 h
        Assert.Equal(t0.AddMinutes(10).AddHours(48), whistled.Deadlines.ResolveBy);      // and 48 h

        _app.Clock.Advance(TimeSpan.FromHours(1));
        var returned = await _client.Act(filed.Id, "return", new { reason = "Pipes are the water bureau's" }, actor: "housing-desk");
        Assert.Equal(("returned", (string?)null, 1), (returned.State, returned.DepartmentCode, returned.Counters.Returns));

        _app.Clock.Advance(TimeSpan.FromMinutes(5));
        var rewhistled = await _client.Act(filed.Id, "whistle", actor: "community-ST02-C03");
        Assert.Equal("water", rewhistled.DepartmentCode); // routed by the duty catalogue
        Assert.Equal("housing", rewhistled.ReturnedByDepartmentCode);
        Assert.Equal(t0.AddMinutes(10), rewhistled.Milestones.FirstWhistledAt);
        Assert.Equal(t0.AddMinutes(75), rewhistled.Milestones.WhistledAt);

        _app.Clock.Advance(TimeSpan.FromMinutes(30));
        await _client.Act(filed.Id, "acknowledge", new { note = "Crew on the way" }, actor: "water-dispatch");
        _app.Clock.Advance(TimeSpan.FromHours(3));
        await _client.Act(filed.Id, "resolve", new { result = "Pipe cleared" }, actor: "water-dispatch");

        Assert.Equal((1L, 1L, 1.0), Headline(await _client.Summary()));

        _app.Clock.Advance(TimeSpan.FromHours(20));
        var reopened = await _client.Act(filed.Id, "evaluate", new { rating = "unsatisfied", comment = "Blocked again" }, actor: "community-ST02-C03");
        Assert.Equal("acknowledged", reopened.State);
        Assert.Equal(1, reopened.Counters.Reopens);
        Assert.Equal((null, null), (reopened.Milestones.ResolvedAt, reopened.Result)); // the resolution did not hold
        Assert.Equal(_app.Clock.GetUtcNow().AddHours(48), reopened.Deadlines.ResolveBy);
        Assert.Equal((1L, 0L, 0.0), Headline(await _client.Summary()));

        _app.Clock.Advance(TimeSpan.FromHours(5));
        await _client.Act(filed.Id, "resolve", new { result = "Pipe replaced" }, actor: "water-dispatch");
        _app.Clock.Advance(TimeSpan.FromHours(1));
        var closed = await _client.Act(filed.Id, "evaluate", new { rating = "basically-satisfied" }, actor: "community-ST02-C03");

        Assert.Equal("closed", closed.State);
        Assert.Empty(closed.AllowedActions);
        Assert.Equal(9, closed.Version);
        Assert.Equal(new OrderCounters(2, 1, 1, 0), closed.Counters);
        Assert.Equal(("Pipe replaced", "basically-satisfied"), (closed.Result, closed.Rating));
        Assert.Equal(_app.Clock.GetUtcNow(), closed.Milestones.ClosedAt);

        var history = await _client.History(filed.Id);
        Assert.Equal(
            [
                (1, "file", null, "discovered", "grid-worker-0203"),
                (2, "whistle", "discovered", "whistled", "community-ST02-C03"),
                (3, "return", "whistled", "returned", "housing-desk"),
                (4, "whistle", "returned", "whistled", "community-ST02-C03"),
                (5, "acknowledge", "whistled", "acknowledged", "water-dispatch"),
                (6, "resolve", "acknowledged", "resolved", "water-dispatch"),
                (7, "evaluate", "resolved", "acknowledged", "community-ST02-C03"),
                (8, "resolve", "acknowledged", "resolved", "water-dispatch"),
                (9, "evaluate", "resolved", "closed", "community-ST02-C03"),
            ],
            history.Select(e => (e.Version, e.Action, e.FromState, e.ToState, e.Actor)).ToArray<(int, string, string?, string, string)>());
        Assert.Equal(t0, history[0].At);
        Assert.Equal(("pipe-blockage", "ST02-C03-G04", "40.8424", "111.7492", "Gate 3"),
            (history[0].Details["categoryCode"], history[0].Details["gridCode"], history[0].Details["latitude"],
             history[0].Details["longitude"], history[0].Details["address"]));
        Assert.Equal("The bins by gate 3 have not been emptied for three days.", history[0].Details["description"]);
        Assert.Equal("housing", history[1].Details["departmentCode"]);
        Assert.Equal("Pipes are the water bureau's", history[2].Details["reason"]);
        Assert.Equal("housing", history[2].Details["departmentCode"]);
        Assert.Equal("water", history[3].Details["departmentCode"]);
        Assert.Equal("Crew on the way", history[4].Details["note"]);
        Assert.Equal(("unsatisfied", "Blocked again"), (history[6].Details["rating"], history[6].Details["comment"]));
        Assert.Equal(closed.Milestones.ClosedAt, history[^1].At);

        var figures = (await _client.Summary()).Figures;
        Assert.Equal((1L, 1L, 1.0), (figures.ValidOrders, figures.CompletedOrders, figures.CompletionRate));
        Assert.Equal((1L, 1L, 1L, 1L, 1.0), (figures.Returns, figures.Reopens, figures.EvaluatedOrders, figures.SatisfiedOrders, figures.SatisfactionRate));
    }

    private static (long, long, double?) Headline(Summary summary) =>
        (summary.Figures.ValidOrders, summary.Figures.CompletedOrders, summary.Figures.CompletionRate);
}
