namespace Whistle.Api.Infrastructure;

/// <summary>
/// The program's own usage, and how a verb is asked for its usage: <c>--help</c>, <c>-h</c> or
/// <c>help</c> anywhere after it. Asked for, usage goes to standard output with exit 0; printed
/// because an argument was wrong, to standard error with exit 2.
/// </summary>
public static class CommandLine
{
    public const string Usage = """
        usage: dotnet run --project src/Whistle.Api [-- --urls http://localhost:PORT]   run the service (default http://localhost:5080)
               dotnet run --project src/Whistle.Api -- seed --orders N [--year YYYY] [--seed S]
               dotnet run --project src/Whistle.Api -- reference export|import ...
               dotnet run --project src/Whistle.Api -- credentials create|list|revoke ...
               dotnet run --project src/Whistle.Api -- VERB --help                      a verb's usage
        The database: ConnectionStrings__Whistle, or else the embedded PostgreSQL in the data folder
        (WHISTLE_DATA_DIR; by default ~/.local/share/whistle, /var/lib/whistle as root). The service and the
        verbs must use the same one: the same setting, as the same user.
        Another port: --urls http://localhost:5081 (or ASPNETCORE_URLS). Stop the service with Ctrl+C.
        """;

    /// <summary>The program alone asked for its usage: nothing else on the line.</summary>
    public static bool AsksForHelp(string[] args) => args is ["--help" or "-h" or "help" or "-?"];

    /// <summary>A verb's arguments (what follows the verb) ask for its usage.</summary>
    public static bool VerbAsksForHelp(string[] args) =>
        args is ["help", ..] || args.Any(a => a is "--help" or "-h" or "-?");
}
