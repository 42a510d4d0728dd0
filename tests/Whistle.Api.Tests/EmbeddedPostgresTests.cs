using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Whistle.Api.Features.Access;
using Whistle.Api.Infrastructure;
using Whistle.Api.Persistence;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests;

/// <summary>The embedded default: a private cluster started from the machine's binaries, reused, and stopped by whoever started it.</summary>
public class EmbeddedPostgresTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "whistle-embedded-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_second_start_reuses_the_running_server_and_only_the_first_stops_it()
    {
        var first = await EmbeddedPostgres.StartAsync(_directory, "whistle", durable: false);
        Assert.True(first.StartedHere);

        var second = await EmbeddedPostgres.StartAsync(_directory, "whistle", durable: false);
        Assert.False(second.StartedHere);
        Assert.Equal(first.SocketDirectory, second.SocketDirectory);
        await second.DisposeAsync();
        Assert.Equal(1, await Scalar(first.ConnectionStringFor("whistle"), "SELECT 1"));

        await first.DisposeAsync();
        Assert.False(File.Exists(Path.Combine(first.SocketDirectory, ".s.PGSQL.5432")));
    }

    [Fact]
    public async Task With_no_connection_string_the_service_starts_its_own_database_loads_the_reference_set_and_stops_it_after()
    {
        string socket;
        await using (var service = new EmbeddedDefaultApp(_directory))
        {
            var client = service.CreateClient();
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/streets")).StatusCode);
            client.DefaultRequestHeaders.Add(ApiKeys.Header, await service.CreateAdminKeyAsync());
            Assert.Equal(39, (await (await client.GetAsync("/api/v1/streets")).Read<object[]>()).Length);
            var order = await client.File();
            Assert.Equal("discovered", order.State);
            socket = Path.Combine(Directory.GetDirectories(_directory, "run").Single(), ".s.PGSQL.5432");
            Assert.True(File.Exists(socket));
        }

        // The service stops its cluster as it shuts down (the test host may finish that just after
        // disposing); watched through the socket, since a connection would count as another user.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (File.Exists(socket) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
        Assert.False(File.Exists(socket), "the embedded PostgreSQL is still running after the service stopped");
    }

    private static async Task<int> Scalar(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (int)(await command.ExecuteScalarAsync())!;
    }

    private sealed class EmbeddedDefaultApp(string directory) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("ConnectionStrings:Whistle", "");
            builder.UseSetting("Whistle:DataDirectory", directory);
        }

        public async Task<string> CreateAdminKeyAsync()
        {
            await using var scope = Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<WhistleDbContext>();
            return (await CredentialStore.CreateAsync(db, new NewCredential(Role.Admin, "embedded test"), "test", DateTimeOffset.UtcNow, CancellationToken.None)).Key;
        }
    }
}
