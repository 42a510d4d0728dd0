using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Npgsql;
using Whistle.Api.Features.Access;
using Whistle.Api.Features.Credentials;
using Whistle.Api.Infrastructure;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Credentials;

/// <summary><c>credentials create|list|revoke</c>: run in-process against the test database, the keys then used over HTTP.</summary>
public class CredentialsCommandTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    private async Task<(int Exit, string[] Output, string Errors)> Run(params string[] args) =>
        await RunAgainst(new Dictionary<string, string?> { ["ConnectionStrings:Whistle"] = app.ConnectionString }, args);

    internal static async Task<(int Exit, string[] Output, string Errors)> RunAgainst(Dictionary<string, string?> settings, params string[] args)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var output = new StringWriter();
        var errors = new StringWriter();
        var exit = await CredentialsCommand.RunAsync(args, configuration, output, errors);
        return (exit, output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), errors.ToString());
    }

    [Fact]
    public async Task Create_prints_the_new_key_as_its_last_line_and_the_key_works_over_http()
    {
        var (exit, output, errors) = await Run("create", "--role", "community", "--community", "ST01-C01", "--name", "ST01-C01 office");

        Assert.Equal(0, exit);
        Assert.Equal("", errors);
        var key = output[^1];
        Assert.Matches("^wk_[A-Za-z0-9_-]{43}$", key);
        Assert.Contains("ST01-C01 office", output[0]);

        var community = app.ClientWithKey(key);
        var filed = await community.Post("/api/v1/orders", Filing.Valid(grid: "ST01-C01-G03"));
        Assert.Equal(HttpStatusCode.Created, filed.StatusCode);
        Assert.Equal("ST01-C01 office", (await filed.Read<Order>()).FiledBy);
        Assert.Equal(HttpStatusCode.Forbidden, (await community.Post("/api/v1/orders", Filing.Valid(grid: "ST01-C02-G01"))).StatusCode);
    }

    [Fact]
    public async Task Grids_repeat_and_the_credential_is_recorded_as_created_by_the_command_line()
    {
        var (exit, output, _) = await Run("create", "--role", "grid-worker", "--grid", "ST01-C01-G01", "--grid", "ST01-C01-G02");

        Assert.Equal(0, exit);
        await using var db = app.Db();
        var hash = ApiKeys.Hash(output[^1]);
        var stored = await db.Credentials.SingleAsync(c => c.KeyHash == hash);
        Assert.Equal(["ST01-C01-G01", "ST01-C01-G02"], stored.GridCodes);
        Assert.Equal((Role.GridWorker, "command line"), (stored.Role, stored.CreatedBy));
    }

    [Theory]
    [InlineData("--role: ", "create")]
    [InlineData("--role: ", "create", "--role", "mayor")]
    [InlineData("--department: ", "create", "--role", "department")]
    [InlineData("--department: ", "create", "--role", "department", "--department", "no-such-department")]
    [InlineData("--grid: ", "create", "--role", "grid-worker", "--grid", "ST99-C99-G99")]
    [InlineData("--street: ", "create", "--role", "admin", "--street", "ST01")]
    [InlineData("usage: ", "create", "--role")]
    [InlineData("usage: ", "create", "--colour", "red")]
    [InlineData("usage: ", "rotate")]
    [InlineData("usage: ")]
    public async Task A_bad_argument_prints_the_errors_to_stderr_exits_2_and_creates_nothing(string error, params string[] args)
    {
        var before = await Count();

        var (exit, output, errors) = await Run(args);

        Assert.Equal(2, exit);
        Assert.StartsWith(error, errors);
        Assert.Empty(output);
        Assert.Equal(before, await Count());
    }

    [Theory]
    [InlineData("credentials revoke: 'not-an-id' is not a credential id", "revoke", "not-an-id")]
    [InlineData("credentials revoke: which credential?", "revoke")]
    [InlineData("credentials revoke: one id at a time; 'b7c1a1d0-0000-4000-8000-000000000000' is one argument too many",
        "revoke", "0f8fad5b-d9cb-469f-a165-70867728950e", "b7c1a1d0-0000-4000-8000-000000000000")]
    [InlineData("credentials list: '--roles' is not an option", "list", "--roles", "admin")]
    [InlineData("credentials list: --role needs a value", "list", "--role")]
    [InlineData("credentials create: '--colour' is not an option", "create", "--colour", "red")]
    [InlineData("credentials create: --role needs a value", "create", "--role")]
    [InlineData("credentials create (credential 2): --grid needs a value", "create", "--role", "admin", "--next", "--role", "grid-worker", "--grid")]
    [InlineData("credentials create (credential 2): no options", "create", "--role", "admin", "--next")]
    [InlineData("credentials: 'rotate' is not a verb", "rotate")]
    [InlineData("credentials: which verb?")]
    public async Task A_bad_argument_is_named_after_the_usage(string complaint, params string[] args)
    {
        var before = await Count();

        var (exit, output, errors) = await Run(args);

        Assert.Equal(2, exit);
        Assert.StartsWith("usage: ", errors);
        // The usage, then one line naming the argument that is wrong.
        Assert.StartsWith(complaint, errors.TrimEnd().Split('\n')[^1]);
        Assert.Empty(output);
        Assert.Equal(before, await Count());
    }

    [Fact]
    public async Task One_create_makes_several_keys_the_last_lines_in_the_order_asked()
    {
        var (exit, output, errors) = await Run("create",
            "--role", "grid-worker", "--grid", "ST01-C01-G01", "--name", "Wang Fang",
            "--next", "--role", "department", "--department", "sanitation", "--name", "Sanitation dispatch",
            "--next", "--role", "dashboard");

        Assert.True(exit == 0, errors);
        var keys = output[^3..];
        Assert.All(keys, key => Assert.Matches("^wk_[A-Za-z0-9_-]{43}$", key));
        Assert.DoesNotMatch("^wk_", output[^4]);
        Assert.Equal(HttpStatusCode.Created, (await app.ClientWithKey(keys[0]).Post("/api/v1/orders", Filing.Valid(grid: "ST01-C01-G01"))).StatusCode);
        await using var db = app.Db();
        var stored = new List<Credential>();
        foreach (var key in keys)
        {
            var hash = ApiKeys.Hash(key);
            stored.Add(await db.Credentials.SingleAsync(c => c.KeyHash == hash));
        }
        Assert.Equal(("Wang Fang", Role.GridWorker), (stored[0].Name, stored[0].Role));
        Assert.Equal(("Sanitation dispatch", "sanitation"), (stored[1].Name, stored[1].DepartmentCode));
        Assert.Equal(Role.Dashboard, stored[2].Role);
    }

    [Fact]
    public async Task Several_keys_are_made_all_or_none_and_the_errors_name_the_credential()
    {
        var before = await Count();

        var (exit, output, errors) = await Run("create", "--role", "admin", "--name", "fine",
            "--next", "--role", "department", "--department", "no-such-department",
            "--next", "--role", "mayor");

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Contains("credential 3: --role: 'mayor' is not a role", errors);
        Assert.Equal(before, await Count());

        // The shape is right, but a code is unknown to the store: found while making them, and still none is made.
        (exit, output, errors) = await Run("create", "--role", "admin", "--name", "fine",
            "--next", "--role", "department", "--department", "no-such-department");

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.StartsWith("credential 2: --department: No department has the code 'no-such-department'.", errors);
        Assert.Equal(before, await Count());
    }

    [Fact]
    public async Task List_shows_the_keys_by_prefix_and_revoke_stops_one()
    {
        var (_, created, _) = await Run("create", "--role", "dashboard", "--name", "wall screen");
        var key = created[^1];
        var screen = app.ClientWithKey(key);
        Assert.Equal(HttpStatusCode.OK, (await screen.GetAsync("/api/v1/stats/summary")).StatusCode);

        var (listed, lines, _) = await Run("list", "--role", "dashboard");
        Assert.Equal(0, listed);
        var line = Assert.Single(lines, l => l.Contains("wall screen"));
        Assert.Contains(key[..ApiKeys.PrefixLength], line);
        Assert.DoesNotContain(key, line);
        var id = line.Split(' ')[0];

        var (revoked, _, _) = await Run("revoke", id);

        Assert.Equal(0, revoked);
        // The service learns of it within the cache's lifetime (here: at once, on the fake clock).
        app.Clock.Advance(Features.Access.CredentialCache.Lifetime);
        Assert.Equal(HttpStatusCode.Unauthorized, (await screen.GetAsync("/api/v1/stats/summary")).StatusCode);
        Assert.DoesNotContain((await Run("list", "--role", "dashboard")).Output, l => l.Contains("wall screen"));
        Assert.Contains((await Run("list", "--all")).Output, l => l.Contains("wall screen") && l.Contains("revoked"));
        Assert.Equal(1, (await Run("revoke", Guid.NewGuid().ToString())).Exit);
    }

    private async Task<int> Count()
    {
        await using var db = app.Db();
        return await db.Credentials.CountAsync();
    }
}

/// <summary>With no configuration: the embedded default, started and stopped by the verb, or reused and left running.</summary>
public sealed class CredentialsCommandEmbeddedTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "whistle-cli-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task Create_starts_the_embedded_default_and_stops_it_after_or_reuses_a_running_one_and_leaves_it_running()
    {
        var settings = new Dictionary<string, string?> { ["ConnectionStrings:Whistle"] = "", ["Whistle:DataDirectory"] = _directory };

        // Nothing running: the verb starts the cluster, migrates it, loads the reference set (the scope's codes exist), stops it.
        var (exit, output, errors) = await CredentialsCommandTests.RunAgainst(settings, "create", "--role", "supervisor", "--street", "ST01");
        Assert.True(exit == 0, errors);
        var first = output[^1];
        Assert.Empty(Directory.GetFiles(_directory, ".s.PGSQL.*", SearchOption.AllDirectories));

        // Running (as the service would keep it): reused, and still running after.
        await using var service = await EmbeddedPostgres.StartAsync(_directory, "whistle");
        Assert.True(service.StartedHere);
        (exit, output, errors) = await CredentialsCommandTests.RunAgainst(settings, "create", "--role", "admin");
        Assert.True(exit == 0, errors);
        var second = output[^1];

        await using var connection = new NpgsqlConnection(service.ConnectionStringFor("whistle") + ";Pooling=false");
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM credentials WHERE key_hash = ANY(@hashes)", connection);
        count.Parameters.AddWithValue("hashes", new[] { ApiKeys.Hash(first), ApiKeys.Hash(second) });
        Assert.Equal(2L, await count.ExecuteScalarAsync());
    }
}
