using System.Net;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests;

/// <summary>The built-in reference set, shaped like Hohhot's, as the API lists it.</summary>
public class ReferenceDataTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    private readonly HttpClient _client = app.CreateClient();

    public sealed record Street(string Code, string Name);
    public sealed record Community(string Code, string Name, string StreetCode);
    public sealed record Grid(string Code, string Name, string CommunityCode, string StreetCode);
    public sealed record Department(string Code, string Name);
    public sealed record Category(
        string Code, string Name, string DepartmentCode, int AcknowledgeWithinHours, int ResolveWithinHours,
        int UrgentAcknowledgeWithinHours, int UrgentResolveWithinHours, bool ResolveInWorkingDays);

    private async Task<T[]> List<T>(string path)
    {
        var response = await _client.GetAsync("/api/v1/" + path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Read<T[]>();
    }

    [Fact]
    public async Task The_district_has_Hohhots_shape_39_streets_453_communities_4693_grids()
    {
        var streets = await List<Street>("streets");
        var communities = await List<Community>("communities");
        var grids = await List<Grid>("grids");

        Assert.Equal((39, 453, 4693), (streets.Length, communities.Length, grids.Length));
        Assert.All(streets, s => Assert.False(string.IsNullOrWhiteSpace(s.Name)));
        var streetCodes = streets.Select(s => s.Code).ToHashSet();
        Assert.All(communities, c => Assert.Contains(c.StreetCode, streetCodes));
        var communityStreets = communities.ToDictionary(c => c.Code, c => c.StreetCode);
        Assert.All(grids, g => Assert.Equal(communityStreets[g.CommunityCode], g.StreetCode));
        Assert.Equal(streets.Select(s => s.Code).Order(StringComparer.Ordinal), streets.Select(s => s.Code));
    }

    [Fact]
    public async Task Lists_narrow_by_parent()
    {
        var communities = await List<Community>("communities?streetCode=ST01");
        Assert.Equal(12, communities.Length);
        Assert.All(communities, c => Assert.Equal("ST01", c.StreetCode));

        var grids = await List<Grid>("grids?communityCode=ST01-C01");
        Assert.Equal(11, grids.Length);
        Assert.All(grids, g => Assert.Equal("ST01-C01", g.CommunityCode));
        Assert.Equal((await List<Grid>("grids?streetCode=ST39")).Length, (await List<Community>("communities?streetCode=ST39")).Sum(_ => 10));
    }

    [Fact]
    public async Task Every_category_routes_to_a_listed_department_with_positive_limits()
    {
        var departments = (await List<Department>("departments")).Select(d => d.Code).ToHashSet();
        var categories = await List<Category>("categories");

        Assert.True(categories.Length >= 40);
        Assert.True(departments.Count >= 60); // Yuquan district alone has 60+ departments and units
        Assert.All(categories, c =>
        {
            Assert.Contains(c.DepartmentCode, departments);
            Assert.True(c.AcknowledgeWithinHours > 0 && c.ResolveWithinHours >= c.AcknowledgeWithinHours);
            Assert.True(c.UrgentAcknowledgeWithinHours <= c.AcknowledgeWithinHours && c.UrgentResolveWithinHours <= c.ResolveWithinHours);
        });
        var garbage = Assert.Single(categories, c => c.Code == "garbage");
        Assert.Equal(new Category("garbage", "垃圾清运不及时", "sanitation", 4, 24, 2, 12, false), garbage);
        Assert.All(await List<Category>("categories?departmentCode=water"), c => Assert.Equal("water", c.DepartmentCode));
    }
}
