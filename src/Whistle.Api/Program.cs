using System.Text.Json;
using System.Text.Json.Serialization;
using Whistle.Api;
using Whistle.Api.Features.App;
using Whistle.Api.Features.Credentials;
using Whistle.Api.Features.Dashboard;
using Whistle.Api.Features.Deadlines;
using Whistle.Api.Features.Geo;
using Whistle.Api.Features.Home;
using Whistle.Api.Features.Open311;
using Whistle.Api.Features.Orders;
using Whistle.Api.Features.Photos;
using Whistle.Api.Features.Published;
using Whistle.Api.Features.Reference;
using Whistle.Api.Features.Seeding;
using Whistle.Api.Features.Stats;
using Whistle.Api.Features.Webhooks;
using Whistle.Api.Features.Workflow;
using Whistle.Api.Infrastructure.Idempotency;

if (CommandLine.AsksForHelp(args))
{
    Console.Out.WriteLine(CommandLine.Usage);
    return 0;
}

var builder = WebApplication.CreateBuilder(args);

// A verb instead of the service: load demo data and exit.
if (args is ["seed", .. var seedArgs])
{
    return await SeedOrders.RunAsync(seedArgs, builder.Configuration);
}
// Or: fill the statistics' store with synthetic orders and print its memory (a measurement; no database).
if (args is ["stats-synthetic", .. var syntheticArgs])
{
    return SyntheticFill.Run(syntheticArgs);
}
// Or: export the reference lists, or import them (a workbook, CSV files, or grid boundaries as GeoJSON), and exit.
if (args is ["reference", .. var referenceArgs])
{
    return await ReferenceCommand.RunAsync(referenceArgs, builder.Configuration, Console.Out, Console.Error);
}
// Or: create, list or revoke API keys and exit.
if (args is ["credentials", .. var credentialArgs])
{
    return await CredentialsCommand.RunAsync(credentialArgs, builder.Configuration, Console.Out, Console.Error);
}

if (ListenAddress.DefaultUnlessConfigured(builder.Configuration) is { } listen)
{
    builder.WebHost.UseUrls(listen);
}

builder.Services.AddOptions<WhistleOptions>()
    .Bind(builder.Configuration.GetSection(WhistleOptions.Section))
    .Validate(o => o.HasKnownTimeZone(), "Whistle:TimeZone is not a time zone this machine knows (for example Asia/Shanghai).")
    .Validate(o => o.HasValidSchedule(), "Whistle:SchedulerInterval, Whistle:EscalateAgainAfter and Whistle:AutoCloseAfterDays must be positive.")
    .Validate(o => o.HasValidCalendar(), "Whistle:Holidays and Whistle:Workdays are dates written yyyy-MM-dd.")
    .ValidateOnStart();
builder.Services.AddSingleton(services => services.GetRequiredService<Microsoft.Extensions.Options.IOptions<WhistleOptions>>().Value.Calendar());
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<PeriodParser>();
builder.Services.AddSingleton<ReferenceCache>();
builder.Services.AddHostedService<ReferenceListener>();
builder.Services.AddOptions<ReplicaOptions>()
    .Bind(builder.Configuration.GetSection(ReplicaOptions.Section))
    .Validate(o => o.IsValid(), "Whistle:Replicas: MaxLagSeconds above 0 and at most 3600, CheckInterval above 0 and at most a minute.")
    .ValidateOnStart();
builder.Services.AddSingleton<ReadReplica>();
builder.Services.AddHostedService(services => services.GetRequiredService<ReadReplica>());
builder.Services.AddSingleton<OrderFacts>();
builder.Services.AddSingleton<StatsService>();
builder.Services.AddHostedService<StatsWarmUp>();
builder.Services.AddWhistleAccess(builder.Configuration);
builder.Services.AddWhistleRateLimits(builder.Configuration);
builder.Services.AddHostedService<IdempotencySweep>();
builder.Services.AddSingleton<DeadlineScheduler>();
builder.Services.AddHostedService(services => services.GetRequiredService<DeadlineScheduler>());
builder.Services.AddOptions<Whistle.Api.Features.Geo.GeoOptions>()
    .Bind(builder.Configuration.GetSection(Whistle.Api.Features.Geo.GeoOptions.Section))
    .Validate(o => o.IsValid(), "Whistle:Geo: DuplicateWithinMeters above 0 and at most 10000, DuplicateFiledWithinDays 1 to 365.")
    .ValidateOnStart();
builder.Services.AddOptions<WebhookOptions>()
    .Bind(builder.Configuration.GetSection(WebhookOptions.Section))
    .Validate(o => o.IsValid(), "Whistle:Webhooks: BatchSize 1 to 1000, Concurrency 1 to 256, Timeout and PollInterval positive, RetryWindow at least 24 hours, RetainFor at least a day.")
    .ValidateOnStart();
builder.Services.AddHttpClient(WebhookDispatcher.HttpClientName)
    // The dispatcher logs each failed attempt in one line with its reason; the factory's own logging would add a stack trace.
    .RemoveAllLoggers()
    // Each attempt has its own deadline (Whistle:Webhooks:Timeout); a redirect is the receiver's answer, not followed.
    .ConfigureHttpClient(client => client.Timeout = Timeout.InfiniteTimeSpan)
    .ConfigurePrimaryHttpMessageHandler(services => new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        // Only public addresses, unless configured otherwise (see WebhookAddresses).
        ConnectCallback = WebhookAddresses.ConnectCallback(
            () => services.GetRequiredService<Microsoft.Extensions.Options.IOptions<WebhookOptions>>().Value.AllowPrivateAddresses),
    });
builder.Services.AddSingleton<WebhookDispatcher>();
builder.Services.AddHostedService(services => services.GetRequiredService<WebhookDispatcher>());
builder.Services.AddWhistlePhotos(builder.Configuration);
MediaFetch.AddOpen311(builder.Services, builder.Configuration);

var (connections, embedded) = await DatabaseStartup.ResolveAsync(builder.Configuration);
try
{
    builder.Services.AddSingleton(connections);
    builder.Services.AddDbContextPool<WhistleDbContext>(options => options.UseWhistleStore(connections.Whistle));

    builder.Services.AddMediator(options =>
    {
        options.ServiceLifetime = ServiceLifetime.Scoped;
        // Validation before the transaction, so an invalid request never opens one.
        options.PipelineBehaviors = [typeof(LoggingBehavior<,>), typeof(ValidationBehavior<,>), typeof(TransactionBehavior<,>)];
    });
    // Validators hold no state; building their rules once, not per request, matters under load.
    builder.Services.AddValidatorsFromAssemblyContaining<Program>(ServiceLifetime.Singleton, includeInternalTypes: true);
    ValidatorOptions.Global.DisplayNameResolver = (_, member, _) => member is null ? null : JsonNamingPolicy.CamelCase.ConvertName(member.Name);
    ValidatorOptions.Global.PropertyNameResolver = (_, member, _) => member is null ? null : JsonNamingPolicy.CamelCase.ConvertName(member.Name);

    builder.Services.ConfigureHttpJsonOptions(options => ApiJson.Configure(options.SerializerOptions));
    // Binding failures (malformed JSON, wrong types) throw, so the exception handler answers them as problems.
    builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
    builder.Services.AddProblemDetails();
    builder.Services.AddSingleton<IProblemDetailsService, ProblemResponses>();
    builder.Services.AddExceptionHandler<ProblemDetailsExceptionHandler>();

    builder.Services.AddOpenApi("v1", OpenApiSetup.Configure);
    builder.Services.AddHealthChecks()
        .AddCheck<DatabaseReadyCheck>("database", tags: ["ready"])
        .AddCheck<StatsReadyCheck>("statistics", tags: ["ready"]);

    var app = builder.Build();
    // Kestrel only (the tests' in-memory server listens on nothing): a busy address is one line, not the host's stack traces.
    if (ListenAddress.FirstInUse(app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>(), builder.Configuration) is { } busy)
    {
        await Console.Error.WriteLineAsync(ListenAddress.InUseMessage(busy));
        return 1;
    }
    if (embedded is not null)
    {
        // Stop what we started once the last request is served (the finally below covers a failed start).
        app.Lifetime.ApplicationStopped.Register(() => embedded.DisposeAsync().AsTask().GetAwaiter().GetResult());
    }

    await DatabaseStartup.MigrateAsync(app, loadReferenceData: embedded is not null);

    app.UseExceptionHandler();
    app.UseStatusCodePages();
    // Before authentication: the documentation is public.
    app.UseSwaggerUI(options =>
    {
        options.SwaggerEndpoint("/openapi/v1.json", "Whistle v1");
        options.RoutePrefix = "swagger";
        options.DocumentTitle = "Whistle API";
    });
    app.UseAuthentication();
    // Right after authentication, which tells whose bucket a request takes from; before anything that costs work.
    app.UseWhistleRateLimits();
    app.UseAuthorization();
    // Before anything reads a parameter or the body: no text with NUL goes further.
    app.Use(NulCharacters.RefuseAsync);
    // After authentication (keys are scoped to the credential) and inside the exception handler, so a
    // failed request's exception passes through it (rolling back and releasing its key) before it
    // becomes a problem response.
    // Before the idempotency fingerprint reads the body: an upload over the limit is 413 before it is read past it.
    app.Use(PhotoUploads.LimitAsync);
    app.UseMiddleware<IdempotencyMiddleware>();
    app.MapStatsMetrics();

    // Public, and never rate limited: probes behind one proxy share an address.
    app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous().DisableRateLimiting().WithDocumentETag();
    app.MapHealthChecks("/health/live", new() { Predicate = _ => false }).AllowAnonymous().DisableRateLimiting();
    app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains("ready") }).AllowAnonymous().DisableRateLimiting();

    app.MapPhotos(app.MapOrders());
    app.MapReference();
    app.MapBoundaries();
    app.MapWorkflow();
    app.MapStats();
    app.MapDashboard();
    app.MapApp();
    app.MapWebhooks();
    app.MapCredentials();
    app.MapOpen311();
    app.MapPublishedResults();
    app.MapHome();

    try
    {
        await app.RunAsync();
    }
    catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
    {
        // Taken between the check above and the start.
        await Console.Error.WriteLineAsync(ListenAddress.InUseMessage(string.Join(";", app.Urls)));
        return 1;
    }
    return 0;
}
finally
{
    if (embedded is not null)
    {
        await embedded.DisposeAsync();
    }
}

public partial class Program;
