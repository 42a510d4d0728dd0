using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Npgsql;
using Whistle.Api.Features.Geo;
using Whistle.Api.Features.Seeding;
using Whistle.Api.Infrastructure;

namespace Whistle.LoadTest;

/// <summary>
/// Nearby orders at a million: <c>GET /api/v1/orders/nearby</c> over HTTP for 50 m, 500 m and 5 km around
/// points inside the built-in grids, against the naive query (the distance computed over every row, then
/// sorted) on the same cluster in the same run; the service's answer is checked against the naive one's.
/// </summary>
internal static class NearbyBench
{
    public const string Usage = "usage: nearby [--orders N] [--requests N] [--naive N] [--keep DIR]";

    public static async Task<int> RunAsync(string[] args, string apiDll, Action<string> log, CancellationToken ct)
    {
        var (size, requests, naiveRequests) = (1_000_000, 200, 5);
        string? keep = null;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--orders":
                    size = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                case "--requests":
                    requests = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                case "--naive":
                    naiveRequests = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                case "--keep":
                    keep = Path.GetFullPath(args[i + 1]);
                    break;
                default:
                    Console.Error.WriteLine(Usage);
                    return 2;
            }
        }

        // The same cluster layout as the statistics benchmark's --keep, so one seeded million serves both.
        Environment.SetEnvironmentVariable("Whistle__SchedulerEnabled", "false");
        var folder = keep is null
            ? Path.Combine(Path.GetTempPath(), $"whistle-nearbybench-{Guid.NewGuid():N}"[..34])
            : Path.Combine(keep, $"orders-{size}");
        await using var server = await EmbeddedPostgres.StartAsync(folder, "whistle_stats", durable: true,
            deleteOnDispose: keep is null, log: log, cancellationToken: ct);
        var connection = server.ConnectionStringFor("whistle_stats");
        if (await StatsBench.CountAsync(connection, ct) != size)
        {
            log($"Seeding {size:N0} orders into 2025");
            var clock = Stopwatch.StartNew();
            await SeedOrders.SeedAsync(connection, new SeedOrders.Options(size, 2025, 1), TimeProvider.System, _ => { }, ct);
            log($"  seeded in {clock.Elapsed.TotalSeconds:F0} s");
        }
        var key = (await BenchKeys.CreateAsync(connection, 1, "nearby bench", ct))[0];
        await using var api = await ApiProcess.StartAsync(apiDll, connection, log, ct);
        using var http = new HttpClient { BaseAddress = api.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Add(BenchKeys.Header, key);
        await using var sql = new NpgsqlConnection(connection);
        await sql.OpenAsync(ct);

        var random = new Random(7);
        var grids = BuiltInBoundaries.Grids.Values.ToArray();
        (double Latitude, double Longitude) Somewhere() => grids[random.Next(grids.Length)].At(random.NextDouble(), random.NextDouble());

        // Warm-up: the JIT, the connection pool and the index's pages.
        for (var i = 0; i < 50; i++)
        {
            var (lat, lon) = Somewhere();
            (await http.GetAsync(NearbyPath(lat, lon, 500), ct)).EnsureSuccessStatusCode();
        }

        var text = new StringBuilder();
        text.Append($"### Nearby at {size:N0} orders, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC\n\n");
        text.Append("| radius | orders within (median) | service p50 / p99 ms (HTTP, GiST index) | naive SQL p50 / max ms (distance over every row) | naive / service (p50) |\n");
        text.Append("|---:|---:|---|---|---:|\n");
        var disagreements = 0;
        foreach (var radius in new[] { 50, 500, 5000 })
        {
            var service = new List<double>();
            var within = new List<double>();
            for (var i = 0; i < requests; i++)
            {
                var (lat, lon) = Somewhere();
                var started = Stopwatch.GetTimestamp();
                using var response = await http.GetAsync(NearbyPath(lat, lon, radius), ct);
                var body = await response.Content.ReadAsStringAsync(ct);
                service.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                response.EnsureSuccessStatusCode();
                within.Add(await WithinAsync(sql, lat, lon, radius, ct));
            }
            var naive = new List<double>();
            for (var i = 0; i < naiveRequests; i++)
            {
                var (lat, lon) = Somewhere();
                var started = Stopwatch.GetTimestamp();
                var naiveIds = await NaiveAsync(sql, lat, lon, radius, ct);
                naive.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                // The same point through the service: the same orders, nearest first.
                using var response = await http.GetAsync(NearbyPath(lat, lon, radius), ct);
                using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
                var served = document.RootElement.GetProperty("items").EnumerateArray()
                    .Select(item => item.GetProperty("order").GetProperty("id").GetString()!).ToList();
                if (!served.SequenceEqual(naiveIds))
                {
                    disagreements++;
                    log($"  {radius} m at {lat},{lon}: the service answered {served.Count} orders, the naive query {naiveIds.Count}, not the same");
                }
            }
            service.Sort();
            naive.Sort();
            within.Sort();
            log($"  {radius} m: service p50 {P(service, 50):F1} ms, naive p50 {P(naive, 50):F0} ms");
            text.Append(CultureInfo.InvariantCulture, $"| {radius:N0} m | {P(within, 50):F0} | {P(service, 50):F1} / {P(service, 99):F1} | " +
                $"{P(naive, 50):F0} / {naive[^1]:F0} | {P(naive, 50) / P(service, 50):F0}× |\n");
        }
        text.Append(CultureInfo.InvariantCulture, $"\n{requests} service requests and {naiveRequests} naive queries per radius at random points inside the grids; " +
            $"each naive answer compared with the service's for the same point (50 nearest, all states, admin scope): {disagreements} differed.\n");
        Console.WriteLine();
        Console.WriteLine(text);
        return disagreements == 0 ? 0 : 1;
    }

    private static string NearbyPath(double latitude, double longitude, int radius) => string.Create(CultureInfo.InvariantCulture,
        $"/api/v1/orders/nearby?latitude={latitude:R}&longitude={longitude:R}&radius={radius}");

    /// <summary>How many orders lie within the radius (through the index; for the table, not timed).</summary>
    private static async Task<double> WithinAsync(NpgsqlConnection sql, double latitude, double longitude, int radius, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM orders WHERE ST_DWithin(position, ST_Point($1, $2, 4326)::geography, $3)", sql)
        { Parameters = { new() { Value = longitude }, new() { Value = latitude }, new() { Value = (double)radius } } };
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>The query without the index: every order's distance computed, filtered and sorted.</summary>
    private static async Task<List<string>> NaiveAsync(NpgsqlConnection sql, double latitude, double longitude, int radius, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT id::text FROM (
                SELECT id, number, ST_Distance(position, ST_Point($1, $2, 4326)::geography) AS distance FROM orders) AS o
            WHERE distance <= $3 ORDER BY distance, number LIMIT 50
            """, sql)
        { Parameters = { new() { Value = longitude }, new() { Value = latitude }, new() { Value = (double)radius } } };
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            ids.Add(reader.GetString(0));
        }
        return ids;
    }

    private static double P(List<double> sorted, double p) => PhaseResult.Percentile([.. sorted], p);
}
