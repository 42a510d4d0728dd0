using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Credentials;

/// <summary>
/// People come in with JWT bearer tokens from the district's identity provider: issuer, audience and
/// keys from Whistle:Jwt, role and scope from the claims. Lifetimes are checked against the real
/// clock (the token handler does not use the service's TimeProvider), so tokens here are issued now.
/// </summary>
public class JwtTests(JwtTests.JwtApp app) : IClassFixture<JwtTests.JwtApp>
{
    public sealed class JwtApp : WhistleApp
    {
        public const string Issuer = "https://id.hohhot.example";
        public const string Audience = "whistle";

        public byte[] Secret { get; } = RandomNumberGenerator.GetBytes(32);
        public RSA Rsa { get; } = RSA.Create(2048);

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Whistle:Jwt:Issuer", Issuer);
            builder.UseSetting("Whistle:Jwt:Audience", Audience);
            builder.UseSetting("Whistle:Jwt:SigningKeys:0", Convert.ToBase64String(Secret));
            builder.UseSetting("Whistle:Jwt:PublicKeys:0", Rsa.ExportSubjectPublicKeyInfoPem());
        }

        public HttpClient ClientWithToken(string token)
        {
            var client = AnonymousClient();
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return client;
        }
    }

    private string Token(
        Dictionary<string, object> claims, string issuer = JwtApp.Issuer, string audience = JwtApp.Audience,
        DateTime? expires = null, SigningCredentials? signing = null)
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Claims = claims,
            IssuedAt = (expires ?? now.AddHours(1)).AddHours(-2),
            NotBefore = (expires ?? now.AddHours(1)).AddHours(-2),
            Expires = expires ?? now.AddHours(1),
            SigningCredentials = signing ?? new SigningCredentials(new SymmetricSecurityKey(app.Secret), SecurityAlgorithms.HmacSha256),
        });
    }

    private static Dictionary<string, object> GridWorker(string name = "Wang Fang") => new()
    {
        ["sub"] = "u-1001",
        ["name"] = name,
        ["role"] = "grid-worker",
        ["grid"] = new[] { "ST01-C01-G01", "ST01-C01-G02" },
    };

    [Fact]
    public async Task A_valid_token_acts_with_its_role_and_scope_and_history_records_its_name()
    {
        var worker = app.ClientWithToken(Token(GridWorker()));

        var filed = await worker.Post("/api/v1/orders", Filing.Valid(grid: "ST01-C01-G02"));
        Assert.Equal(HttpStatusCode.Created, filed.StatusCode);
        var order = await filed.Read<Order>();
        // Out of its grids: the token's scope holds, as a key's would.
        Assert.Equal(HttpStatusCode.Forbidden, (await worker.Post("/api/v1/orders", Filing.Valid(grid: "ST01-C02-G01"))).StatusCode);

        var history = await app.CreateClient().History(order.Id);
        Assert.Equal("Wang Fang", Assert.Single(history).Actor);
        Assert.Equal("Wang Fang", order.FiledBy);
    }

    [Fact]
    public async Task A_token_signed_with_an_rs256_key_whose_public_half_is_configured_works()
    {
        var signing = new SigningCredentials(new RsaSecurityKey(app.Rsa), SecurityAlgorithms.RsaSha256);
        var dashboard = app.ClientWithToken(Token(new() { ["sub"] = "screen-1", ["role"] = "dashboard" }, signing: signing));

        Assert.Equal(HttpStatusCode.OK, (await dashboard.GetAsync("/api/v1/stats/summary")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await dashboard.GetAsync("/api/v1/orders")).StatusCode);
    }

    public static TheoryData<string> BadTokens() => ["wrong issuer", "wrong audience", "expired", "bad signature", "not a token"];

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task A_bad_token_is_a_401_problem_with_a_bearer_challenge(string flaw)
    {
        var token = flaw switch
        {
            "wrong issuer" => Token(GridWorker(), issuer: "https://elsewhere.example"),
            "wrong audience" => Token(GridWorker(), audience: "another-service"),
            "expired" => Token(GridWorker(), expires: DateTime.UtcNow.AddMinutes(-5)),
            "bad signature" => Token(GridWorker(), signing: new SigningCredentials(
                new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)), SecurityAlgorithms.HmacSha256)),
            _ => "not.a.token",
        };

        var response = await app.ClientWithToken(token).GetAsync("/api/v1/orders");

        var problem = await AccessProblemTests.AssertProblem(response, HttpStatusCode.Unauthorized);
        Assert.Contains("bearer token", problem.Detail);
        Assert.StartsWith("Bearer", response.Headers.WwwAuthenticate.ToString());
    }

    [Theory]
    [InlineData("mayor")]
    [InlineData(null)]
    public async Task A_valid_token_without_a_known_role_is_a_403_problem(string? role)
    {
        var claims = new Dictionary<string, object> { ["sub"] = "u-2002", ["name"] = "Li Lei" };
        if (role is not null)
        {
            claims["role"] = role;
        }

        var response = await app.ClientWithToken(Token(claims)).GetAsync("/api/v1/streets");

        var problem = await AccessProblemTests.AssertProblem(response, HttpStatusCode.Forbidden);
        Assert.Contains("no role", problem.Detail);
    }

    [Fact]
    public async Task Api_keys_still_work_beside_tokens()
    {
        Assert.Equal(HttpStatusCode.OK, (await app.CreateClient().GetAsync("/api/v1/streets")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.AnonymousClient().GetAsync("/api/v1/streets")).StatusCode);
    }

    [Fact]
    public async Task A_token_whose_scope_does_not_fit_its_role_is_refused_rather_than_failing_open()
    {
        var unassigned = await app.CreateClient().File();
        var department = app.ClientWithToken(Token(new() { ["sub"] = "u-2001", ["name"] = "No department", ["role"] = "department" }));
        var supervisor = app.ClientWithToken(Token(new() { ["sub"] = "u-2002", ["name"] = "No street", ["role"] = "supervisor" }));
        var district = app.ClientWithToken(Token(new() { ["sub"] = "u-2003", ["name"] = "District", ["role"] = "supervisor", ["street"] = "*" }));

        // A department token without its department must not read the orders no department has yet.
        Assert.Equal(HttpStatusCode.Forbidden, (await department.GetAsync("/api/v1/orders")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await department.GetAsync($"/api/v1/orders/{unassigned.Id}")).StatusCode);
        // A supervisor token names its street, or "*" for the whole district; none is not the whole district.
        Assert.Equal(HttpStatusCode.Forbidden, (await supervisor.GetAsync($"/api/v1/orders/{unassigned.Id}")).StatusCode);
        Assert.Equal(unassigned.Id, (await district.Get(unassigned.Id)).Id);
    }
}
