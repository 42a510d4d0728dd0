using Microsoft.Extensions.Configuration;
using Whistle.Api.Features.Credentials;

namespace Whistle.LoadTest;

/// <summary>API keys for the bench's clients, made by the service's own command-line verb against the bench database.</summary>
internal static class BenchKeys
{
    public const string Header = Whistle.Api.Features.Access.ApiKeys.Header;

    public static async Task<string[]> CreateAsync(string connectionString, int count, string name, CancellationToken ct)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Whistle"] = connectionString })
            .Build();
        var keys = new string[count];
        for (var i = 0; i < count; i++)
        {
            ct.ThrowIfCancellationRequested();
            var output = new StringWriter();
            var exit = await CredentialsCommand.RunAsync(["create", "--role", "admin", "--name", $"{name} {i + 1}"], configuration, output, Console.Error);
            if (exit != 0)
            {
                throw new InvalidOperationException($"credentials create exited with {exit}.");
            }
            // The verb's last line is the key.
            keys[i] = output.ToString().TrimEnd().Split('\n')[^1].Trim();
        }
        return keys;
    }
}
