using System.Net;
using System.Text.Json;
using Whistle.Api.Features.Access;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Access;

/// <summary>
/// Every call that answers counts, figures or lists of orders, for every role: the status the table
/// says, and nothing of an order outside the caller's scope in what a 200 carries. One order lies in
/// the callers' scope (grid ST01-C01-G01, sanitation), the other outside every bound role's
/// (street ST02, water); only the admin and the dashboard, who see the district, see both.
/// </summary>
public class FiguresAccessTests(FiguresAccessTests.App app) : IClassFixture<FiguresAccessTests.App>
{
    //                                              grid-worker community department supervisor admin dashboard
    private static readonly Dictionary<string, string> Expected = new()
    {
        ["boundaries"] = /*                    */ "200 200 200 200 200 200",
        ["boundaries with counts"] = /*        */ "403 403 403 200 200 200",
        ["community boundaries with counts"] = /* */ "403 403 403 200 200 200",
        ["street boundaries with counts"] = /* */ "403 403 403 200 200 200",
        ["nearby"] = /*                        */ "200 200 200 200 200 403",
        ["export csv"] = /*                    */ "200 200 200 200 200 403",
        ["export xlsx"] = /*                   */ "200 200 200 200 200 403",
        ["stats summary"] = /*                 */ "403 403 403 200 200 200",
        ["stats summary csv"] = /*             */ "403 403 403 200 200 200",
        ["stats breakdown xlsx"] = /*          */ "403 403 403 200 200 200",
        ["stats breakdown by street csv"] = /* */ "403 403 403 200 200 200",
        ["stats timeseries csv"] = /*          */ "403 403 403 200 200 200",
    };

    private static readonly Role[] Roles = [Role.GridWorker, Role.Community, Role.Department, Role.Supervisor, Role.Admin, Role.Dashboard];

    public static TheoryData<string, Role> Cells()
    {
        var data = new TheoryData<string, Role>();
        foreach (var call in Expected.Keys)
        {
            foreach (var role in Roles)
            {
                data.Add(call, role);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public async Task Each_role_gets_what_the_table_says_and_nothing_of_an_order_outside_its_scope(string call, Role role)
    {
        var expected = (HttpStatusCode)int.Parse(Expected[call].Split(' ')[Array.IndexOf(Roles, role)]);
        var (ours, theirs) = await app.OrdersAsync();

        var response = await app.InScope(role).GetAsync(Path(call, theirs));

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{call} as {role}: {(int)response.StatusCode} {text}");
        if (response.StatusCode != HttpStatusCode.OK)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            return;
        }
        if (role is Role.Admin or Role.Dashboard)
        {
            return; // the whole district is theirs
        }
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var shown = call.Contains("xlsx", StringComparison.Ordinal) ? string.Join('\n', Downloads.Sheets.ReadXlsx(bytes).Select(r => string.Join(',', r))) : text;
        Assert.DoesNotContain(theirs.Code, shown);
        Assert.DoesNotContain(theirs.Id.ToString(), shown);
        if (call.Contains("counts", StringComparison.Ordinal))
        {
            await AssertCountsConfinedAsync(call, role, text);
        }
        if (call.StartsWith("stats", StringComparison.Ordinal))
        {
            // A street's supervisor reads its street's figures: exactly what the admin reads for that street.
            var asAdmin = await app.Admin.GetAsync(Path(call, theirs) + "&streetCode=ST01");
            var adminBytes = await asAdmin.Content.ReadAsByteArrayAsync();
            if (call.Contains("xlsx", StringComparison.Ordinal))
            {
                // A workbook is a zip whose entries carry the second they were written: compare the cells, not the bytes.
                Assert.Equal(string.Join('\n', Downloads.Sheets.ReadXlsx(adminBytes).Select(r => string.Join(',', r))), shown);
            }
            else
            {
                Assert.Equal(adminBytes, bytes);
            }
        }
        else if (call is "nearby" or "export csv" or "export xlsx")
        {
            // What is in scope is there: the list left the other order out, not everything.
            Assert.Contains(ours.Code, shown);
        }
    }

    /// <summary>Another street's areas carry no counts for a street's supervisor; its own carry what the admin's map shows.</summary>
    private async Task AssertCountsConfinedAsync(string call, Role role, string text)
    {
        Assert.Equal(Role.Supervisor, role);
        var asAdmin = JsonDocument.Parse(await app.Admin.GetStringAsync(Path(call, null))).RootElement.GetProperty("features").EnumerateArray()
            .ToDictionary(f => f.GetProperty("id").GetString()!, f => f.GetProperty("properties"));
        var features = JsonDocument.Parse(text).RootElement.GetProperty("features").EnumerateArray().ToList();
        Assert.NotEmpty(features);
        var counted = 0;
        foreach (var feature in features)
        {
            var code = feature.GetProperty("id").GetString()!;
            var properties = feature.GetProperty("properties");
            if (code == "ST01" || code.StartsWith("ST01-", StringComparison.Ordinal))
            {
                Assert.Equal(asAdmin[code].GetProperty("openOrders").GetInt32(), properties.GetProperty("openOrders").GetInt32());
                Assert.Equal(asAdmin[code].GetProperty("overdueOrders").GetInt32(), properties.GetProperty("overdueOrders").GetInt32());
                counted++;
            }
            else
            {
                Assert.Equal(JsonValueKind.Null, properties.GetProperty("openOrders").ValueKind);
                Assert.Equal(JsonValueKind.Null, properties.GetProperty("overdueOrders").ValueKind);
            }
        }
        Assert.True(counted > 0);
        Assert.True(asAdmin.Where(a => a.Key.StartsWith("ST02", StringComparison.Ordinal)).Sum(a => a.Value.GetProperty("openOrders").GetInt32()) > 0);
    }

    private static string Path(string call, Order? theirs) => call switch
    {
        "boundaries" => "/api/v1/grids/boundaries",
        "boundaries with counts" => "/api/v1/grids/boundaries?counts=true",
        "community boundaries with counts" => "/api/v1/grids/boundaries?level=community&counts=true",
        "street boundaries with counts" => "/api/v1/grids/boundaries?level=street&counts=true",
        "nearby" => FormattableString.Invariant($"/api/v1/orders/nearby?latitude={theirs!.Location.Latitude}&longitude={theirs.Location.Longitude}&radius=5000&limit=200"),
        "export csv" => "/api/v1/orders/export?format=csv",
        "export xlsx" => "/api/v1/orders/export?format=xlsx",
        "stats summary" => "/api/v1/stats/summary?from=2026-01-01",
        "stats summary csv" => "/api/v1/stats/summary.csv?from=2026-01-01",
        "stats breakdown xlsx" => "/api/v1/stats/breakdown.xlsx?groupBy=community&from=2026-01-01",
        "stats breakdown by street csv" => "/api/v1/stats/breakdown.csv?groupBy=street&from=2026-01-01",
        "stats timeseries csv" => "/api/v1/stats/timeseries.csv?interval=month&from=2026-01-01&to=2027-01-01",
        _ => throw new ArgumentOutOfRangeException(nameof(call)),
    };

    public sealed class App : WhistleApp
    {
        private readonly Dictionary<Role, HttpClient> _inScope = [];
        private readonly SemaphoreSlim _once = new(1, 1);
        private (Order Ours, Order Theirs)? _orders;

        public HttpClient Admin { get; private set; } = null!;

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            Admin = CreateClient();
            _inScope[Role.GridWorker] = ClientAs(Role.GridWorker, grids: ["ST01-C01-G01"], name: "grid worker G01");
            _inScope[Role.Community] = ClientAs(Role.Community, community: "ST01-C01", name: "community C01");
            _inScope[Role.Department] = ClientAs(Role.Department, department: "sanitation", name: "sanitation desk");
            _inScope[Role.Supervisor] = ClientAs(Role.Supervisor, street: "ST01", name: "supervisor ST01");
            _inScope[Role.Admin] = ClientAs(Role.Admin, name: "operations desk");
            _inScope[Role.Dashboard] = ClientAs(Role.Dashboard, name: "wall screen");
        }

        public HttpClient InScope(Role role) => _inScope[role];

        /// <summary>The two orders, filed and whistled once for every cell.</summary>
        public async Task<(Order Ours, Order Theirs)> OrdersAsync()
        {
            await _once.WaitAsync();
            try
            {
                if (_orders is null)
                {
                    var ours = await Admin.File(grid: "ST01-C01-G01");
                    var theirs = await Admin.File(grid: "ST02-C01-G01");
                    _orders = (await Admin.Whistle(ours.Id, "sanitation"), await Admin.Whistle(theirs.Id, "water"));
                }
                return _orders.Value;
            }
            finally
            {
                _once.Release();
            }
        }
    }
}
