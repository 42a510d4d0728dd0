namespace Whistle.Api.Tests.Infrastructure;

/// <summary>Files of the repository the tests read (the committed OpenAPI document, the README).</summary>
public static class RepositoryFiles
{
    /// <summary>The folder holding Whistle.sln, found upwards from the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Whistle.sln")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException("Whistle.sln not found above " + AppContext.BaseDirectory);
    }
}
