using Whistle.Api.Features.Stats;

namespace Whistle.Api.Tests.Stats;

/// <summary>Standing questions keep values in proportion to the store, not one whole-year copy per question asked.</summary>
public class StandingBudgetTests
{
    private static readonly StatsScope All = new(long.MinValue, long.MaxValue, -1, -1, -1, -1);

    private static Tally?[] Tallies(int values)
    {
        var tally = new Tally();
        for (var i = 0; i < values; i++)
        {
            tally.AcknowledgeWaits.Add(i);
        }
        return [tally];
    }

    [Fact]
    public void Past_eight_values_an_order_the_least_recently_asked_question_stops_standing()
    {
        var standing = new StandingQuestions();
        var whole = new Grouping.None();
        // 10 orders in the store: room for 80 kept values.
        standing.Keep("first", All, whole, Tallies(30), rows: 10);
        standing.Keep("second", All, whole, Tallies(30), rows: 10);
        Assert.NotNull(standing.Find("second", All, whole));
        Assert.NotNull(standing.Find("first", All, whole));

        // "first" was asked last: "second" goes to make room for the third.
        standing.Keep("third", All, whole, Tallies(30), rows: 10);
        Assert.Null(standing.Find("second", All, whole));
        Assert.NotNull(standing.Find("first", All, whole));
        Assert.NotNull(standing.Find("third", All, whole));

        // One question alone over the budget is still kept (it is the one being asked).
        standing.Keep("huge", All, whole, Tallies(500), rows: 10);
        Assert.NotNull(standing.Find("huge", All, whole));
        Assert.Null(standing.Find("first", All, whole));
    }
}
