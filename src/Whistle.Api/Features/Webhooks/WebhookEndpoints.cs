namespace Whistle.Api.Features.Webhooks;

/// <summary>The webhook resource: <c>/api/v1/webhooks</c>, its deliveries and their attempts.</summary>
public static class WebhookEndpoints
{
    public static RouteGroupBuilder MapWebhooks(this IEndpointRouteBuilder app)
    {
        // Departments, communities and admins only (403 for the other roles); each sees its own (404 for others').
        var webhooks = app.MapGroup("/api/v1/webhooks").WithTags("Webhooks").RequireOperation(Operation.ManageWebhooks);
        CreateWebhook.Map(webhooks);
        ListWebhooks.Map(webhooks);
        GetWebhook.Map(webhooks);
        UpdateWebhook.Map(webhooks);
        DeleteWebhook.Map(webhooks);
        ListDeliveries.Map(webhooks);
        GetDelivery.Map(webhooks);
        Redeliver.Map(webhooks);
        return webhooks;
    }

    /// <summary>
    /// The subscriptions the caller may see and change: an admin's every one; a department's or a
    /// community's those registered for that department or community (by any of its credentials).
    /// </summary>
    internal static IQueryable<WebhookSubscription> VisibleTo(this IQueryable<WebhookSubscription> subscriptions, Caller caller) =>
        caller.Role switch
        {
            Role.Admin => subscriptions,
            Role.Department => subscriptions.Where(s => s.OwnerRole == Role.Department && s.OwnerDepartmentCode == caller.DepartmentCode),
            Role.Community => subscriptions.Where(s => s.OwnerRole == Role.Community && s.OwnerCommunityCode == caller.CommunityCode),
            _ => subscriptions.Where(_ => false),
        };

    /// <summary>The caller's subscription by id: someone else's is not found (404), as if it did not exist.</summary>
    internal static async Task<WebhookSubscription> FindAsync(WhistleDbContext db, Caller caller, string id, bool track, CancellationToken cancellationToken)
    {
        AccessPolicy.Ensure(caller, Operation.ManageWebhooks);
        var subscriptions = track ? db.WebhookSubscriptions : db.WebhookSubscriptions.AsNoTracking();
        return (Guid.TryParse(id, out var guid)
                ? await subscriptions.VisibleTo(caller).SingleOrDefaultAsync(s => s.Id == guid, cancellationToken)
                : null)
            ?? throw NotFound(id);
    }

    internal static NotFoundException NotFound(string id) => new($"No webhook subscription of yours has the id '{id}'.");
}

/// <summary>A subscription as its owner sees it; the secret is shown only when it is created.</summary>
/// <param name="Events">The event types it receives; <c>*</c> for all.</param>
/// <param name="Enabled">A disabled subscription receives nothing: its events wait (pending) until it is enabled again.</param>
/// <param name="OwnerRole">Who registered it decides what it hears: an admin's every order, a department's its orders, a community's its community's.</param>
public sealed record WebhookResponse(
    Guid Id, string Url, IReadOnlyList<string> Events, bool Enabled, Role OwnerRole, string? DepartmentCode, string? CommunityCode,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static WebhookResponse From(WebhookSubscription s) =>
        new(s.Id, s.Url, s.Events, s.Enabled, s.OwnerRole, s.OwnerDepartmentCode, s.OwnerCommunityCode, s.CreatedAt, s.UpdatedAt);
}
