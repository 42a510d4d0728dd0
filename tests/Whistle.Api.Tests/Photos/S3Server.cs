using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Photos;

/// <summary>
/// A real S3-protocol server for the tests: the npm registry's s3rver, installed under S3/ by the test
/// project's build (npm ci) and started here on a free port with a bucket of its own.
/// </summary>
public sealed class S3Server : IAsyncDisposable
{
    public const string Bucket = "whistle-photos";
    // s3rver's built-in credentials.
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";

    // Installed beside the test project's sources (tests/Whistle.Api.Tests/S3), found from the test assembly's folder.
    private static readonly string Script = Path.Combine(ProjectDirectory(), "S3", "node_modules", "s3rver", "bin", "s3rver.js");

    private static string ProjectDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "S3", "package.json")))
            {
                return dir.FullName;
            }
        }
        return AppContext.BaseDirectory;
    }

    /// <summary>Why the S3 tests cannot run here, or null when they can.</summary>
    public static string? Unavailable =>
        !OnPath("node") ? "node is not installed (apt-get install nodejs npm); the S3 store's tests need it to run s3rver."
        : !File.Exists(Script) ? $"s3rver is not installed at {Script}: the test project's build runs 'npm ci' in tests/Whistle.Api.Tests/S3 (npm needed)."
        : null;

    private readonly Process _process;
    private readonly string _directory;

    public string ServiceUrl { get; }

    private S3Server(Process process, string directory, string serviceUrl) => (_process, _directory, ServiceUrl) = (process, directory, serviceUrl);

    public static async Task<S3Server> StartAsync()
    {
        var directory = Directory.CreateTempSubdirectory("whistle-s3rver-").FullName;
        var port = FreePort();
        var process = Process.Start(new ProcessStartInfo("node", [Script, "-d", directory, "-a", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--silent", "--no-vhost-buckets", "--configure-bucket", Bucket])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("Could not start node.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new S3Server(process, directory, $"http://127.0.0.1:{port}");
        // Ready when it answers HTTP (the bucket is configured before it listens).
        using var http = new HttpClient();
        for (var i = 0; i < 200; i++)
        {
            try
            {
                await http.GetAsync(server.ServiceUrl);
                return server;
            }
            catch (HttpRequestException) when (!process.HasExited)
            {
                await Task.Delay(100);
            }
        }
        await server.DisposeAsync();
        throw new InvalidOperationException("s3rver did not start.");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(dir => File.Exists(Path.Combine(dir, name)));
}

/// <summary>A test of the S3 store: skipped, with the reason, when s3rver cannot run here.</summary>
public sealed class S3FactAttribute : FactAttribute
{
    public S3FactAttribute()
    {
        if (S3Server.Unavailable is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>The service configured with Whistle__Photos__Store=s3 against a private s3rver.</summary>
public sealed class S3App : WhistleApp
{
    private S3Server? _server;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        if (S3Server.Unavailable is null)
        {
            _server = await S3Server.StartAsync();
        }
    }

    protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Whistle:Photos:Store", "s3");
        builder.UseSetting("Whistle:Photos:S3:ServiceUrl", _server?.ServiceUrl ?? "http://127.0.0.1:1");
        builder.UseSetting("Whistle:Photos:S3:Bucket", S3Server.Bucket);
        builder.UseSetting("Whistle:Photos:S3:AccessKey", S3Server.AccessKey);
        builder.UseSetting("Whistle:Photos:S3:SecretKey", S3Server.SecretKey);
        // The object store's ages are its server's (seconds): a short grace period, waited for in real time.
        builder.UseSetting("Whistle:Photos:SweepAfter", "00:00:01");
        builder.UseSetting("Whistle:Photos:SweepInterval", "00:00:00");
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
