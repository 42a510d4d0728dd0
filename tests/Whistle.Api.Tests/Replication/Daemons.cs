using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace Whistle.Api.Tests.Replication;

/// <summary>
/// A server from the machine's own packages, started by a test in a folder of its own on loopback,
/// its output kept in a log file, stopped by its process id. As root it runs as <c>postgres</c>
/// (PostgreSQL refuses root): through <c>setpriv</c>, which becomes the program instead of starting
/// it as a child, so the process id is the server's own and a kill -9 reaches it.
/// </summary>
public sealed class Daemon : IAsyncDisposable
{
    private readonly Process _process;

    private Daemon(Process process, string log)
    {
        _process = process;
        LogFile = log;
    }

    public static bool AsRoot => Environment.UserName == "root";

    public string LogFile { get; }

    public int Pid => _process.Id;

    public bool Exited => _process.HasExited;

    /// <param name="asServerUser">As root, run it as <c>postgres</c>; false for a program of the test's own (the service).</param>
    public static Daemon Start(string program, IEnumerable<string> arguments, string log, IDictionary<string, string>? environment = null,
        string? workingDirectory = null, bool asServerUser = true)
    {
        var switchUser = AsRoot && asServerUser;
        var info = new ProcessStartInfo(switchUser ? "setpriv" : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetDirectoryName(log)!,
        };
        if (switchUser)
        {
            foreach (var argument in (string[])["--reuid=postgres", "--regid=postgres", "--init-groups", program])
            {
                info.ArgumentList.Add(argument);
            }
        }
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        // Its own folder as home: root's is not the server user's to read.
        info.Environment["HOME"] = Path.GetDirectoryName(log)!;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {program}");
        var writer = TextWriter.Synchronized(new StreamWriter(log, append: true) { AutoFlush = true });
        process.OutputDataReceived += (_, e) => Write(writer, e.Data);
        process.ErrorDataReceived += (_, e) => Write(writer, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var pid = process.Id;
        // Should the test run end without disposing it, nothing is left running.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Kill(pid, "KILL");
        return new Daemon(process, log);
    }

    private static void Write(TextWriter writer, string? line)
    {
        if (line is not null)
        {
            try
            {
                writer.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    public string Tail(int lines = 30) => File.Exists(LogFile)
        ? string.Join('\n', File.ReadLines(LogFile).TakeLast(lines))
        : "";

    /// <summary>
    /// The log's story: each distinct message once, where it first appeared (the timestamp set aside), the last
    /// <paramref name="lines"/> of them. A Patroni repeats the same few lines every second; its turns are the rest.
    /// </summary>
    public string Events(int lines = 60)
    {
        if (!File.Exists(LogFile))
        {
            return "";
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return string.Join('\n', File.ReadLines(LogFile).Where(l => seen.Add(l.Length > 24 && char.IsAsciiDigit(l[0]) ? l[24..] : l)).TakeLast(lines));
    }

    /// <summary>Sends a signal (KILL, STOP, CONT, TERM) to a process by id; false when it is gone.</summary>
    public static bool Kill(int pid, string signal)
    {
        try
        {
            using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])
            {
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            kill.WaitForExit();
            return kill.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    public void Signal(string signal) => Kill(Pid, signal);

    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }
        Signal("TERM");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Signal("KILL");
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }

    /// <summary>A folder the server's user owns, removed with <see cref="RemoveFolder"/>.</summary>
    public static string NewFolder(string name)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"whistle-{name}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(folder);
        if (AsRoot)
        {
            Run("chown", "postgres:postgres", folder);
        }
        return folder;
    }

    public static void RemoveFolder(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Writes a file the server's user may read.</summary>
    public static void WriteFile(string path, string text)
    {
        File.WriteAllText(path, text, new UTF8Encoding(false));
        if (AsRoot)
        {
            Run("chown", "postgres:postgres", path);
        }
    }

    /// <summary>Runs a command to its end as the server's user; throws with its output when it fails.</summary>
    public static string Run(string program, params string[] arguments)
    {
        var asUser = AsRoot && program != "chown";
        var info = new ProcessStartInfo(asUser ? "setpriv" : program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (asUser)
        {
            foreach (var argument in (string[])["--reuid=postgres", "--regid=postgres", "--init-groups", program])
            {
                info.ArgumentList.Add(argument);
            }
        }
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        info.WorkingDirectory = Path.GetTempPath();
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish in 2 minutes");
        }
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {output.Result}{errors.Result}");
        }
        return output.Result;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Why these tests cannot run here (a package missing), or null.</summary>
    public static string? Missing(params string[] programs)
    {
        var absent = programs.Where(p => !File.Exists(p)).ToList();
        return absent.Count == 0 ? null : $"Not installed: {string.Join(", ", absent)} (.ci/run installs them)";
    }

    /// <summary>Waits until <paramref name="condition"/> holds, polling; throws with <paramref name="what"/> when it never does.</summary>
    public static async Task<TimeSpan> UntilAsync(Func<Task<bool>> condition, TimeSpan within, string what)
    {
        var started = Stopwatch.StartNew();
        while (started.Elapsed < within)
        {
            try
            {
                if (await condition())
                {
                    return started.Elapsed;
                }
            }
            catch (Exception e) when (e is NpgsqlException or HttpRequestException or IOException or InvalidOperationException or TaskCanceledException or SocketException)
            {
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"Not within {within.TotalSeconds} s: {what}");
    }
}
