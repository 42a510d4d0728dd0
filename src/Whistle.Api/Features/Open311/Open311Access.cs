namespace Whistle.Api.Features.Open311;

/// <summary>
/// Open311's <c>api_key</c> is an ordinary Whistle API key of a <see cref="Role.ReportingApp"/> credential, sent as the
/// spec says (a query or form field <c>api_key</c>) or as <c>X-Api-Key</c>. Without one, or with another role's, the
/// request is 403. An app sees the reports it filed itself, and nothing else of the district's orders.
/// </summary>
public static class Open311Access
{
    public const string KeyField = "api_key";

    public static async Task<Caller> CallerAsync(HttpContext http, string? apiKey)
    {
        var caller = Caller.From(http.User) ?? await LookUpAsync(http, apiKey);
        AccessPolicy.Ensure(caller, Operation.ReportOverOpen311);
        return caller;
    }

    private static async Task<Caller> LookUpAsync(HttpContext http, string? apiKey)
    {
        if (string.IsNullOrWhiteSpace(apiKey))
        {
            throw new Open311Exception(StatusCodes.Status403Forbidden, "api_key is required: a reporting-app key the district issued.");
        }
        apiKey = apiKey.Trim();
        var credentials = http.RequestServices.GetRequiredService<CredentialCache>();
        if (!ApiKeys.LooksLikeKey(apiKey))
        {
            throw UnknownKey();
        }
        if (!credentials.TryRecall(apiKey, out var caller))
        {
            // As for X-Api-Key: a key this instance has not seen lately costs the address a token before the store is asked.
            if (!http.RequestServices.GetRequiredService<RateLimits>().MayLookUpKey(http))
            {
                http.Response.Headers.RetryAfter = "1";
                throw new Open311Exception(StatusCodes.Status429TooManyRequests, "Too many unknown API keys from this address; retry in a second.");
            }
            caller = await credentials.LookUpAsync(apiKey, http.RequestAborted);
        }
        return caller ?? throw UnknownKey();
    }

    private static Open311Exception UnknownKey() => new(StatusCodes.Status403Forbidden, "The api_key is unknown or has been revoked.");

    /// <summary>The orders this app filed (its reporter rows name its credential).</summary>
    public static IQueryable<Order> OwnOrders(this WhistleDbContext db, Caller app) =>
        db.Orders.AsNoTracking().Where(o => db.OrderReporters.Any(r => r.OrderId == o.Id && r.FiledVia == app.Actor.Id));
}
