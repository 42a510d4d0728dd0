namespace Whistle.Api.Tests.Infrastructure;

/// <summary>The clone the tests were built from: where README.md, the solution and src/ are.</summary>
public static class Repository
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Whistle.sln")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException("Whistle.sln not found above " + AppContext.BaseDirectory);
    }
}
