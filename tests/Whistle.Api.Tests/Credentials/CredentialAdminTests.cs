using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Whistle.Api.Features.Access;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Credentials;

/// <summary>The credential's record as a client reads it.</summary>
public sealed record CredentialRecord(
    Guid Id, string Name, string Role, string? DepartmentCode, string? CommunityCode, string? StreetCode, string[] GridCodes,
    string KeyPrefix, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? RevokedAt, string? RevokedBy, string? Key);

/// <summary>Admins create, list, read and revoke API keys over the API; a new key works at once, a revoked one stops at once.</summary>
public class CredentialAdminTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    private static readonly Lock Once = new();
    private static string? _deskAdminKey;

    // One desk admin for the class (the fixture is shared), so records of who acted name one credential.
    private readonly HttpClient _admin = app.ClientWithKey(DeskAdminKey(app));

    private static string DeskAdminKey(WhistleApp app)
    {
        lock (Once)
        {
            return _deskAdminKey ??= app.CreateKey(new NewCredential(Role.Admin, "desk admin"));
        }
    }

    // Records of who created or revoked a key name the credential, not only its (free-text) name.
    private async Task<Guid> DeskAdminId()
    {
        await using var db = app.Db();
        var hash = ApiKeys.Hash(DeskAdminKey(app));
        return await db.Credentials.Where(c => c.KeyHash == hash).Select(c => c.Id).SingleAsync();
    }

    [Fact]
    public async Task A_retried_creation_replays_the_credential_without_its_key_which_is_never_stored()
    {
        var request = () =>
        {
            var message = new HttpRequestMessage(HttpMethod.Post, "/api/v1/credentials")
            {
                Content = JsonContent.Create(new { role = "dashboard", name = "screen, retried" }),
            };
            message.Headers.Add("Idempotency-Key", "create-screen-key-1");
            return message;
        };

        var first = await _admin.SendAsync(request());
        var replay = await _admin.SendAsync(request());

        var created = await first.Read<CredentialRecord>();
        var replayed = await replay.Read<CredentialRecord>();
        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Created), (first.StatusCode, replay.StatusCode));
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal("no-store", replay.Headers.CacheControl?.ToString());
        Assert.Equal((created.Id, (string?)null), (replayed.Id, replayed.Key));
        Assert.NotNull(created.Key);
        await using var db = app.Db();
        var stored = await db.Database.SqlQuery<byte[]>($"SELECT body AS \"Value\" FROM idempotency_keys WHERE key = 'create-screen-key-1'").SingleAsync();
        Assert.DoesNotContain(created.Key, System.Text.Encoding.UTF8.GetString(stored));
        Assert.Equal(HttpStatusCode.OK, (await app.ClientWithKey(created.Key!).GetAsync("/api/v1/stats/summary")).StatusCode);
    }

    [Fact]
    public async Task An_admin_creates_a_department_key_that_is_shown_once_and_works_at_once()
    {
        var response = await _admin.Post("/api/v1/credentials", new { role = "department", departmentCode = "sanitation", name = "sanitation case system" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var created = await response.Read<CredentialRecord>();
        Assert.Equal($"/api/v1/credentials/{created.Id}", response.Headers.Location?.OriginalString);
        Assert.Equal(("sanitation case system", "department", "sanitation"), (created.Name, created.Role, created.DepartmentCode));
        Assert.Equal($"desk admin (key:{await DeskAdminId()})", created.CreatedBy);
        Assert.Equal(app.Clock.GetUtcNow(), created.CreatedAt);
        Assert.Matches("^wk_[A-Za-z0-9_-]{43}$", created.Key!);
        Assert.Equal(created.Key![..11], created.KeyPrefix);
        Assert.Null(created.RevokedAt);

        // The key is the department's: it reads the department's queue, and may not file.
        var department = app.ClientWithKey(created.Key);
        Assert.Equal(HttpStatusCode.OK, (await department.GetAsync("/api/v1/orders")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await department.Post("/api/v1/orders", Filing.Valid())).StatusCode);

        // Read back, the record never carries the key; the store holds only its hash.
        var read = await _admin.GetAsync($"/api/v1/credentials/{created.Id}");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.DoesNotContain(created.Key, await read.Content.ReadAsStringAsync());
        Assert.Null((await read.Read<CredentialRecord>()).Key);
        await using var db = app.Db();
        var stored = await db.Credentials.SingleAsync(c => c.Id == created.Id);
        Assert.Equal(ApiKeys.Hash(created.Key), stored.KeyHash);
    }

    [Fact]
    public async Task A_revoked_key_is_refused_at_once_and_the_record_says_who_revoked_it_when()
    {
        var created = await (await _admin.Post("/api/v1/credentials", new { role = "grid-worker", gridCodes = new[] { "ST01-C01-G01", "ST01-C01-G02" } })).Read<CredentialRecord>();
        var worker = app.ClientWithKey(created.Key!);
        Assert.Equal(HttpStatusCode.Created, (await worker.Post("/api/v1/orders", Filing.Valid())).StatusCode);
        app.Clock.Advance(TimeSpan.FromMinutes(5));
        var revokedAt = app.Clock.GetUtcNow();

        var response = await _admin.Post($"/api/v1/credentials/{created.Id}/revoke");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var revoked = await response.Read<CredentialRecord>();
        Assert.Equal((revokedAt, $"desk admin (key:{await DeskAdminId()})"), (revoked.RevokedAt, revoked.RevokedBy));
        // The key was cached by its first use; the revocation forgets it here at once.
        var refused = await worker.GetAsync("/api/v1/orders");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        // Revoking again changes nothing.
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        var again = await (await _admin.Post($"/api/v1/credentials/{created.Id}/revoke")).Read<CredentialRecord>();
        Assert.Equal(revokedAt, again.RevokedAt);
    }

    [Fact]
    public async Task The_list_holds_working_keys_by_role_and_revoked_ones_only_when_asked()
    {
        var kept = await Create(new { role = "dashboard", name = "screen A" });
        var gone = await Create(new { role = "dashboard", name = "screen B" });
        await _admin.Post($"/api/v1/credentials/{gone.Id}/revoke");

        var raw = await _admin.GetAsync("/api/v1/credentials?role=dashboard");
        Assert.True(raw.IsSuccessStatusCode, await raw.Content.ReadAsStringAsync());
        var working = await raw.Read<CredentialRecord[]>();
        var all = await (await _admin.GetAsync("/api/v1/credentials?role=dashboard&includeRevoked=true")).Read<CredentialRecord[]>();

        Assert.Contains(working, c => c.Id == kept.Id);
        Assert.DoesNotContain(working, c => c.Id == gone.Id);
        Assert.Contains(all, c => c.Id == gone.Id && c.RevokedAt is not null);
        Assert.All(all, c => Assert.Equal(("dashboard", null), (c.Role, c.Key)));
    }

    [Fact]
    public async Task An_unknown_credential_is_404()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await _admin.GetAsync($"/api/v1/credentials/{Guid.NewGuid()}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _admin.Post($"/api/v1/credentials/{Guid.NewGuid()}/revoke")).StatusCode);
    }

    [Theory]
    [InlineData("supervisor")]
    [InlineData("department")]
    [InlineData("dashboard")]
    public async Task Only_admins_manage_credentials(string role)
    {
        var client = app.ClientAs(new NewCredential(Enum.Parse<Role>(role, ignoreCase: true), DepartmentCode: role == "department" ? "sanitation" : null));
        var before = await Count();

        Assert.Equal(HttpStatusCode.Forbidden, (await client.Post("/api/v1/credentials", new { role = "admin" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/credentials")).StatusCode);
        Assert.Equal(before, await Count());
    }

    public static TheoryData<object, string> BadRequests() => new()
    {
        { new { }, "role" },
        { new { role = "mayor" }, "role" },
        { new { role = "department" }, "departmentCode" },
        { new { role = "department", departmentCode = "no-such-department" }, "departmentCode" },
        { new { role = "department", departmentCode = "sanitation", communityCode = "ST01-C01" }, "communityCode" },
        { new { role = "community" }, "communityCode" },
        { new { role = "community", communityCode = "ST99-C99" }, "communityCode" },
        { new { role = "community", communityCode = "ST01-C01", gridCodes = new[] { "ST01-C01-G01" } }, "gridCodes" },
        { new { role = "grid-worker" }, "gridCodes" },
        { new { role = "grid-worker", gridCodes = new[] { "ST01-C01-G01", "ST99-C99-G99" } }, "gridCodes" },
        { new { role = "grid-worker", gridCodes = new[] { "ST01-C01-G01" }, streetCode = "ST01" }, "streetCode" },
        { new { role = "supervisor", streetCode = "ST99" }, "streetCode" },
        { new { role = "supervisor", departmentCode = "sanitation" }, "departmentCode" },
        { new { role = "admin", streetCode = "ST01" }, "streetCode" },
        { new { role = "dashboard", communityCode = "ST01-C01" }, "communityCode" },
        { new { role = "admin", name = new string('n', 201) }, "name" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task A_scope_that_does_not_fit_the_role_or_names_unknown_codes_is_a_400_naming_the_field_and_creates_nothing(object body, string field)
    {
        var before = await Count();

        var response = await _admin.Post("/api/v1/credentials", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Read<Problem>();
        Assert.Equal([field], problem.Errors!.Keys);
        Assert.Equal(before, await Count());
    }

    public static TheoryData<object> GoodRequests() => new()
    {
        new { role = "grid-worker", communityCode = "ST01-C01" },
        new { role = "grid-worker", communityCode = "ST01-C01", gridCodes = new[] { "ST01-C01-G01" } },
        new { role = "community", communityCode = "ST01-C01" },
        new { role = "supervisor", streetCode = "ST01" },
        new { role = "supervisor" },
        new { role = "admin" },
        new { role = "dashboard" },
    };

    [Theory]
    [MemberData(nameof(GoodRequests))]
    public async Task Every_role_with_a_fitting_scope_is_created(object body)
    {
        var response = await _admin.Post("/api/v1/credentials", body);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.Read<CredentialRecord>();
        Assert.Equal(HttpStatusCode.OK, (await app.ClientWithKey(created.Key!).GetAsync("/api/v1/streets")).StatusCode);
    }

    private async Task<CredentialRecord> Create(object body) =>
        await (await _admin.Post("/api/v1/credentials", body)).Read<CredentialRecord>();

    private async Task<int> Count()
    {
        await using var db = app.Db();
        return await db.Credentials.CountAsync();
    }
}
