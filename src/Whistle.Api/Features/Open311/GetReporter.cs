using Whistle.Api.Features.Orders;

namespace Whistle.Api.Features.Open311;

/// <summary>The desk reads who reported an order through an app, to follow it up with them (the only place the reporter is shown).</summary>
public static class GetReporter
{
    /// <param name="App">The reporting app's credential name that filed it.</param>
    public sealed record Response(string OrderCode, string App, string? Email, string? FirstName, string? LastName, string? Phone, string? DeviceId, string? AccountId);

    internal static void Map(IEndpointRouteBuilder app) =>
        app.MapGroup("/api/v1/orders").MapGet("/{id}/reporter", async Task<Ok<Response>> (string id, HttpContext http, WhistleDbContext db, CancellationToken cancellationToken) =>
            {
                var caller = http.GetCaller();
                var order = await db.Orders.AsNoTracking().WhereKey(id).SingleOrDefaultAsync(cancellationToken);
                if (order is null || !AccessPolicy.InScope(caller, order))
                {
                    throw OrderStore.NotFound(id);
                }
                AccessPolicy.Ensure(caller, Operation.ReadReporter);
                var found = await db.OrderReporters.AsNoTracking()
                    .Where(r => r.OrderId == order.Id)
                    .Select(r => new { Reporter = r, App = db.Credentials.Where(c => "key:" + c.Id.ToString() == r.FiledVia).Select(c => c.Name).FirstOrDefault() })
                    .SingleOrDefaultAsync(cancellationToken)
                    ?? throw new NotFoundException("The order was not reported through an app: it has no reporter.");
                var r = found.Reporter;
                http.Response.Headers.CacheControl = "no-store";
                return TypedResults.Ok(new Response(OrderCode.Format(order.Number), found.App ?? r.FiledVia, r.Email, r.FirstName, r.LastName, r.Phone, r.DeviceId, r.AccountId));
            })
            .WithTags("Orders")
            .WithName("GetOrderReporter")
            .WithSummary("Who reported an order through an app")
            .WithDescription(
                "The resident's fields an Open311 app sent with the report (email, names, phone, device and account ids), for the desk and the " +
                "order's community to follow it up. Shown nowhere else: not in the order, its history, webhooks, Open311 answers or the results list. " +
                "404 when the order was not reported through an app.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .WithResponseHeader(StatusCodes.Status200OK, "Cache-Control", "no-store: personal data.");
}
