using System.Net;
using System.Net.Http.Json;
using Whistle.Api.Features.Access;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Access;

/// <summary>
/// Who may do what, every cell: each role with a credential in the order's scope gets what the
/// table below says (200 done, 403 forbidden, 404 not theirs to see), with a credential bound
/// elsewhere always 404, and without one 401. The table is written out here, independently of
/// <see cref="AccessPolicy"/>.
/// </summary>
public class PolicyTableTests(PolicyTableTests.App app) : IClassFixture<PolicyTableTests.App>
{
    // The order under test is filed in grid ST01-C01-G01 (community ST01-C01, street ST01) and the
    // garbage category routes it to sanitation.
    private const string Grid = "ST01-C01-G01";

    //                                        grid-worker community department supervisor admin dashboard reporting-app
    private static readonly Dictionary<string, string> Expected = new()
    {
        ["read"] = /*                      */ "200 200 200 200 200 404 404",
        ["history"] = /*                   */ "200 200 200 200 200 404 404",
        ["whistle"] = /*                   */ "200 200 404 403 200 404 404",
        ["handle-locally"] = /*            */ "200 200 404 403 200 404 404",
        ["cancel"] = /*                    */ "200 200 404 403 200 404 404",
        ["acknowledge"] = /*               */ "403 403 200 403 200 404 404",
        ["return"] = /*                    */ "403 403 200 403 200 404 404",
        ["resolve"] = /*                   */ "403 403 200 403 200 404 404",
        ["evaluate"] = /*                  */ "200 200 403 403 200 404 404",
        ["escalate"] = /*                  */ "403 403 403 200 200 404 404",
        ["reassign"] = /*                  */ "403 403 403 200 200 404 404",
        ["request-extension"] = /*         */ "403 403 200 403 200 404 404",
        ["approve-extension"] = /*         */ "403 403 403 200 200 404 404",
        ["refuse-extension"] = /*          */ "403 403 403 200 200 404 404",
        ["summon"] = /*                    */ "200 200 403 200 200 404 404",
        // Part actions on sanitation's part, co-handling an order municipal leads: the department acts on its own part.
        ["parts/sanitation/report"] = /*   */ "403 403 200 403 200 404 404",
        ["parts/sanitation/complete"] = /* */ "403 403 200 403 200 404 404",
        ["parts/sanitation/decline"] = /*  */ "403 403 200 403 200 404 404",
        ["parts/sanitation/waive"] = /*    */ "403 403 403 200 200 404 404",
        // The resident an app reported for: the desk and the order's community (this order was filed by the desk: none).
        ["reporter"] = /*                  */ "403 404 403 403 404 404 404",
    };

    // Calls that are not about one order: the status for a credential of each role.
    private static readonly Dictionary<string, string> ExpectedElsewhere = new()
    {
        ["file in own grid"] = /*          */ "201 201 403 403 201 403 403",
        ["list orders"] = /*               */ "200 200 200 200 200 403 403",
        // A command centre's screen lists the overdue orders with its own dashboard key (issue 9).
        ["list overdue orders"] = /*       */ "200 200 200 200 200 200 403",
        ["count orders"] = /*              */ "200 200 200 200 200 403 403",
        ["statistics"] = /*                */ "403 403 403 200 200 200 403",
        ["reference data"] = /*            */ "200 200 200 200 200 200 200",
        ["workflow"] = /*                  */ "200 200 200 200 200 200 200",
        ["metrics"] = /*                   */ "403 403 403 403 200 200 403",
        // Who the caller is, and what its role may do (the app's sign-in).
        ["me"] = /*                        */ "200 200 200 200 200 200 200",
        // The public face: the results list for anyone; Open311's requests for a reporting app only (Open311's 403 otherwise).
        ["published results"] = /*         */ "200 200 200 200 200 200 200",
        ["open311 services"] = /*          */ "200 200 200 200 200 200 200",
        ["open311 requests"] = /*          */ "403 403 403 403 403 403 200",
        ["publication settings"] = /*      */ "403 403 403 403 200 403 403",
    };

    private static readonly Role[] Roles = [Role.GridWorker, Role.Community, Role.Department, Role.Supervisor, Role.Admin, Role.Dashboard, Role.ReportingApp];

    public static TheoryData<string, Role> OrderCells()
    {
        var data = new TheoryData<string, Role>();
        foreach (var operation in Expected.Keys)
        {
            foreach (var role in Roles)
            {
                data.Add(operation, role);
            }
        }
        return data;
    }

    public static TheoryData<string, Role> OtherCells()
    {
        var data = new TheoryData<string, Role>();
        foreach (var operation in ExpectedElsewhere.Keys)
        {
            foreach (var role in Roles)
            {
                data.Add(operation, role);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(OrderCells))]
    public async Task A_credential_in_scope_gets_what_the_table_says(string operation, Role role)
    {
        var expected = (HttpStatusCode)int.Parse(Expected[operation].Split(' ')[Array.IndexOf(Roles, role)]);
        var order = await app.Prepare(operation);

        var response = await Call(app.InScope(role), operation, order);

        Assert.True(expected == response.StatusCode, $"{operation} as {role}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        await AssertOutcome(response, order, operation);
    }

    [Theory]
    [MemberData(nameof(OrderCells))]
    public async Task A_credential_bound_elsewhere_never_sees_the_order(string operation, Role role)
    {
        if (app.OutOfScope(role) is not { } client)
        {
            return; // admin and district-wide roles have no "elsewhere"; the dashboard's in-scope row is already all 404
        }
        var order = await app.Prepare(operation);

        var response = await Call(client, operation, order);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        await AssertOutcome(response, order, operation);
    }

    [Theory]
    [MemberData(nameof(OtherCells))]
    public async Task Calls_beyond_one_order_get_what_the_table_says(string operation, Role role)
    {
        var expected = (HttpStatusCode)int.Parse(ExpectedElsewhere[operation].Split(' ')[Array.IndexOf(Roles, role)]);

        var response = await CallElsewhere(app.InScope(role), operation);

        Assert.True(expected == response.StatusCode, $"{operation} as {role}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        if (response.StatusCode == HttpStatusCode.Forbidden)
        {
            // Open311's paths answer in Open311's form, everything else as a problem.
            Assert.Equal(operation.StartsWith("open311", StringComparison.Ordinal) ? "text/xml" : "application/problem+json",
                response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Theory]
    [InlineData("read")]
    [InlineData("whistle")]
    [InlineData("acknowledge")]
    public async Task No_credential_is_401_and_an_unknown_key_too(string operation)
    {
        var order = await app.Prepare(operation);

        var anonymous = await Call(app.AnonymousClient(), operation, order);
        var unknown = await Call(app.ClientWithKey(ApiKeys.NewKey()), operation, order);

        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized), (anonymous.StatusCode, unknown.StatusCode));
        Assert.Equal("application/problem+json", anonymous.Content.Headers.ContentType?.MediaType);
        Assert.NotEmpty(anonymous.Headers.WwwAuthenticate);
        Assert.Equal(order.Version, (await app.Admin.Get(order.Id)).Version);
    }

    [Fact]
    public async Task Without_a_credential_only_the_public_face_answers()
    {
        var order = await app.Prepare("read");
        var anonymous = app.AnonymousClient();

        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/api/v1/public/results")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/results")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/open311/v2/services.xml")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.GetAsync("/open311/v2/requests.xml")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.GetAsync($"/open311/v2/requests/{order.Code}.xml")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.GetAsync("/open311/v2/servicerequestupdates.xml")).StatusCode);
        foreach (var path in new[] { $"/api/v1/orders/{order.Id}", $"/api/v1/orders/{order.Id}/reporter", "/api/v1/orders", "/api/v1/stats/summary", "/api/v1/departments" })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(path)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PutAsJsonAsync($"/api/v1/orders/{order.Id}/publication", new { withheld = false })).StatusCode);
        // A photo is public only as a published result's (this order is not finished).
        var photo = await Photos.PhotoForms.Upload(app.Admin, $"/api/v1/orders/{order.Id}/photos", Photos.PhotoForms.Form(stage: "discovery", files: Photos.Images.Png()));
        var photoId = System.Text.Json.Nodes.JsonNode.Parse(await photo.Content.ReadAsStringAsync())!["photos"]![0]!["id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync($"/api/v1/public/photos/{photoId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/api/v1/photos/{photoId}")).StatusCode);
    }

    [Fact]
    public async Task Out_of_scope_orders_are_left_out_of_lists_and_a_department_sees_its_queue_only()
    {
        var ours = await app.Prepare("acknowledge");
        var theirs = await app.Admin.File(grid: "ST02-C01-G01");
        await app.Admin.Whistle(theirs.Id, "water");

        var department = await app.InScope(Role.Department).GetAsync("/api/v1/orders?limit=200");
        var otherStreet = await app.OutOfScope(Role.Supervisor)!.GetAsync("/api/v1/orders?limit=200");

        var queue = (await department.Read<OrderPage>()).Items;
        Assert.Contains(queue, o => o.Id == ours.Id);
        Assert.DoesNotContain(queue, o => o.Id == theirs.Id);
        // Its queue: the orders it leads, and those it co-handles.
        Assert.All(queue, o => Assert.True(o.DepartmentCode == "sanitation" || o.Parts!.Any(p => p.DepartmentCode == "sanitation")));
        var street = (await otherStreet.Read<OrderPage>()).Items;
        Assert.Contains(street, o => o.Id == theirs.Id);
        Assert.All(street, o => Assert.Equal("ST02", o.StreetCode));
    }

    [Fact]
    public async Task An_order_shows_only_the_next_actions_this_caller_may_take()
    {
        var order = await app.Prepare("acknowledge");

        var asDepartment = await app.InScope(Role.Department).Get(order.Id);
        var asSupervisor = await app.InScope(Role.Supervisor).Get(order.Id);
        var asCommunity = await app.InScope(Role.Community).Get(order.Id);

        Assert.Equal(["acknowledge", "return"], asDepartment.AllowedActions);
        Assert.Equal(["escalate", "reassign", "summon", "merge"], asSupervisor.AllowedActions);
        Assert.Equal(["cancel", "summon", "merge"], asCommunity.AllowedActions);
    }

    [Fact]
    public async Task A_409_names_the_actions_this_caller_may_take_in_the_state()
    {
        var order = await app.Prepare("acknowledge");

        var response = await app.InScope(Role.Department).Post($"/api/v1/orders/{order.Id}/resolve", Body("resolve"));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal(["acknowledge", "return"], (await response.Read<Problem>()).AllowedActions!);
    }

    [Fact]
    public async Task A_department_loses_an_order_it_returned_or_that_was_reassigned()
    {
        var returned = await app.Prepare("acknowledge");
        var reassigned = await app.Prepare("acknowledge");
        var department = app.InScope(Role.Department);
        await department.Act(returned.Id, "return", new { reason = "Not ours" });
        await app.InScope(Role.Supervisor).Act(reassigned.Id, "reassign", new { departmentCode = "water", reason = "A burst pipe" });

        Assert.Equal(HttpStatusCode.NotFound, (await department.GetAsync($"/api/v1/orders/{returned.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await department.GetAsync($"/api/v1/orders/{reassigned.Id}")).StatusCode);
        var water = app.ClientAs(Role.Department, department: "water");
        Assert.Equal("whistled", (await water.Get(reassigned.Id)).State);
    }

    private async Task AssertOutcome(HttpResponseMessage response, Order before, string operation)
    {
        var after = await app.Admin.Get(before.Id);
        if (response.StatusCode == HttpStatusCode.OK && operation is not ("read" or "history" or "reporter"))
        {
            Assert.Equal(before.Version + 1, after.Version);
            return;
        }
        // Refused: nothing changed, and a 404 says nothing about the order.
        Assert.Equal(before.Version, after.Version);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain(before.Title, body);
            Assert.DoesNotContain(before.Code, body);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    private static Task<HttpResponseMessage> Call(HttpClient client, string operation, Order order) => operation switch
    {
        "read" => client.GetAsync($"/api/v1/orders/{order.Id}"),
        "history" => client.GetAsync($"/api/v1/orders/{order.Id}/history"),
        "reporter" => client.GetAsync($"/api/v1/orders/{order.Id}/reporter"),
        _ => client.Post($"/api/v1/orders/{order.Id}/{operation}", Body(operation)),
    };

    private static object? Body(string operation) => operation switch
    {
        "handle-locally" => new { result = "Swept on the spot" },
        "cancel" => new { reason = "withdrawn" },
        "return" => new { reason = "Not our duty" },
        "resolve" => new { result = "Emptied" },
        "evaluate" => new { rating = "satisfied" },
        "escalate" => new { reason = "Two days late" },
        "reassign" => new { departmentCode = "municipal", reason = "The bins belong to the market" },
        "request-extension" => new { resolveBy = WhistleApp.Start.AddDays(20), reason = "A new truck is on order" },
        "approve-extension" => new { note = "Granted" },
        "refuse-extension" => new { reason = "Borrow a truck" },
        "summon" => new { departmentCode = "housing" },
        "parts/sanitation/complete" => new { result = "Bins moved" },
        "parts/sanitation/decline" or "parts/sanitation/waive" => new { reason = "Not needed" },
        _ => null,
    };

    private static Task<HttpResponseMessage> CallElsewhere(HttpClient client, string operation) => operation switch
    {
        "file in own grid" => client.Post("/api/v1/orders", Filing.Valid(grid: Grid)),
        "list orders" => client.GetAsync("/api/v1/orders"),
        "list overdue orders" => client.GetAsync("/api/v1/orders?overdue=true"),
        "count orders" => client.GetAsync("/api/v1/orders/counts"),
        "statistics" => client.GetAsync("/api/v1/stats/summary"),
        "reference data" => client.GetAsync("/api/v1/departments"),
        "workflow" => client.GetAsync("/api/v1/workflow"),
        "metrics" => client.GetAsync("/metrics"),
        "me" => client.GetAsync("/api/v1/me"),
        "published results" => client.GetAsync("/api/v1/public/results"),
        "open311 services" => client.GetAsync("/open311/v2/services.xml"),
        "open311 requests" => client.GetAsync("/open311/v2/requests.xml"),
        "publication settings" => client.PutAsJsonAsync("/api/v1/categories/noise/publication", new { @private = false }),
        _ => throw new ArgumentOutOfRangeException(nameof(operation)),
    };

    public sealed class App : WhistleApp
    {
        private readonly Dictionary<Role, HttpClient> _inScope = [];
        private readonly Dictionary<Role, HttpClient?> _outOfScope = [];

        public HttpClient Admin { get; private set; } = null!;

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            Admin = CreateClient();
            _inScope[Role.GridWorker] = ClientAs(Role.GridWorker, grids: [Grid], name: "grid worker G01");
            _inScope[Role.Community] = ClientAs(Role.Community, community: "ST01-C01", name: "community C01");
            _inScope[Role.Department] = ClientAs(Role.Department, department: "sanitation", name: "sanitation desk");
            _inScope[Role.Supervisor] = ClientAs(Role.Supervisor, street: "ST01", name: "supervisor ST01");
            _inScope[Role.Admin] = ClientAs(Role.Admin, name: "operations desk");
            _inScope[Role.Dashboard] = ClientAs(Role.Dashboard, name: "wall screen");
            _outOfScope[Role.GridWorker] = ClientAs(Role.GridWorker, grids: ["ST01-C01-G02"], name: "grid worker G02");
            _outOfScope[Role.Community] = ClientAs(Role.Community, community: "ST01-C02", name: "community C02");
            _outOfScope[Role.Department] = ClientAs(Role.Department, department: "water", name: "water desk");
            _outOfScope[Role.Supervisor] = ClientAs(Role.Supervisor, street: "ST02", name: "supervisor ST02");
            _outOfScope[Role.Admin] = null;
            _outOfScope[Role.Dashboard] = null;
            _inScope[Role.ReportingApp] = ClientAs(Role.ReportingApp, grids: [Grid], name: "civic app G01");
            _outOfScope[Role.ReportingApp] = ClientAs(Role.ReportingApp, grids: ["ST01-C01-G02"], name: "civic app G02");
        }

        public HttpClient InScope(Role role) => _inScope[role];

        public HttpClient? OutOfScope(Role role) => _outOfScope[role];

        /// <summary>A new order, brought by the admin to the state where the operation is permitted.</summary>
        public async Task<Order> Prepare(string operation)
        {
            var order = await Admin.File(grid: Grid);
            switch (operation)
            {
                case "whistle" or "handle-locally" or "cancel":
                    return order;
                case "read" or "history" or "reporter" or "acknowledge" or "return" or "escalate" or "reassign" or "summon":
                    return await Admin.Whistle(order.Id);
                case "parts/sanitation/report" or "parts/sanitation/decline" or "parts/sanitation/waive":
                    return await Admin.Act(order.Id, "whistle", new { departmentCode = "municipal", coDepartmentCodes = new[] { "sanitation" } });
                case "parts/sanitation/complete":
                    await Admin.Act(order.Id, "whistle", new { departmentCode = "municipal", coDepartmentCodes = new[] { "sanitation" } });
                    return await Admin.Act(order.Id, "parts/sanitation/report");
                case "resolve" or "request-extension":
                    await Admin.Whistle(order.Id);
                    return await Admin.Acknowledge(order.Id);
                case "evaluate":
                    await Admin.Whistle(order.Id);
                    await Admin.Acknowledge(order.Id);
                    return await Admin.Resolve(order.Id);
                case "approve-extension" or "refuse-extension":
                    await Admin.Whistle(order.Id);
                    await Admin.Acknowledge(order.Id);
                    return await Admin.Act(order.Id, "request-extension", Body("request-extension"));
                default:
                    throw new ArgumentOutOfRangeException(nameof(operation));
            }
        }
    }
}
