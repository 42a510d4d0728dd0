using System.Globalization;
using FluentValidation.Results;

namespace Whistle.Api.Features.Credentials;

/// <summary>
/// <c>dotnet run --project src/Whistle.Api -- credentials create|list|revoke …</c>: API keys from the
/// command line, for the first admin key and for people at the server. The same validator and
/// handler as the admin API; the same database as the service (the configured one, or the embedded
/// default, started here if the service is not running and stopped again after). One <c>create</c> makes
/// several keys with <c>--next</c>: each start of the program costs seconds, so a script's keys share one.
/// </summary>
public static class CredentialsCommand
{
    public const string Actor = "command line";

    /// <summary>Separates the credentials of one <c>create</c> that makes several (one start instead of one per key).</summary>
    public const string Next = "--next";

    private const string Usage = """
        usage: credentials create --role ROLE [--department CODE] [--community CODE] [--street CODE] [--grid CODE]... [--name TEXT]
                                  [--next --role ROLE ...]...
               credentials list [--role ROLE] [--all]
               credentials revoke ID
        roles: grid-worker (--grid and/or --community), community (--community), department (--department),
               supervisor (--street, or none for the whole district), admin, dashboard
        create prints what it made, then the keys alone, one per line in the order asked, as its last lines.
        """;

    /// <summary>A verb ready to run, or what is wrong with the arguments.</summary>
    private sealed record Parsed(Func<WhistleDbContext, Task<int>>? Verb, string? Problem = null);

    /// <summary>Exit codes: 0 done, 1 not found, 2 a bad argument (the errors on <paramref name="errors"/>).</summary>
    public static async Task<int> RunAsync(string[] args, IConfiguration configuration, TextWriter output, TextWriter errors)
    {
        if (CommandLine.VerbAsksForHelp(args))
        {
            await output.WriteLineAsync(Usage);
            return 0;
        }
        // What the verb prints is held back until the embedded cluster has stopped (which it logs), so the keys stay the last lines.
        var said = new StringWriter();
        var parsed = args switch
        {
            ["create", .. var rest] => Create(rest, said, errors),
            ["list", .. var rest] => List(rest, said, errors),
            ["revoke", .. var rest] => Revoke(rest, said, errors),
            [] => new Parsed(null, "credentials: which verb? create, list or revoke."),
            [var other, ..] => new Parsed(null, $"credentials: '{other}' is not a verb; create, list or revoke."),
        };
        if (parsed.Verb is not { } verb)
        {
            // The usage first, then the one line that says which argument is wrong.
            await errors.WriteLineAsync(Usage);
            await errors.WriteLineAsync(parsed.Problem);
            return 2;
        }
        var (connections, embedded) = await DatabaseStartup.ResolveAsync(configuration, command: true);
        // A verb migrates as the service's start does: the direct connection.
        var connectionString = connections.Direct;
        int exit;
        try
        {
            var options = new DbContextOptionsBuilder<WhistleDbContext>();
            options.UseWhistleStore(connectionString);
            await using var db = new WhistleDbContext(options.Options);
            // As the service does at start: a fresh store is migrated, and the embedded default gets its reference set.
            await DatabaseStartup.PrepareAsync(db, loadReferenceData: embedded is not null, default);
            exit = await verb(db);
        }
        finally
        {
            if (embedded is not null)
            {
                await embedded.DisposeAsync();
            }
        }
        await output.WriteAsync(said.ToString());
        await output.FlushAsync();
        return exit;
    }

    private static Parsed Create(string[] args, TextWriter output, TextWriter errors)
    {
        // One credential per group of options; --next starts the next group.
        var groups = new List<List<string>> { new() };
        foreach (var arg in args)
        {
            if (arg == Next)
            {
                groups.Add([]);
            }
            else
            {
                groups[^1].Add(arg);
            }
        }
        var requests = new List<(string? Role, CreateCredential.Request Request)>();
        foreach (var group in groups)
        {
            var which = groups.Count > 1 ? $"credentials create (credential {requests.Count + 1})" : "credentials create";
            if (group.Count == 0 && groups.Count > 1)
            {
                return new Parsed(null, $"{which}: no options; each credential needs at least --role.");
            }
            string? role = null, name = null, department = null, community = null, street = null;
            var grids = new List<string>();
            for (var i = 0; i < group.Count; i++)
            {
                var option = group[i];
                if (option is not ("--role" or "--name" or "--department" or "--community" or "--street" or "--grid"))
                {
                    return new Parsed(null, $"{which}: '{option}' is not an option; see the usage above.");
                }
                if (i + 1 >= group.Count || group[i + 1] == Next)
                {
                    return new Parsed(null, $"{which}: {option} needs a value.");
                }
                var value = group[++i];
                switch (option)
                {
                    case "--role":
                        role = value;
                        break;
                    case "--name":
                        name = value;
                        break;
                    case "--department":
                        department = value;
                        break;
                    case "--community":
                        community = value;
                        break;
                    case "--street":
                        street = value;
                        break;
                    default:
                        grids.Add(value);
                        break;
                }
            }
            requests.Add((role, new CreateCredential.Request(null, name, department, community, street, grids.Count > 0 ? grids : null)));
        }
        return new Parsed(async db =>
        {
            // Every credential is checked before any is made, and all are made in one transaction: all or none.
            var commands = new List<CreateCredential.Command>();
            for (var n = 0; n < requests.Count; n++)
            {
                var (role, request) = requests[n];
                var which = requests.Count > 1 ? $"credential {n + 1}: " : "";
                if (!WireName.TryParse<Role>(role, out var parsed))
                {
                    await errors.WriteLineAsync($"{which}--role: {(role is null ? "--role is required" : $"'{role}' is not a role")}; one of {string.Join(", ", WireName.All<Role>())}.");
                    continue;
                }
                var command = new CreateCredential.Command(request with { Role = parsed }, Actor);
                var result = await new CreateCredential.Validator().ValidateAsync(command);
                if (!result.IsValid)
                {
                    await WriteAsync(errors, result.Errors, which);
                    continue;
                }
                commands.Add(command);
            }
            if (commands.Count < requests.Count)
            {
                return 2;
            }
            await using var transaction = await db.Database.BeginTransactionAsync();
            var created = new List<CreateCredential.Created>();
            foreach (var command in commands)
            {
                try
                {
                    created.Add(await new CreateCredential.Handler(db, TimeProvider.System).Handle(command, default));
                }
                catch (ValidationException invalid)
                {
                    // Codes unknown to the store; the transaction is disposed uncommitted, so none is made.
                    await WriteAsync(errors, invalid.Errors, commands.Count > 1 ? $"credential {created.Count + 1}: " : "");
                    return 2;
                }
            }
            await transaction.CommitAsync();
            foreach (var c in created)
            {
                await output.WriteLineAsync($"Created {WireName.Of(c.Role)} credential {c.Id} \"{c.Name}\"{Scope(c.DepartmentCode, c.CommunityCode, c.StreetCode, c.GridCodes)}.");
            }
            await output.WriteLineAsync(created.Count == 1
                ? $"Send the key below as X-Api-Key. It is shown only now: only its hash is kept (prefix {created[0].KeyPrefix})."
                : "Send the keys below as X-Api-Key, one per line in the order asked. They are shown only now: only their hashes are kept.");
            // The last lines are the keys and nothing else, for scripts: KEY=$(… | tail -n 1).
            foreach (var c in created)
            {
                await output.WriteLineAsync(c.Key);
            }
            return 0;
        });
    }

    private static Parsed List(string[] args, TextWriter output, TextWriter errors)
    {
        string? role = null;
        var all = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--role" when i + 1 < args.Length:
                    role = args[++i];
                    break;
                case "--role":
                    return new Parsed(null, "credentials list: --role needs a value.");
                case "--all":
                    all = true;
                    break;
                default:
                    return new Parsed(null, $"credentials list: '{args[i]}' is not an option; it takes --role ROLE and --all.");
            }
        }
        return new Parsed(async db =>
        {
            var query = new ListCredentials.Query(role, all);
            var result = await new ListCredentials.Validator().ValidateAsync(query);
            if (!result.IsValid)
            {
                await WriteAsync(errors, result.Errors, "");
                return 2;
            }
            foreach (var c in await new ListCredentials.Handler(db).Handle(query, default))
            {
                var revoked = c.RevokedAt is { } at ? string.Create(CultureInfo.InvariantCulture, $"  revoked {at:u} by {c.RevokedBy}") : "";
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{c.Id}  {c.KeyPrefix}  {WireName.Of(c.Role),-11}  \"{c.Name}\"{Scope(c.DepartmentCode, c.CommunityCode, c.StreetCode, c.GridCodes)}  created {c.CreatedAt:u} by {c.CreatedBy}{revoked}"));
            }
            return 0;
        });
    }

    private static Parsed Revoke(string[] args, TextWriter output, TextWriter errors) => args switch
    {
        [var id] when Guid.TryParse(id, out var credentialId) => new Parsed(db => RevokeAsync(db, credentialId, output, errors)),
        [var id] => new Parsed(null, $"credentials revoke: '{id}' is not a credential id; an id is a GUID, the first column of 'credentials list'."),
        [] => new Parsed(null, "credentials revoke: which credential? Give its id, the first column of 'credentials list'."),
        [_, var extra, ..] => new Parsed(null, $"credentials revoke: one id at a time; '{extra}' is one argument too many."),
    };

    private static async Task<int> RevokeAsync(WhistleDbContext db, Guid id, TextWriter output, TextWriter errors)
    {
        try
        {
            var revoked = await new RevokeCredential.Handler(db, TimeProvider.System).Handle(new RevokeCredential.Command(id, Actor), default);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"Revoked {revoked.Id} \"{revoked.Name}\" at {revoked.RevokedAt:u}; running instances refuse it within {CredentialCache.Lifetime.TotalSeconds:0} s."));
            return 0;
        }
        catch (NotFoundException notFound)
        {
            await errors.WriteLineAsync(notFound.Message);
            return 1;
        }
    }

    private static string Scope(string? department, string? community, string? street, IReadOnlyList<string> grids)
    {
        var parts = new[]
        {
            department is null ? null : "department " + department,
            community is null ? null : "community " + community,
            street is null ? null : "street " + street,
            grids.Count == 0 ? null : "grids " + string.Join(",", grids),
        }.Where(p => p is not null).ToArray();
        return parts.Length == 0 ? "" : " for " + string.Join(", ", parts);
    }

    private static async Task WriteAsync(TextWriter errors, IEnumerable<ValidationFailure> failures, string which)
    {
        foreach (var failure in failures)
        {
            // Named as the options are: --department, not departmentCode.
            var option = failure.PropertyName switch
            {
                "departmentCode" => "--department",
                "communityCode" => "--community",
                "streetCode" => "--street",
                "gridCodes" => "--grid",
                var other => "--" + other,
            };
            await errors.WriteLineAsync($"{which}{option}: {failure.ErrorMessage}");
        }
    }
}
