using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Whistle.Api.Features.Credentials;
using Whistle.Api.Features.Reference;
using Whistle.Api.Infrastructure;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests;

/// <summary>The program as an operator meets it: usage on request, a busy port in one line, the database a verb used.</summary>
public class CommandLineTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    /// <summary>Runs the built service program, as <c>dotnet run --no-build</c> does, with no database configured.</summary>
    private static async Task<(int Exit, string Output, string Errors)> RunProgram(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(typeof(Program).Assembly.Location);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        // A data folder of its own, so a verb that did start a database would not touch anyone's.
        start.Environment["WHISTLE_DATA_DIR"] = Path.Combine(Path.GetTempPath(), $"whistle-cli-{Guid.NewGuid():N}");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await errors);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("help")]
    [InlineData("-h")]
    public async Task The_program_prints_its_usage_and_exits_0_instead_of_starting_a_service(string help)
    {
        var (exit, output, _) = await RunProgram(help);

        Assert.Equal(0, exit);
        Assert.StartsWith("usage: dotnet run --project src/Whistle.Api", output);
        Assert.Contains("seed", output);
        Assert.Contains("WHISTLE_DATA_DIR", output);
    }

    [Theory]
    [InlineData("seed", "--help")]
    [InlineData("seed", "help")]
    public async Task Seed_prints_its_usage_and_exits_0(params string[] args)
    {
        var (exit, output, _) = await RunProgram(args);

        Assert.Equal(0, exit);
        Assert.StartsWith("usage: seed --orders N", output);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("help")]
    [InlineData("create", "--help")]
    [InlineData("list", "-h")]
    [InlineData("revoke", "--help")]
    public async Task Credentials_and_each_of_its_verbs_print_the_usage_and_exit_0(params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();

        var exit = await CredentialsCommand.RunAsync(args, new ConfigurationBuilder().Build(), output, errors);

        Assert.Equal((0, ""), (exit, errors.ToString()));
        Assert.StartsWith("usage: credentials create", output.ToString());
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("help")]
    [InlineData("export", "--help")]
    [InlineData("import", "--help")]
    [InlineData("import", "boundaries.geojson", "--help")]
    public async Task Reference_and_each_of_its_verbs_print_the_usage_and_exit_0(params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();

        var exit = await ReferenceCommand.RunAsync(args, new ConfigurationBuilder().Build(), output, errors);

        Assert.Equal((0, ""), (exit, errors.ToString()));
        Assert.StartsWith("usage: reference export", output.ToString());
    }

    [Fact]
    public async Task A_busy_port_is_one_line_that_says_how_to_choose_another_and_exit_1()
    {
        using var other = new TcpListener(IPAddress.Loopback, 0);
        other.Start();
        var port = ((IPEndPoint)other.LocalEndpoint).Port;

        var (exit, _, errors) = await RunProgram("--urls", $"http://localhost:{port}");

        Assert.Equal(1, exit);
        var line = Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"http://localhost:{port}", line);
        Assert.Contains("--urls", line);
    }

    [Fact]
    public async Task A_verb_can_tell_a_database_a_service_uses_from_one_no_service_uses()
    {
        // The test service holds connections to its database once it has answered a request.
        await app.CreateClient().GetAsync("/health/ready");
        var unused = await TestDatabase.CreateEmptyAsync();

        Assert.True(await DatabaseStartup.OtherConnectionsAsync(app.ConnectionString) > 0);
        Assert.Equal(0, await DatabaseStartup.OtherConnectionsAsync(unused));
    }
}
