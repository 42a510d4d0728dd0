using Whistle.Domain.Orders;

namespace Whistle.Domain.Tests;

/// <summary>
/// The lifecycle graph in docs/lifecycle.md is the one <see cref="Lifecycle.Describe"/> gives, so it cannot
/// fall behind the definition. After changing the lifecycle, regenerate it with
/// <c>WHISTLE_UPDATE_README=1 dotnet test --filter FullyQualifiedName~ReadmeGraphTests</c>.
/// </summary>
public class ReadmeGraphTests
{
    private const string Opening = "## The lifecycle\n\n```mermaid\n";

    [Fact]
    public void The_readmes_lifecycle_graph_is_the_definitions()
    {
        var path = Readme();
        var text = File.ReadAllText(path).ReplaceLineEndings("\n");
        var from = text.IndexOf(Opening, StringComparison.Ordinal) + Opening.Length;
        var to = text.IndexOf("```", from, StringComparison.Ordinal);
        var graph = Lifecycle.Describe().Mermaid.ReplaceLineEndings("\n").Trim() + "\n";

        if (Environment.GetEnvironmentVariable("WHISTLE_UPDATE_README") == "1")
        {
            File.WriteAllText(path, text[..from] + graph + text[to..]);
            text = File.ReadAllText(path);
        }

        Assert.True(from >= Opening.Length && to > from, "docs/lifecycle.md has no mermaid block under '## The lifecycle'.");
        Assert.Equal(graph, text[from..to]);
    }

    private static string Readme()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Whistle.sln")))
            {
                return Path.Combine(directory.FullName, "docs", "lifecycle.md");
            }
        }
        throw new FileNotFoundException("No Whistle.sln above the test's directory.");
    }
}
