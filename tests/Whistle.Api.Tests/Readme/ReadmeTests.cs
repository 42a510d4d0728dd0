using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Whistle.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Whistle.Api.Tests.Readme;

/// <summary>
/// The README and the guides in <c>docs/</c> are the first client: every <c>```sh</c> and <c>```bash</c> block in
/// them runs as written, in the order a reader follows (<see cref="Guides"/>), in one bash (<c>set -euo pipefail</c>: a failed <c>curl -f</c> or an unset variable fails it),
/// against the service started as its own process on a fresh database, as a reader would run them.
/// The blocks read <c>WHISTLE_URL</c> and <c>WHISTLE_COMMAND</c> with the reader's defaults
/// (http://localhost:5080, <c>dotnet run --no-build --project src/Whistle.Api --</c>); this test points
/// them at its own instance and at the build under test.
/// <para>
/// A block is left out only when the line before its fence is <c>&lt;!-- not run by ReadmeTests: why --&gt;</c>,
/// and only if it does nothing but start something this test cannot (<c>cd</c> into the clone, <c>dotnet run</c>,
/// <c>dotnet test</c>: the service itself, the suite, seeding 25,500 orders, the benchmarks). No link leaves the repository.
/// </para>
/// </summary>
public partial class ReadmeTests(ITestOutputHelper output)
{
    private const string SkipMarker = "<!-- not run by ReadmeTests:";
    // Generous: the blocks start the command line several times, and a shared CI machine under load is slow (3–8 min seen).
    private static readonly TimeSpan RunWithin = TimeSpan.FromMinutes(15);

    /// <summary>The README, then the guides in the order a reader follows them (each continues the one before).</summary>
    public static readonly string[] Guides =
        ["README.md", "docs/lifecycle.md", "docs/integrating.md", "docs/field-app.md", "docs/open311.md", "docs/operating.md", "docs/limits.md", "docs/domain.md",
            "docs/benchmarks.md", "docs/development.md"];

    public sealed record Block(string File, int Line, string Language, string Text, string? SkipReason);

    [Fact]
    public void Every_guide_in_docs_is_run_in_its_place()
    {
        var inDocs = Directory.GetFiles(Path.Combine(Repository.Root, "docs"), "*.md").Select(f => "docs/" + Path.GetFileName(f));

        Assert.Empty(inDocs.Except(Guides));
    }

    [Fact]
    public void No_link_leaves_the_repository_and_each_names_a_file_and_heading_that_exist()
    {
        foreach (var guide in Guides)
        {
            var text = File.ReadAllText(Path.Combine(Repository.Root, guide));
            foreach (Match link in Link().Matches(WithoutCode(text)))
            {
                var target = link.Groups[1].Value;
                Assert.False(target.Contains("://", StringComparison.Ordinal) || target.StartsWith("//", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal),
                    $"{guide}: the link {target} leaves the repository");
                var (path, anchor) = target.IndexOf('#') is var hash and >= 0 ? (target[..hash], target[(hash + 1)..]) : (target, "");
                var file = path.Length == 0 ? guide : Path.GetRelativePath(Repository.Root, Path.GetFullPath(Path.Combine(Repository.Root, Path.GetDirectoryName(guide)!, path)));
                var full = Path.Combine(Repository.Root, file);
                Assert.True(File.Exists(full) || Directory.Exists(full), $"{guide}: the link {target} names no file in the repository");
                if (anchor.Length > 0)
                {
                    Assert.Contains(anchor, Headings(File.ReadAllText(full)));
                }
            }
        }
    }

    /// <summary>The anchors a Markdown file's headings get (GitHub's rule: lower case, punctuation dropped, spaces as hyphens).</summary>
    private static HashSet<string> Headings(string markdown) =>
        WithoutCode(markdown).Split('\n').Where(l => Heading().IsMatch(l))
            .Select(l => Regex.Replace(Heading().Replace(l, "").Trim().ToLowerInvariant(), @"[^\p{L}\p{N}\- _]", "").Replace(' ', '-'))
            .ToHashSet();

    private static string WithoutCode(string markdown) => Regex.Replace(markdown, "^```.*?^```", "", RegexOptions.Singleline | RegexOptions.Multiline);

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"^#{1,6} ")]
    private static partial Regex Heading();

    [Fact]
    public void Only_blocks_that_start_the_service_the_suite_seeding_or_a_benchmark_are_left_out_and_each_says_why()
    {
        var blocks = Blocks();

        // The walkthrough, safe retries, credentials, statistics, extensions and the two of webhooks, at least.
        Assert.True(blocks.Count(b => b.SkipReason is null) >= 7, "too few README blocks run");
        foreach (var block in blocks.Where(b => b.SkipReason is not null))
        {
            Assert.False(string.IsNullOrWhiteSpace(block.SkipReason), $"{block.File}:{block.Line}: the marker gives no reason");
            var commands = block.Text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'));
            Assert.All(commands, command => Assert.Matches(@"^(cd\b|dotnet (run|test)\b|bash tests/Whistle\.LoadTest/)", command));
        }
    }

    [Fact]
    public async Task Every_shell_block_runs_as_written_in_order_against_the_service_on_a_fresh_database()
    {
        var blocks = Blocks().Where(b => b.SkipReason is null).ToList();
        var connectionString = await TestDatabase.CreateAsync();
        await using var service = await ServiceProcess.StartAsync(connectionString);

        var script = new StringBuilder("set -euo pipefail\n");
        foreach (var block in blocks)
        {
            // Which block ran last, so a failure names it.
            script.Append(FormattableString.Invariant($"echo '>>> {block.File}:{block.Line}' >&2\n"));
            script.Append(block.Text).Append('\n');
        }
        var path = Path.Combine(Path.GetTempPath(), $"whistle-readme-{Guid.NewGuid():N}.sh");
        await File.WriteAllTextAsync(path, script.ToString());
        try
        {
            var (exit, stdout, stderr) = await RunBash(path, new Dictionary<string, string>
            {
                ["WHISTLE_URL"] = service.BaseAddress,
                ["WHISTLE_COMMAND"] = $"dotnet {ServiceProcess.Dll}",
                // The command line's database: the one the service uses, as the embedded default is for a reader.
                ["ConnectionStrings__Whistle"] = connectionString,
            });
            output.WriteLine(stdout);
            output.WriteLine(stderr);
            var last = stderr.Split('\n').LastOrDefault(l => l.StartsWith(">>> ", StringComparison.Ordinal)) ?? "(before the first block)";
            Assert.True(exit == 0, $"the guides' shell blocks failed (exit {exit}) in the block at {last[4..]}:\n{Tail(stderr)}\n{Tail(stdout)}");
            Assert.Equal(blocks.Count, stderr.Split('\n').Count(l => l.StartsWith(">>> ", StringComparison.Ordinal)));
            // Calls shown for their refusal (no -f) still never meet a server error.
            Assert.DoesNotMatch("\"status\":5[0-9][0-9]", stdout);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The guides' sh/bash blocks in a reader's order, each with its file, the line of its fence and its skip reason, if any.</summary>
    public static IReadOnlyList<Block> Blocks() => Guides.SelectMany(Blocks).ToList();

    private static IEnumerable<Block> Blocks(string guide)
    {
        var lines = File.ReadAllLines(Path.Combine(Repository.Root, guide));
        var blocks = new List<Block>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (Fence().Match(lines[i]) is not { Success: true } fence)
            {
                continue;
            }
            var start = i;
            var text = new StringBuilder();
            for (i++; i < lines.Length && lines[i].TrimEnd() != "```"; i++)
            {
                text.Append(lines[i]).Append('\n');
            }
            var before = lines.Take(start).LastOrDefault(l => l.Trim().Length > 0)?.Trim() ?? "";
            var reason = before.StartsWith(SkipMarker, StringComparison.Ordinal) && before.EndsWith("-->", StringComparison.Ordinal)
                ? before[SkipMarker.Length..^3].Trim()
                : null;
            blocks.Add(new Block(guide, start + 1, fence.Groups[1].Value, text.ToString(), reason));
        }
        return blocks;
    }

    [GeneratedRegex(@"^```(sh|bash)\s*$")]
    private static partial Regex Fence();

    private static string Tail(string text) => text.Length <= 4000 ? text : "…" + text[^4000..];

    private static async Task<(int Exit, string Stdout, string Stderr)> RunBash(string script, Dictionary<string, string> environment)
    {
        var info = new ProcessStartInfo("bash")
        {
            WorkingDirectory = Repository.Root, // the blocks name paths from the clone's root, as the README's reader stands there
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(script);
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start bash");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(RunWithin);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return (-1, await stdout, await stderr + $"\n(timed out after {RunWithin.TotalMinutes} minutes)");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The built service as its own process on a free loopback port, told where to listen by ASPNETCORE_URLS.</summary>
    private sealed class ServiceProcess : IAsyncDisposable
    {
        /// <summary>The service's build under test, beside this assembly (with its runtimeconfig, deps and appsettings).</summary>
        public static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "Whistle.Api.dll");

        private readonly Process _process;
        private readonly StringBuilder _log = new();

        private ServiceProcess(Process process, string baseAddress)
        {
            _process = process;
            BaseAddress = baseAddress;
        }

        public string BaseAddress { get; }

        public static async Task<ServiceProcess> StartAsync(string connectionString)
        {
            int port;
            using (var listener = new TcpListener(IPAddress.Loopback, 0))
            {
                listener.Start();
                port = ((IPEndPoint)listener.LocalEndpoint).Port;
            }
            var info = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = AppContext.BaseDirectory, // the content root: appsettings.json is here
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            info.ArgumentList.Add(Dll);
            var baseAddress = $"http://127.0.0.1:{port}";
            info.Environment["ASPNETCORE_URLS"] = baseAddress;
            info.Environment["ConnectionStrings__Whistle"] = connectionString;
            info.Environment.Remove("ASPNETCORE_ENVIRONMENT");
            info.Environment.Remove("DOTNET_ENVIRONMENT");
            var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the service");
            var service = new ServiceProcess(process, baseAddress);
            // Gone with the test run, however that ends.
            AppDomain.CurrentDomain.ProcessExit += (_, _) => service.Kill();
            process.OutputDataReceived += (_, e) => service.Keep(e.Data);
            process.ErrorDataReceived += (_, e) => service.Keep(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try
            {
                await service.WaitReadyAsync();
            }
            catch
            {
                await service.DisposeAsync();
                throw;
            }
            return service;
        }

        private void Keep(string? line)
        {
            if (line is not null)
            {
                lock (_log)
                {
                    _log.AppendLine(line);
                }
            }
        }

        private async Task WaitReadyAsync()
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < TimeSpan.FromSeconds(120))
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"The service exited with {_process.ExitCode}:\n{Log()}");
                }
                try
                {
                    if ((await http.GetAsync(BaseAddress + "/health/ready")).StatusCode == HttpStatusCode.OK)
                    {
                        return;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // Not listening yet.
                }
                await Task.Delay(250);
            }
            throw new TimeoutException($"The service was not ready on {BaseAddress} within 120 s:\n{Log()}");
        }

        private string Log()
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }

        private void Kill()
        {
            try
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        }

        public async ValueTask DisposeAsync()
        {
            Kill();
            await _process.WaitForExitAsync();
        }
    }
}
