using Npgsql;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Stats;

/// <summary>
/// The property test's percentiles are its own LINQ; this checks them once against PostgreSQL's
/// percentile_cont itself (not against the service), on random microsecond durations.
/// </summary>
public class PercentileOracleTests
{
    [Fact]
    public async Task The_brute_force_percentiles_are_percentile_cont()
    {
        var random = new Random(42);
        await using var connection = new NpgsqlConnection(await TestDatabase.CreateAsync());
        await connection.OpenAsync();
        foreach (var count in new[] { 1, 2, 3, 4, 5, 10, 11, 57, 200 })
        {
            var values = Enumerable.Range(0, count).Select(_ => random.NextInt64(0, 40L * 24 * 3_600_000_000)).ToArray();
            await using var command = new NpgsqlCommand(
                "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v), percentile_cont(0.9) WITHIN GROUP (ORDER BY v) FROM unnest($1) AS v",
                connection)
            { Parameters = { new() { Value = values } } };
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            Assert.Equal(reader.GetDouble(0) / 3_600_000_000.0, BruteForce.PercentileHours(values, 0.5)!.Value, 12);
            Assert.Equal(reader.GetDouble(1) / 3_600_000_000.0, BruteForce.PercentileHours(values, 0.9)!.Value, 12);
        }
        Assert.Null(BruteForce.PercentileHours([], 0.5));
    }
}
