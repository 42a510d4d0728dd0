using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Reference;

/// <summary>What a test of the reference data sends and reads.</summary>
public static class ReferenceClient
{
    public static Task<HttpResponseMessage> Put(this HttpClient client, string path, object body, string? ifMatch = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, path) { Content = JsonContent.Create(body, options: WhistleApp.Json) };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }
        return client.SendAsync(request);
    }

    public static async Task<HttpResponseMessage> Created(this HttpClient client, string path, object body)
    {
        var response = await client.Post(path, body);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return response;
    }

    public static Task<HttpResponseMessage> Street(this HttpClient client, string code, string name = "新街道") =>
        client.Created("/api/v1/streets", new { code, name });

    public static Task<HttpResponseMessage> Community(this HttpClient client, string code, string street, string name = "新社区") =>
        client.Created("/api/v1/communities", new { code, name, streetCode = street });

    public static Task<HttpResponseMessage> Grid(this HttpClient client, string code, string community, string name = "新网格") =>
        client.Created("/api/v1/grids", new { code, name, communityCode = community });

    public static Task<HttpResponseMessage> Department(this HttpClient client, string code, string name = "新部门") =>
        client.Created("/api/v1/departments", new { code, name });

    public static object Category(string code, string department, int acknowledge = 24, int resolve = 72, int urgentAcknowledge = 12, int urgentResolve = 36) => new
    {
        code,
        name = "新类别",
        departmentCode = department,
        acknowledgeWithinHours = acknowledge,
        resolveWithinHours = resolve,
        urgentAcknowledgeWithinHours = urgentAcknowledge,
        urgentResolveWithinHours = urgentResolve,
        resolveInWorkingDays = false,
    };

    /// <summary>The field errors of a 400, by field.</summary>
    public static async Task<Dictionary<string, string[]>> Errors(this HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        return problem.GetProperty("errors").Deserialize<Dictionary<string, string[]>>()!;
    }

    public static string ETag(this HttpResponseMessage response) => response.Headers.ETag!.ToString();
}
