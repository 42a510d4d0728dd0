using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Whistle.LoadTest;

/// <summary>
/// The real service as its own process on a free loopback port, so its CPU can be told apart from
/// the load generator's and requests cross a real socket.
/// </summary>
internal sealed class ApiProcess : IAsyncDisposable
{
    // Ready waits for the statistics' first load: minutes at several million orders on a busy machine.
    private static readonly TimeSpan ReadyWithin = TimeSpan.FromMinutes(5);
    private readonly Process _process;
    private readonly Queue<string> _lastLines = new();
    private bool _disposed;

    private ApiProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public int ProcessId => _process.Id;

    /// <param name="environment">Extra environment for the service (a GC setting to compare, say).</param>
    public static async Task<ApiProcess> StartAsync(string apiDll, string connectionString, Action<string> log, CancellationToken ct,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var baseAddress = new Uri($"http://127.0.0.1:{FreePort()}");
        var info = new ProcessStartInfo("dotnet")
        {
            // The content root is the working folder: this is where appsettings.json (its log levels) is.
            WorkingDirectory = Path.GetDirectoryName(apiDll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(apiDll);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(baseAddress.ToString().TrimEnd('/'));
        info.Environment["ConnectionStrings__Whistle"] = connectionString;
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        // Rate limits stay on, so their cost is in the figures, but far above what any bench client sends.
        info.Environment["Whistle__RateLimit__PermitsPerSecond"] = "1000000";
        info.Environment["Whistle__RateLimit__Burst"] = "1000000";
        // The webhook benchmark's receiver listens on loopback.
        info.Environment["Whistle__Webhooks__AllowPrivateAddresses"] = "true";
        info.Environment.Remove("DOTNET_ENVIRONMENT");
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start dotnet");
        var api = new ApiProcess(process, baseAddress);
        // Drain both pipes, or the service blocks on a full one; keep the tail to explain a failure.
        process.OutputDataReceived += (_, e) => api.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => api.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => api.Kill();
        log($"Started the service (pid {process.Id}) on {baseAddress}");

        try
        {
            await api.WaitReadyAsync(ct);
        }
        catch
        {
            await api.DisposeAsync();
            throw;
        }
        return api;
    }

    private async Task WaitReadyAsync(CancellationToken ct)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.GetTimestamp() + (long)(ReadyWithin.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The service exited with {_process.ExitCode}:{Environment.NewLine}{Tail()}");
            }
            try
            {
                using var response = await http.GetAsync("/health/ready", ct);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                // Starting slowly on a busy machine.
            }
            await Task.Delay(250, ct);
        }
        throw new TimeoutException($"The service was not ready within {ReadyWithin.TotalSeconds} s:{Environment.NewLine}{Tail()}");
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_lastLines)
        {
            _lastLines.Enqueue(line);
            if (_lastLines.Count > 40)
            {
                _lastLines.Dequeue();
            }
        }
    }

    public string Tail()
    {
        lock (_lastLines)
        {
            return string.Join(Environment.NewLine, _lastLines);
        }
    }

    private void Kill()
    {
        if (_disposed)
        {
            return;
        }
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        Kill();
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
        }
        _disposed = true;
        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
