using System.Text.Json;
using System.Text.Json.Serialization;
using Npgsql;
using NpgsqlTypes;
using Whistle.Api.Features.Access;
using Whistle.Api.Features.Orders;
using Whistle.Api.Infrastructure;
using Whistle.Domain.Orders;

namespace Whistle.Api.Features.Webhooks;

/// <summary>The events subscribers hear about, and the history actions they come from.</summary>
public static class WebhookEvents
{
    public const string Whistled = "order.whistled";
    public const string Returned = "order.returned";
    public const string Reopened = "order.reopened";
    public const string Escalated = "order.escalated";
    public const string DeadlineExtended = "order.deadline-extended";
    public const string Resolved = "order.resolved";
    public const string Closed = "order.closed";
    public const string Cancelled = "order.cancelled";

    /// <summary>Subscribes to every event, those added later included.</summary>
    public const string All = "*";

    public static readonly IReadOnlyList<string> Names = [Whistled, Returned, Reopened, Escalated, DeadlineExtended, Resolved, Closed, Cancelled];

    /// <summary>The event a history entry raises, if any (filing, acknowledging and extension requests raise none).</summary>
    public static string? For(OrderHistoryEntry entry) => entry.Action switch
    {
        "whistle" => Whistled,
        // A supervisor's reassignment (改派) whistles the order afresh to the new department.
        "reassign" => Whistled,
        "return" => Returned,
        "evaluate" => entry.ToState == OrderState.Closed ? Closed : Reopened,
        "escalate" => Escalated,
        "approve-extension" => DeadlineExtended,
        "resolve" => Resolved,
        "close-unevaluated" => Closed,
        "cancel" => Cancelled,
        _ => null,
    };
}

/// <summary>
/// The transactional outbox: for each event an order change raises, one statement in the change's
/// own batch that writes a delivery row per matching subscription (none when nobody listens) and,
/// only if it wrote any, notifies the dispatchers when the transaction commits.
/// </summary>
public static class WebhookOutbox
{
    /// <summary>The channel dispatchers LISTEN on; the notification carries nothing, it only wakes them.</summary>
    public const string Channel = "whistle_webhooks";

    public const string NotifySql = "SELECT pg_notify('" + Channel + "', '')";

    /// <summary>The API's JSON, as every response is written.</summary>
    public static JsonSerializerOptions Json => ApiJson.Options;

    // A subscription matches by event name (or '*') and by its owner's scope: an admin's hears every
    // order, a department's the orders of that department, a community's the orders of that community.
    // A disabled one still queues (it is paused: the dispatcher sends nothing to it until it is enabled).
    // The data-modifying CTE always runs to its end; pg_notify is called only when it wrote a row, so a
    // change nobody listens to takes no notification lock at commit.
    // FOR KEY SHARE: the lock the foreign key check would take on each subscription anyway, taken while
    // choosing them, so a subscription being deleted at that moment is waited for and then left out
    // (it is gone) instead of chosen and then failing the key check, and with it the order's change.
    // A deletion that comes after waits for the change to commit, then takes the new rows with it.
    private const string FanOutSql = $"""
        WITH queued AS (
            INSERT INTO webhook_deliveries (event_id, subscription_id, order_id, event_type, payload, created_at, status, attempts, next_attempt_at)
            SELECT $1, s.id, $2, $3, CASE s.owner_role WHEN 'department' THEN replace($4, $8, $9) WHEN 'community' THEN replace($4, $8, $10) ELSE $4 END, $5, 'pending', 0, $5
            FROM webhook_subscriptions s
            WHERE (s.events @> ARRAY[$3]::varchar[] OR s.events @> ARRAY['*']::varchar[])
              AND (s.owner_role = 'admin'
                   OR (s.owner_role = 'department' AND s.owner_department_code = $6)
                   OR (s.owner_role = 'community' AND s.owner_community_code = $7))
            FOR KEY SHARE OF s
            RETURNING 1)
        SELECT pg_notify('{Channel}', '') FROM (SELECT 1 FROM queued LIMIT 1) AS any_queued
        """;

    // The order's next actions as each kind of owner would see them in GET /api/v1/orders/{id}.
    private static readonly Caller Admin = new("webhooks", "webhooks", Role.Admin);
    private static readonly Caller Department = new("webhooks", "webhooks", Role.Department);
    private static readonly Caller Community = new("webhooks", "webhooks", Role.Community);

    /// <summary>The outbox statements for the order's new history entries, given the order as it is after them.</summary>
    public static IEnumerable<NpgsqlBatchCommand> For(Order order, OrderResponse after)
    {
        OrderResponse? admin = null;
        string adminActions = "", departmentActions = "", communityActions = "";
        foreach (var entry in order.NewHistory)
        {
            if (WebhookEvents.For(entry) is not { } type)
            {
                continue;
            }
            // A return leaves the order without a department: it is the returning department's event.
            var department = entry.Action == "return" ? order.ReturnedByDepartmentCode : order.DepartmentCode;
            // data is the order as its subscriber would GET it: allowedActions are those the owner's role
            // may take. The body is serialised once, as an admin sees it; the database swaps in the other
            // roles' allowedActions for the rows it writes (none when nobody listens), so a change nobody
            // subscribed to costs one serialisation.
            var at = entry.At.ToUniversalTime();
            if (admin is null)
            {
                // The same order for every entry of this change: each owner's view is made once.
                admin = OrderEndpoints.ForCaller(Admin, after);
                adminActions = AllowedActionsJson(admin.AllowedActions);
                departmentActions = AllowedActionsJson(OrderEndpoints.ForCaller(Department, after).AllowedActions);
                communityActions = AllowedActionsJson(OrderEndpoints.ForCaller(Community, after).AllowedActions);
            }
            var command = new NpgsqlBatchCommand(FanOutSql);
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Uuid, Value = Guid.CreateVersion7(entry.At) });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Uuid, Value = order.Id });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Varchar, Value = type });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = JsonSerializer.Serialize(new WebhookPayload(type, at, admin), Json) });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = at });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Varchar, Value = (object?)department ?? DBNull.Value });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Varchar, Value = order.CommunityCode });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = adminActions });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = departmentActions });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = communityActions });
            yield return command;
        }
    }

    /// <summary>
    /// The member exactly as the serialiser writes it in the body (kebab-case names need no escaping).
    /// It cannot occur inside a string value, where the serialiser escapes every quote.
    /// </summary>
    internal static string AllowedActionsJson(IReadOnlyList<OrderAction> actions) =>
        "\"allowedActions\":[" + string.Join(',', actions.Select(a => "\"" + WireName.Of(a) + "\"")) + "]";
}

/// <summary>The body of every delivery, Standard Webhooks' shape.</summary>
/// <param name="Type">The event, <c>order.whistled</c> and so on.</param>
/// <param name="Timestamp">When the change happened.</param>
/// <param name="Data">The order as it is after the change, as <c>GET /api/v1/orders/{id}</c> shows it.</param>
public sealed record WebhookPayload(string Type, DateTimeOffset Timestamp, OrderResponse Data);
