using System.Net;

namespace Whistle.Api.Tests.Infrastructure;

/// <summary>Steps a client takes, each asserting it succeeded, for tests that need orders in some state.</summary>
public static class OrderSteps
{
    public static async Task<Order> File(this HttpClient client, string category = "garbage", string grid = "ST01-C01-G01",
        string? priority = null, string? actor = null)
    {
        var response = await client.Post("/api/v1/orders", Filing.Valid(category, grid, priority), actor: actor);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Read<Order>();
    }

    public static async Task<Order> Act(this HttpClient client, Guid id, string action, object? body = null, string? actor = null)
    {
        var response = await client.Post($"/api/v1/orders/{id}/{action}", body, actor: actor);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{action}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Read<Order>();
    }

    public static Task<Order> Whistle(this HttpClient client, Guid id, string? department = null) =>
        client.Act(id, "whistle", department is null ? null : new { departmentCode = department });

    public static Task<Order> Acknowledge(this HttpClient client, Guid id) => client.Act(id, "acknowledge");

    public static Task<Order> Resolve(this HttpClient client, Guid id) => client.Act(id, "resolve", new { result = "Done" });

    public static Task<Order> Return(this HttpClient client, Guid id) => client.Act(id, "return", new { reason = "Not our duty" });

    public static Task<Order> Evaluate(this HttpClient client, Guid id, string rating) =>
        client.Act(id, "evaluate", new { rating, comment = "Checked on site" });

    public static Task<Order> Cancel(this HttpClient client, Guid id, string reason = "duplicate") => client.Act(id, "cancel", new { reason });

    public static async Task<Order> Get(this HttpClient client, Guid id)
    {
        var response = await client.GetAsync($"/api/v1/orders/{id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Read<Order>();
    }

    public static async Task<HistoryEntry[]> History(this HttpClient client, Guid id)
    {
        var response = await client.GetAsync($"/api/v1/orders/{id}/history");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Read<HistoryEntry[]>();
    }

    public static async Task<Summary> Summary(this HttpClient client, string query = "")
    {
        var response = await client.GetAsync($"/api/v1/stats/summary{query}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Read<Summary>();
    }
}
