using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware.Options;
using Whistle.Api.Features.Access;
using Whistle.Api.Tests.Infrastructure;
using Whistle.Client;
using Whistle.Client.Models;
using Role = Whistle.Api.Features.Access.Role;

namespace Whistle.Client.Tests;

/// <summary>
/// An integrator's view: a client Kiota generated from the committed openapi/whistle.v1.json (at
/// build time, see the project file), each party with its own API key, against the real service.
/// </summary>
public class GeneratedClientTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    [Fact]
    public async Task A_generated_client_takes_an_order_through_its_life_and_reads_refusals_as_typed_problems()
    {
        var gridWorker = ClientFor(new NewCredential(Role.GridWorker, "grid worker Wang", GridCodes: ["ST01-C01-G01"]));
        var community = ClientFor(new NewCredential(Role.Community, "community desk", CommunityCode: "ST01-C01"));
        var sanitation = ClientFor(new NewCredential(Role.Department, "sanitation desk", DepartmentCode: "sanitation"));

        var filed = await gridWorker.Api.V1.Orders.PostAsync(new FileOrderRequest
        {
            Title = "Overflowing bins at gate 3",
            Description = "The bins by gate 3 have not been emptied for three days.",
            CategoryCode = "garbage",
            GridCode = "ST01-C01-G01",
            Location = new FileOrderLocationRequest { Latitude = 40.8424, Longitude = 111.7492, Address = "Gate 3, Building 12" },
            Priority = Priority.Normal,
        });
        Assert.NotNull(filed);
        Assert.Equal(OrderState.Discovered, filed.State);
        var order = gridWorker.Api.V1.Orders[filed.Code!];

        var whistled = await community.Api.V1.Orders[filed.Code!].Whistle.PostAsync(new WhistleOrderBody());
        Assert.Equal(OrderState.Whistled, whistled!.State);
        Assert.Equal("sanitation", whistled.DepartmentCode);
        Assert.NotNull(whistled.Deadlines!.ResolveBy);

        // The department works from the ETag it read, as an integration guarding against lost updates would.
        var headers = new HeadersInspectionHandlerOption { InspectResponseHeaders = true };
        var read = await sanitation.Api.V1.Orders[filed.Code!].GetAsync(c => c.Options.Add(headers));
        var etag = Assert.Single(headers.ResponseHeaders["ETag"]);
        Assert.Equal(whistled.Version, read!.Version);

        var acknowledged = await sanitation.Api.V1.Orders[filed.Code!].Acknowledge.PostAsync(
            new AcknowledgeOrderBody { Note = "Crew 2 will come this afternoon." }, c => c.Headers.Add("If-Match", etag));
        Assert.Equal(OrderState.Acknowledged, acknowledged!.State);

        var resolved = await sanitation.Api.V1.Orders[filed.Code!].Resolve.PostAsync(
            new ResolveOrderBody { Result = "Bins emptied; collection moved to twice a day." });
        Assert.Equal(OrderState.Resolved, resolved!.State);
        Assert.Equal("Bins emptied; collection moved to twice a day.", resolved.Result);

        var evaluated = await community.Api.V1.Orders[filed.Code!].Evaluate.PostAsync(
            new EvaluateOrderBody { Rating = Rating.Satisfied, Comment = "Checked on site." });
        Assert.Equal(OrderState.Closed, evaluated!.State);
        Assert.Equal(Rating.Satisfied, evaluated.Rating);
        Assert.Empty(evaluated.AllowedActions ?? []);

        var history = await order.History.GetAsync() ?? [];
        Assert.Equal(
            ["file", "whistle", "acknowledge", "resolve", "evaluate"],
            history.Select(entry => entry.Action));
        Assert.Equal(
            [OrderState.Discovered, OrderState.Whistled, OrderState.Acknowledged, OrderState.Resolved, OrderState.Closed],
            history.Select(entry => entry.ToState));
        Assert.Equal(["grid worker Wang", "community desk", "sanitation desk", "sanitation desk", "community desk"], history.Select(entry => entry.Actor));
        // Details are open-ended (any JSON value per key): a client reads the keys it knows.
        Assert.Equal("sanitation", history[1].Details!.AdditionalData["departmentCode"]);
        Assert.Equal("Bins emptied; collection moved to twice a day.", history[3].Details!.AdditionalData["result"]);

        // A closed order cannot be resolved again: 409, with the state and what it still allows.
        var conflict = await Assert.ThrowsAsync<ActionNotPermittedProblem>(() =>
            sanitation.Api.V1.Orders[filed.Code!].Resolve.PostAsync(new ResolveOrderBody { Result = "Again" }));
        Assert.Equal(409, conflict.ResponseStatusCode);
        Assert.Equal(409, conflict.Status);
        Assert.Equal("Action not permitted in the order's state", conflict.Title);
        Assert.Equal(OrderState.Closed, conflict.State);
        Assert.Empty(conflict.AllowedActions ?? [OrderAction.Resolve]);

        // The ETag read before acknowledging is stale now: 412, naming the current one.
        var stale = await Assert.ThrowsAsync<StaleOrderProblem>(() =>
            community.Api.V1.Orders[filed.Code!].Evaluate.PostAsync(
                new EvaluateOrderBody { Rating = Rating.Unsatisfied, Comment = "Overflowing again." }, c => c.Headers.Add("If-Match", etag)));
        Assert.Equal(412, stale.ResponseStatusCode);
        Assert.Equal(412, stale.Status);
        Assert.Equal(evaluated.Version, stale.CurrentVersion);
        Assert.Equal($"\"{evaluated.Version}\"", stale.CurrentETag);
    }

    /// <summary>
    /// A client the way an integrator builds one: Kiota's default middleware (retry, redirect, header
    /// inspection) and an API key provider, ending at the in-process server instead of the network,
    /// with every exchange checked against the committed document on the way.
    /// </summary>
    private WhistleClient ClientFor(NewCredential credential)
    {
        var http = KiotaClientFactory.Create(new ContractCheckingHandler(Contract.Committed) { InnerHandler = app.Server.CreateHandler() });
        var authentication = new ApiKeyAuthenticationProvider(
            app.CreateKey(credential), ApiKeys.Header, ApiKeyAuthenticationProvider.KeyLocation.Header);
        var adapter = new HttpClientRequestAdapter(authentication, httpClient: http) { BaseUrl = "https://localhost" };
        return new WhistleClient(adapter);
    }
}
