using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
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

    public string ConnectionString { get; private set; } = "";

    /// <summary>Whether the scheduler ticks in the background on <see cref="Clock"/>; off unless a test turns it on.</summary>
    public bool SchedulerEnabled { get; init; }

    /// <summary>Whether the webhook dispatcher runs in the background; off unless a test turns it on.</summary>
    public bool WebhooksEnabled { get; init; }

    public virtual async Task InitializeAsync() => ConnectionString = await TestDatabase.CreateAsync();

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:Whistle", ConnectionString);
        // Tests run the deadline scheduler themselves (RunOnceAsync), so moving the clock changes nothing behind their backs.
        builder.UseSetting("Whistle:SchedulerEnabled", SchedulerEnabled ? "true" : "false");
        // Likewise the webhook dispatcher: tests that need it run it themselves (RunOnceAsync).
        builder.UseSetting("Whistle:Webhooks:Enabled", WebhooksEnabled ? "true" : "false");
        builder.ConfigureServices(services => services.Replace(ServiceDescriptor.Singleton<TimeProvider>(Clock)));
    }

    public WhistleDbContext Db() => TestDatabase.Context(ConnectionString);
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
            request.Headers.Add("X-Actor", actor);
        }
        return client.SendAsync(request);
    }
}
