using System.Diagnostics;
using Repository = Whistle.Api.Tests.Infrastructure.Repository;

namespace Whistle.Client.Tests;

/// <summary>
/// The TypeScript side of the client tests (TypeScript/): its npm packages, installed by this project's build,
/// and the programs it runs. Without node or the packages, the tests that need them are skipped with the reason.
/// </summary>
public static class TypeScriptClients
{
    public static string Directory { get; } = Path.Combine(Repository.Root, "tests", "Whistle.Client.Tests", "TypeScript");

    public static string? Unavailable { get; } =
        !OnPath("node") ? "node is not installed (apt-get install nodejs npm); the TypeScript client tests need it."
        : !File.Exists(Path.Combine(Directory, "node_modules", "typescript", "bin", "tsc"))
            ? $"The TypeScript generators are not installed in {Directory}: this project's build runs 'npm ci' there (npm needed)."
        : null;

    private static readonly SemaphoreSlim Generating = new(1, 1);
    private static bool _generated;

    /// <summary>Generates both clients from the committed document and compiles them and the programs with tsc --strict, once.</summary>
    public static async Task GenerateAndCompileAsync()
    {
        await Generating.WaitAsync();
        try
        {
            if (_generated)
            {
                return;
            }
            var document = Path.Combine(Repository.Root, "openapi", "whistle.v1.json");
            await RunAsync("node_modules/.bin/openapi-typescript", document, "-o", "generated/openapi-typescript/schema.ts");
            await RunAsync("node_modules/.bin/openapi-ts", "-f", "openapi-ts.config.mjs");
            await RunAsync("node_modules/.bin/tsc", "-p", "tsconfig.json");
            _generated = true;
        }
        finally
        {
            Generating.Release();
        }
    }

    /// <summary>Runs a program of this folder; its output, or an exception with it when it fails.</summary>
    public static async Task<string> RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program.StartsWith("node_modules", StringComparison.Ordinal) ? Path.Combine(Directory, program) : program)
        {
            WorkingDirectory = Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        var text = await output + await error;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited {process.ExitCode}:\n{text}");
        }
        return text;
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(d => File.Exists(Path.Combine(d, program)));
}

/// <summary>A fact that needs node and the TypeScript generators; skipped with the reason without them.</summary>
public sealed class TypeScriptFactAttribute : FactAttribute
{
    public TypeScriptFactAttribute() => Skip = TypeScriptClients.Unavailable;
}
