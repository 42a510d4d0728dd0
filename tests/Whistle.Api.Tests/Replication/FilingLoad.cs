using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Npgsql;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Replication;

/// <summary>
/// Phones filing through a failover: each filing carries its Idempotency-Key and is sent again,
/// with the same key, after a 503, until it is acknowledged (a 201). Every answer is counted by
/// status, every acknowledgement kept with its time, so a test can find each one in the database.
/// </summary>
public sealed class FilingLoad
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _workers = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public ConcurrentDictionary<int, int> Statuses { get; } = new();

    /// <summary>Acknowledged filings: the key (also the order's description), when (on this load's clock), and whether the answer was a replay.</summary>
    public ConcurrentBag<(string Key, Guid Id, TimeSpan At, bool Replayed)> Acknowledged { get; } = [];

    public TimeSpan Now => _clock.Elapsed;

    public static FilingLoad Start(IReadOnlyList<HttpClient> clients, int workersPerClient)
    {
        var load = new FilingLoad();
        foreach (var client in clients)
        {
            for (var i = 0; i < workersPerClient; i++)
            {
                load._workers.Add(Task.Run(() => load.FileAsync(client)));
            }
        }
        return load;
    }

    private async Task FileAsync(HttpClient client)
    {
        while (!_stop.IsCancellationRequested)
        {
            var key = Guid.NewGuid().ToString("N");
            // Once started, a filing is sent until acknowledged (bounded), even after Stop: a phone does not give up.
            var giveUp = Stopwatch.StartNew();
            while (giveUp.Elapsed < TimeSpan.FromSeconds(90))
            {
                using var response = await SendAsync(client, key);
                Statuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    var order = await response.Content.ReadFromJsonAsync<Order>(WhistleApp.Json);
                    Acknowledged.Add((key, order!.Id, Now, response.Headers.Contains("Idempotent-Replayed")));
                    break;
                }
                await Task.Delay(response.StatusCode == HttpStatusCode.ServiceUnavailable ? 100 : 500);
            }
        }
    }

    /// <summary>Sends the filing of <paramref name="key"/>: the key is its Idempotency-Key and, after "failover ", its description (how a count finds it).</summary>
    public static async Task<HttpResponseMessage> SendAsync(HttpClient client, string key)
    {
        var body = Filing.Valid();
        body["description"] = "failover " + key;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders") { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", key);
        return await client.SendAsync(request);
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
    }

    /// <summary>
    /// The longest time without an acknowledgement from just before <paramref name="since"/> on (under
    /// load they come every few milliseconds: the gap is the outage), and when the first came after it.
    /// </summary>
    public (TimeSpan Window, TimeSpan FirstAfter) GapAfter(TimeSpan since)
    {
        var times = Acknowledged.Select(a => a.At).Order().ToList();
        var window = TimeSpan.Zero;
        for (var i = 1; i < times.Count; i++)
        {
            if (times[i] > since && times[i] - times[i - 1] > window)
            {
                window = times[i] - times[i - 1];
            }
        }
        return (window, times.FirstOrDefault(t => t > since) - since);
    }

    /// <summary>What the database holds of this load's filings: found, missing and duplicated, against what was acknowledged.</summary>
    public async Task<Tally> CountAsync(string connectionString)
    {
        var stored = new Dictionary<string, int>();
        var ids = new HashSet<Guid>();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id, description FROM orders WHERE description LIKE 'failover %'", connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetGuid(0));
            var key = reader.GetString(1)["failover ".Length..];
            stored[key] = stored.GetValueOrDefault(key) + 1;
        }
        var acknowledged = Acknowledged.ToList();
        var missing = acknowledged.Where(a => !ids.Contains(a.Id)).ToList();
        return new Tally(
            acknowledged.Count,
            acknowledged.Count - missing.Count,
            missing.Count,
            stored.Values.Sum(n => n - 1),
            string.Join("; ", missing.Select(a =>
                $"{a.Key} acknowledged at {a.At.TotalSeconds:0.000} s{(a.Replayed ? " (a replay)" : "")}, its key stored {stored.GetValueOrDefault(a.Key)} time(s)")));
    }

    public sealed record Tally(int Acknowledged, int Found, int Missing, int Duplicates, string MissingDetail = "")
    {
        public override string ToString() =>
            $"acknowledged {Acknowledged}, found {Found}, missing {Missing}, duplicates {Duplicates}{(Missing > 0 ? $" [{MissingDetail}]" : "")}";
    }

    public string StatusLine() => string.Join(", ", Statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"));
}
