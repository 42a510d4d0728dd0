using System.Net;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Whistle.Api.Tests.Credentials;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Access;

/// <summary>
/// A token's scope claim is one code the district knows, or the token is refused (401 or 403): a
/// claim that is missing, empty, blank, JSON null, an array, another JSON type or an unknown code
/// never widens what it reads, on any call that answers figures or orders.
/// </summary>
public class TokenScopeTests(JwtTests.JwtApp app) : IClassFixture<JwtTests.JwtApp>
{
    private static readonly string[] Calls =
    [
        "/api/v1/stats/summary", "/api/v1/stats/breakdown?groupBy=street", "/api/v1/grids/boundaries?counts=true&level=street",
        "/api/v1/orders", "/api/v1/orders/export", "/metrics",
    ];

    public static TheoryData<string> BadStreets() =>
    [
        "missing", "empty", "blank", "null", "array with the district first", "array of one", "number", "object", "unknown code", "padded code",
    ];

    [Theory]
    [MemberData(nameof(BadStreets))]
    public async Task A_supervisor_token_whose_street_claim_is_not_one_known_code_is_refused_everywhere(string flaw)
    {
        var claims = new Dictionary<string, object> { ["sub"] = "u-3001", ["name"] = "Supervisor", ["role"] = "supervisor" };
        object? street = flaw switch
        {
            "missing" => null,
            "empty" => "",
            "blank" => " ",
            "null" => JsonDocument.Parse("null").RootElement,
            "array with the district first" => new[] { "*", "ST01" },
            "array of one" => new[] { "ST01", "ST01" },
            "number" => 7,
            "object" => new Dictionary<string, object> { ["code"] = "ST01" },
            "unknown code" => "NO-SUCH-STREET",
            "padded code" => " ST01",
            _ => throw new ArgumentOutOfRangeException(nameof(flaw)),
        };
        if (street is not null)
        {
            claims["street"] = street;
        }
        var client = app.ClientWithToken(Token(claims));

        foreach (var call in Calls)
        {
            var response = await client.GetAsync(call);

            Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden,
                $"{flaw}: {call} answered {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    [Theory]
    [InlineData("department", "")]
    [InlineData("department", "no-such-department")]
    [InlineData("community", " ")]
    [InlineData("community", "NO-SUCH-COMMUNITY")]
    [InlineData("grid", "NO-SUCH-GRID")]
    [InlineData("grid", "")]
    public async Task A_token_whose_scope_names_an_empty_or_unknown_code_is_refused(string claim, string code)
    {
        var role = claim switch { "department" => "department", "community" => "community", _ => "grid-worker" };
        var client = app.ClientWithToken(Token(new() { ["sub"] = "u-3002", ["name"] = "Someone", ["role"] = role, [claim] = code }));

        var response = await client.GetAsync("/api/v1/orders");

        Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, $"{(int)response.StatusCode}");
    }

    [Fact]
    public async Task A_street_supervisor_token_reads_its_street_and_a_district_one_the_whole_district()
    {
        var street = app.ClientWithToken(Token(new() { ["sub"] = "u-3003", ["name"] = "ST01", ["role"] = "supervisor", ["street"] = "ST01" }));
        var district = app.ClientWithToken(Token(new() { ["sub"] = "u-3004", ["name"] = "District", ["role"] = "supervisor", ["street"] = "*" }));

        Assert.Equal(HttpStatusCode.OK, (await street.GetAsync("/api/v1/stats/summary")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await street.GetAsync("/api/v1/stats/summary?streetCode=ST02")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await street.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await district.GetAsync("/api/v1/stats/summary?streetCode=ST02")).StatusCode);
    }

    [Fact]
    public async Task A_token_subject_longer_than_a_record_of_who_acted_can_keep_is_refused()
    {
        var client = app.ClientWithToken(Token(new() { ["sub"] = new string('s', 91), ["name"] = "Admin", ["role"] = "admin" }));

        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/streets")).StatusCode);
    }

    private string Token(Dictionary<string, object> claims)
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = JwtTests.JwtApp.Issuer,
            Audience = JwtTests.JwtApp.Audience,
            Claims = claims,
            IssuedAt = now.AddMinutes(-1),
            NotBefore = now.AddMinutes(-1),
            Expires = now.AddHours(1),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(app.Secret), SecurityAlgorithms.HmacSha256),
        });
    }
}
