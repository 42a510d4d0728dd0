using System.Globalization;
using FluentValidation;
using FluentValidation.Results;
using Microsoft.EntityFrameworkCore;
using Whistle.Api.Features.Access;
using Whistle.Api.Infrastructure;
using Whistle.Api.Persistence;
using Whistle.Domain.Orders;

namespace Whistle.Api.Features.Credentials;

/// <summary>
/// <c>dotnet run --project src/Whistle.Api -- credentials create|list|revoke …</c>: API keys from the
/// command line, for the first admin key and for people at the server. The same validator and
/// handler as the admin API; the same database as the service (the configured one, or the embedded
/// default, started here if the service is not running and stopped again after).
/// </summary>
public static class CredentialsCommand
{
    public const string Actor = "command line";

    private const string Usage = """
        usage: credentials create --role ROLE [--department CODE] [--community CODE] [--street CODE] [--grid CODE]... [--name TEXT]
               credentials list [--role ROLE] [--all]
               credentials revoke ID
        roles: grid-worker (--grid and/or --community), community (--community), department (--department),
               supervisor (--street, or none for the whole district), admin, dashboard
        """;

    /// <summary>Exit codes: 0 done, 1 not found, 2 a bad argument (the errors on <paramref name="errors"/>).</summary>
    public static async Task<int> RunAsync(string[] args, IConfiguration configuration, TextWriter output, TextWriter errors)
    {
        // What the verb prints is held back until the embedded cluster has stopped (which it logs), so the key stays the last line.
        var said = new StringWriter();
        Func<WhistleDbContext, Task<int>>? verb = args switch
        {
            ["create", .. var rest] => Create(rest, said, errors),
            ["list", .. var rest] => List(rest, said, errors),
            ["revoke", var id] when Guid.TryParse(id, out var credentialId) => db => RevokeAsync(db, credentialId, said, errors),
            _ => null,
        };
        if (verb is null)
        {
            await errors.WriteLineAsync(Usage);
            return 2;
        }
        var (connectionString, embedded) = await DatabaseStartup.ResolveAsync(configuration);
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

    private static Func<WhistleDbContext, Task<int>>? Create(string[] args, TextWriter output, TextWriter errors)
    {
        string? role = null, name = null, department = null, community = null, street = null;
        var grids = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--role" when value is not null:
                    role = value;
                    break;
                case "--name" when value is not null:
                    name = value;
                    break;
                case "--department" when value is not null:
                    department = value;
                    break;
                case "--community" when value is not null:
                    community = value;
                    break;
                case "--street" when value is not null:
                    street = value;
                    break;
                case "--grid" when value is not null:
                    grids.Add(value);
                    break;
                default:
                    return null;
            }
            i++;
        }
        return async db =>
        {
            if (!WireName.TryParse<Role>(role, out var parsed))
            {
                await errors.WriteLineAsync($"--role: {(role is null ? "--role is required" : $"'{role}' is not a role")}; one of {string.Join(", ", WireName.All<Role>())}.");
                return 2;
            }
            var command = new CreateCredential.Command(
                new CreateCredential.Request(parsed, name, department, community, street, grids.Count > 0 ? grids : null), Actor);
            try
            {
                var result = await new CreateCredential.Validator().ValidateAsync(command);
                if (!result.IsValid)
                {
                    throw new ValidationException(result.Errors);
                }
                var created = await new CreateCredential.Handler(db, TimeProvider.System).Handle(command, default);
                await output.WriteLineAsync($"Created {WireName.Of(created.Role)} credential {created.Id} \"{created.Name}\"{Scope(created.DepartmentCode, created.CommunityCode, created.StreetCode, created.GridCodes)}.");
                await output.WriteLineAsync($"Send the key below as X-Api-Key. It is shown only now: only its hash is kept (prefix {created.KeyPrefix}).");
                // The last line is the key and nothing else, for scripts: KEY=$(… | tail -n 1).
                await output.WriteLineAsync(created.Key);
                return 0;
            }
            catch (ValidationException invalid)
            {
                await WriteAsync(errors, invalid.Errors);
                return 2;
            }
        };
    }

    private static Func<WhistleDbContext, Task<int>>? List(string[] args, TextWriter output, TextWriter errors)
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
                case "--all":
                    all = true;
                    break;
                default:
                    return null;
            }
        }
        return async db =>
        {
            var query = new ListCredentials.Query(role, all);
            var result = await new ListCredentials.Validator().ValidateAsync(query);
            if (!result.IsValid)
            {
                await WriteAsync(errors, result.Errors);
                return 2;
            }
            foreach (var c in await new ListCredentials.Handler(db).Handle(query, default))
            {
                var revoked = c.RevokedAt is { } at ? string.Create(CultureInfo.InvariantCulture, $"  revoked {at:u} by {c.RevokedBy}") : "";
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{c.Id}  {c.KeyPrefix}  {WireName.Of(c.Role),-11}  \"{c.Name}\"{Scope(c.DepartmentCode, c.CommunityCode, c.StreetCode, c.GridCodes)}  created {c.CreatedAt:u} by {c.CreatedBy}{revoked}"));
            }
            return 0;
        };
    }

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

    private static async Task WriteAsync(TextWriter errors, IEnumerable<ValidationFailure> failures)
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
            await errors.WriteLineAsync($"{option}: {failure.ErrorMessage}");
        }
    }
}
