using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Whistle.Api.Features.Access;
using Whistle.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Whistle.Api.Tests.Replication;

/// <summary>The service as its own process (the built program, as `dotnet run` starts it) on a loopback port.</summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly string _log;
    private readonly string _connectionString;
    private Daemon? _daemon;

    public ServiceProcess(string name, string folder, string connectionString)
    {
        Port = Daemon.FreePort();
        _log = Path.Combine(folder, name + ".log");
        _connectionString = connectionString;
    }

    public int Port { get; }

    public Uri Address => new($"http://127.0.0.1:{Port}");

    public void Start()
    {
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Whistle"] = _connectionString,
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Whistle__RateLimit__Enabled"] = "false",
        };
        // As this test's user (the service needs no other): not through Daemon's switch to postgres.
        _daemon = Daemon.Start("dotnet", [typeof(Program).Assembly.Location, "--urls", Address.ToString().TrimEnd('/')],
            _log, environment, Path.GetDirectoryName(typeof(Program).Assembly.Location), asServerUser: false);
    }

    public async Task<bool> ReadyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        return (await http.GetAsync(new Uri(Address, "/health/ready"))).StatusCode == HttpStatusCode.OK;
    }

    public void Kill() => _daemon?.Signal("KILL");

    public string Tail() => _daemon?.Tail() ?? "";

    public async ValueTask DisposeAsync()
    {
        if (_daemon is not null)
        {
            await _daemon.DisposeAsync();
        }
    }
}

/// <summary>
/// Three instances of the service behind HAProxy, which checks each on /health/ready: one killed
/// under load costs only the requests it had in flight; HAProxy takes it out within its checks
/// and puts it back once it is ready again.
/// </summary>
[Collection(ReplicationCollection.Name)]
public sealed class LoadBalancerTests(ITestOutputHelper output)
{
    public sealed class HaProxyFactAttribute : FactAttribute
    {
        public HaProxyFactAttribute()
        {
            if (Daemon.Missing("/usr/sbin/haproxy") is { } reason)
            {
                Skip = reason;
            }
        }
    }

    [HaProxyFact]
    public async Task An_instance_killed_under_load_costs_only_its_requests_in_flight_and_is_taken_out_and_back()
    {
        var folder = Daemon.NewFolder("haproxy");
        var connectionString = await TestDatabase.CreateAsync();
        string key;
        await using (var db = TestDatabase.Context(connectionString))
        {
            key = (await CredentialStore.CreateAsync(db, new NewCredential(Role.Admin, "load balancer test"), "test", DateTimeOffset.UtcNow, default)).Key;
        }
        var instances = new[] { "a", "b", "c" }.Select(name => new ServiceProcess(name, folder, connectionString)).ToArray();
        Daemon? haproxy = null;
        try
        {
            foreach (var instance in instances)
            {
                instance.Start();
            }
            foreach (var instance in instances)
            {
                await Daemon.UntilAsync(instance.ReadyAsync, TimeSpan.FromSeconds(120), $"instance on {instance.Port} is ready:\n{instance.Tail()}");
            }
            var (front, stats) = (Daemon.FreePort(), Daemon.FreePort());
            var config = Path.Combine(folder, "haproxy.cfg");
            Daemon.WriteFile(config, $"""
                global
                    maxconn 2000
                defaults
                    mode http
                    timeout connect 1s
                    timeout client 30s
                    timeout server 30s
                    retries 2
                    option redispatch
                frontend api
                    bind 127.0.0.1:{front}
                    default_backend whistle
                backend whistle
                    balance roundrobin
                    option httpchk GET /health/ready
                    http-check expect status 200
                    default-server inter 500ms fall 2 rise 2
                {string.Join("\n", instances.Select((s, i) => $"    server i{i} 127.0.0.1:{s.Port} check"))}
                listen stats
                    bind 127.0.0.1:{stats}
                    stats enable
                    stats uri /stats

                """);
            haproxy = Daemon.Start("/usr/sbin/haproxy", ["-f", config], Path.Combine(folder, "haproxy-run.log"));
            using var statsClient = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{stats}") };
            async Task<string?> StatusAsync(string server) => (await statsClient.GetStringAsync("/stats;csv"))
                .Split('\n').Select(line => line.Split(',')).FirstOrDefault(f => f.Length > 17 && f[0] == "whistle" && f[1] == server)?[17];
            await Daemon.UntilAsync(async () => (await Task.WhenAll(instances.Select((_, i) => StatusAsync($"i{i}")))).All(s => s == "UP"),
                TimeSpan.FromSeconds(30), $"HAProxy has every instance up:\n{haproxy.Tail()}");

            // Phones and desks through HAProxy: filings and reads, one request at a time each.
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{front}"), Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Add(ApiKeys.Header, key);
            var statuses = new ConcurrentDictionary<int, int>();
            var failures = new ConcurrentBag<TimeSpan>();
            var clock = Stopwatch.StartNew();
            using var stop = new CancellationTokenSource();
            const int clients = 8;
            var workers = Enumerable.Range(0, clients).Select(i => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    int status;
                    try
                    {
                        using var response = i % 2 == 0
                            ? await http.PostAsJsonAsync("/api/v1/orders", Filing.Valid())
                            : await http.GetAsync("/api/v1/orders?limit=20");
                        status = (int)response.StatusCode;
                    }
                    catch (HttpRequestException)
                    {
                        // A request in flight on the killed instance whose answer had begun: HAProxy can only cut it (counted as 0).
                        status = 0;
                    }
                    statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
                    if (status is 0 or >= 500)
                    {
                        failures.Add(clock.Elapsed);
                    }
                }
            })).ToArray();
            await Task.Delay(TimeSpan.FromSeconds(3));

            var killedAt = clock.Elapsed;
            instances[1].Kill();
            var takenOut = await Daemon.UntilAsync(async () => await StatusAsync("i1") is { } s && s.StartsWith("DOWN", StringComparison.Ordinal),
                TimeSpan.FromSeconds(20), "HAProxy takes the killed instance out");
            await Task.Delay(TimeSpan.FromSeconds(2));
            var restartedAt = clock.Elapsed;
            instances[1].Start();
            var ready = await Daemon.UntilAsync(instances[1].ReadyAsync, TimeSpan.FromSeconds(120), "the instance is ready again");
            var back = await Daemon.UntilAsync(async () => await StatusAsync("i1") == "UP", TimeSpan.FromSeconds(30), "HAProxy puts it back");
            await Task.Delay(TimeSpan.FromSeconds(2));
            await stop.CancelAsync();
            await Task.WhenAll(workers);

            var total = statuses.Values.Sum();
            var failed = failures.Count;
            output.WriteLine($"{total} requests through HAProxy with {clients} clients; {failed} failed, answered 5xx or cut ({string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"))}); " +
                $"taken out {takenOut.TotalSeconds:0.0} s after the kill; ready {ready.TotalSeconds:0.0} s after its restart, back in HAProxy {(ready + back).TotalSeconds:0.0} s after it");
            // Only what the killed instance had in flight: at most one request per client, all at the kill.
            Assert.True(failed <= clients, $"{failed} requests failed, more than the {clients} that could be in flight");
            Assert.All(failures, at => Assert.True(at >= killedAt && at < killedAt + TimeSpan.FromSeconds(2), $"a 5xx at {at}, not at the kill ({killedAt})"));
            Assert.All(statuses.Keys, status => Assert.True(status is 0 or 200 or 201 or 502 or 503, $"answered {status}"));
            Assert.True(restartedAt > killedAt);
        }
        finally
        {
            if (haproxy is not null)
            {
                await haproxy.DisposeAsync();
            }
            foreach (var instance in instances)
            {
                await instance.DisposeAsync();
            }
            Daemon.RemoveFolder(folder);
        }
    }
}
