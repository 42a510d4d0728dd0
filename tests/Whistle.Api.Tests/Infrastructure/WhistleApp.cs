using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Whistle.Api.Features.Access;
using Whistle.Api.Persistence;

namespace Whistle.Api.Tests.Infrastructure;

/// <summary>
/// The real service, its whole pipeline, on its own fresh database, with a clock the test controls.
/// Use one per test class (<c>IClassFixture</c>) or per test where data must be isolated.
/// </summary>
public class WhistleApp : WebApplicationFactory<Program>, IAsyncLifetime
{
    public static readonly DateTimeOffset Start = new(2026, 3, 2, 1, 0, 0, TimeSpan.Zero); // 09:00 in Hohhot

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    public FakeTimeProvider Clock { get; } = new(Start);

    public string ConnectionString { get; protected set; } = "";

    /// <summary>Whether deliveries may reach loopback receivers; on unless a test checks the production default.</summary>
    public bool AllowPrivateWebhookAddresses { get; init; } = true;

    /// <summary>Whether the scheduler ticks in the background on <see cref="Clock"/>; off unless a test turns it on.</summary>
    public bool SchedulerEnabled { get; init; }

    /// <summary>Whether the webhook dispatcher runs in the background; off unless a test turns it on.</summary>
    public bool WebhooksEnabled { get; init; }

    public virtual async Task InitializeAsync() => ConnectionString = await TestDatabase.CreateAsync();

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        // Each test class has a database of its own, so its pooled connections serve nobody after it: close them,
        // or a whole run holds more idle connections than the cluster allows ("too many clients already").
        if (ConnectionString.Length > 0)
        {
            Npgsql.NpgsqlConnection.ClearPool(new Npgsql.NpgsqlConnection(ConnectionString));
            WhistleDataSources.Clear(ConnectionString);
        }
        GC.SuppressFinalize(this);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:Whistle", ConnectionString);
        // Tests run the deadline scheduler themselves (RunOnceAsync), so moving the clock changes nothing behind their backs.
        builder.UseSetting("Whistle:SchedulerEnabled", SchedulerEnabled ? "true" : "false");
        // Likewise the webhook dispatcher: tests that need it run it themselves (RunOnceAsync).
        builder.UseSetting("Whistle:Webhooks:Enabled", WebhooksEnabled ? "true" : "false");
        // Test receivers listen on loopback, which production refuses to deliver to.
        builder.UseSetting("Whistle:Webhooks:AllowPrivateAddresses", AllowPrivateWebhookAddresses ? "true" : "false");
        // Tests send bursts far beyond a credential's production limit; RateLimitTests turns limits on.
        builder.UseSetting("Whistle:RateLimit:Enabled", "false");
        builder.ConfigureServices(services => services.Replace(ServiceDescriptor.Singleton<TimeProvider>(Clock)));
    }

    public WhistleDbContext Db() => TestDatabase.Context(ConnectionString);

    private readonly Lock _adminLock = new();
    private string? _adminKey;

    /// <summary>
    /// The key every client from <c>CreateClient()</c> sends: an admin's, the district's operations
    /// desk, which may take every action (tests of who may do what use <see cref="ClientAs"/>).
    /// </summary>
    public string AdminKey
    {
        get
        {
            lock (_adminLock)
            {
                return _adminKey ??= CreateKey(new NewCredential(Role.Admin, "test admin"));
            }
        }
    }

    /// <summary>A client of the service whose every exchange is checked against the committed OpenAPI document.</summary>
    public new HttpClient CreateClient() => CreateClient(ClientOptions);

    public new HttpClient CreateClient(WebApplicationFactoryClientOptions options)
    {
        List<DelegatingHandler> handlers = [];
        if (options.AllowAutoRedirect)
        {
            handlers.Add(new RedirectHandler(options.MaxAutomaticRedirections));
        }
        if (options.HandleCookies)
        {
            handlers.Add(new CookieContainerHandler());
        }
        // Innermost, so that it sees each exchange with the service as sent and answered.
        handlers.Add(new ContractCheckingHandler(Contract.Committed));
        return CreateDefaultClient(options.BaseAddress, [.. handlers]);
    }

    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        client.DefaultRequestHeaders.Add(ApiKeys.Header, AdminKey);
        Apps.AddOrUpdate(client, this);
    }

    // Which application a client talks to, so a request can be sent as a named actor (see HttpExtensions.Post).
    private static readonly ConditionalWeakTable<HttpClient, WhistleApp> Apps = [];
    private readonly ConcurrentDictionary<string, string> _actorKeys = new();

    public static WhistleApp Of(HttpClient client) =>
        Apps.TryGetValue(client, out var app) ? app : throw new InvalidOperationException("The client was not created by a WhistleApp.");

    /// <summary>The key of an admin credential with this name: history records the name as the actor.</summary>
    public string KeyActingAs(string name) => _actorKeys.GetOrAdd(name, n => CreateKey(new NewCredential(Role.Admin, n)));

    /// <summary>Creates a credential the way the admin API and the command line do, and returns its key.</summary>
    public string CreateKey(NewCredential credential)
    {
        using var scope = Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDbContext>();
        return CredentialStore.CreateAsync(db, credential, "test", Clock.GetUtcNow(), CancellationToken.None).GetAwaiter().GetResult().Key;
    }

    /// <summary>A client authenticated with a new key of this role and scope.</summary>
    public HttpClient ClientAs(NewCredential credential) => ClientWithKey(CreateKey(credential));

    public HttpClient ClientAs(Role role, string? department = null, string? community = null, string? street = null, string[]? grids = null, string? name = null) =>
        ClientAs(new NewCredential(role, name, department, community, street, grids));

    public HttpClient ClientWithKey(string key)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Remove(ApiKeys.Header);
        client.DefaultRequestHeaders.Add(ApiKeys.Header, key);
        return client;
    }

    /// <summary>A client that sends no credential.</summary>
    public HttpClient AnonymousClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Remove(ApiKeys.Header);
        return client;
    }
}

public static class HttpExtensions
{
    public static async Task<T> Read<T>(this HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<T>(WhistleApp.Json))!;

    public static Task<HttpResponseMessage> Post(this HttpClient client, string path, object? body = null, string? ifMatch = null, string? actor = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = body is null ? null : JsonContent.Create(body, options: WhistleApp.Json),
        };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }
        if (actor is not null)
        {
            // Sent instead of the client's default key: the actor is whoever the credential names.
            request.Headers.Add(ApiKeys.Header, WhistleApp.Of(client).KeyActingAs(actor));
        }
        return client.SendAsync(request);
    }
}
