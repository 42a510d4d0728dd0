using Whistle.Api.Features.Stats;

namespace Whistle.Api.Tests.Stats;

/// <summary>
/// The service's bucketed selection against a plain sort, on sizes past the point where it stops
/// sorting (4,096) and on the shapes that could trip it: long tails, heavy ties, two values.
/// </summary>
public class PercentileTests
{
    public static TheoryData<string, int> Shapes() => new()
    {
        { "uniform", 5_000 },
        { "long tail", 200_000 },
        { "ties", 50_000 },
        { "two values", 10_000 },
        { "one value", 8_000 },
        { "tiny", 1 },
        { "small", 7 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Bucketed_selection_gives_exactly_what_a_sort_gives(string shape, int count)
    {
        var random = new Random(count);
        var values = Enumerable.Range(0, count).Select(_ => shape switch
        {
            "long tail" => (long)(Math.Exp(random.NextDouble() * 30) * 1000) + random.Next(1000),
            "ties" => random.Next(100) * 3_600_000_000L,
            "two values" => random.Next(2) == 0 ? 5L : 9_000_000_000_000L,
            "one value" => 42L,
            _ => random.NextInt64(0, 30L * 24 * 3_600_000_000),
        }).ToArray();
        double[] ps = [0.5, 0.9, 0.0, 1.0, 0.37];

        var actual = Percentile.Of(values, ps);

        var sorted = values.Order().ToArray();
        for (var i = 0; i < ps.Length; i++)
        {
            var position = ps[i] * (sorted.Length - 1);
            var lower = (int)Math.Floor(position);
            var upper = Math.Min(lower + 1, sorted.Length - 1);
            var fraction = position - lower;
            var expected = fraction == 0 ? sorted[lower] : sorted[lower] + (sorted[upper] - sorted[lower]) * fraction;
            Assert.Equal(expected, actual[i]);
        }
    }
}
