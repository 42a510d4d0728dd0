using System.Text.Json;
using System.Text.Json.Serialization;
using Npgsql;
using NpgsqlTypes;
using Whistle.Api.Features.Orders;

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
    // Joint handling: a further department summoned, and each co-handler's part as it moves.
    public const string Summoned = "order.summoned";
    public const string PartReported = "order.part-reported";
    public const string PartDone = "order.part-done";
    public const string PartDeclined = "order.part-declined";
    public const string PartWaived = "order.part-waived";
    public const string PartEscalated = "order.part-escalated";
    // Reviewed returns: a return awaiting the street supervisor, and one refused (an approved one is order.returned).
    public const string ReturnRequested = "order.return-requested";
    public const string ReturnRefused = "order.return-refused";
    public const string Merged = "order.merged";
    /// <summary>Not an order's: each row of the reference data's change log (ReferenceStore.Log) raises one.</summary>
    public const string ReferenceChanged = "reference.changed";

    /// <summary>Subscribes to every event, those added later included.</summary>
    public const string All = "*";

    public static readonly IReadOnlyList<string> Names =
    [
        Whistled, Returned, Reopened, Escalated, DeadlineExtended, Resolved, Closed, Cancelled,
        Summoned, PartReported, PartDone, PartDeclined, PartWaived, PartEscalated, ReturnRequested, ReturnRefused, Merged,
    ];

    /// <summary>What a subscription may name: the orders' events (<see cref="Names"/>) and the reference data's.</summary>
    public static readonly IReadOnlyList<string> Subscribable = [.. Names, ReferenceChanged];

    /// <summary>
    /// What each action publishes: the one table of the events order changes raise, which the
    /// action slices point to. Filing, acknowledging, asking for an extension and refusing one
    /// raise none.
    /// </summary>
    public static string? RaisedBy(OrderAction action, OrderState to) => action switch
    {
        OrderAction.Whistle => Whistled,
        // A supervisor's reassignment (改派) whistles the order afresh to the new department.
        OrderAction.Reassign => Whistled,
        OrderAction.Return => to == OrderState.ReturnUnderReview ? ReturnRequested : Returned,
        OrderAction.ApproveReturn => Returned,
        OrderAction.RefuseReturn => ReturnRefused,
        OrderAction.Summon => Summoned,
        OrderAction.Evaluate => to == OrderState.Closed ? Closed : Reopened,
        OrderAction.Escalate => Escalated,
        OrderAction.ApproveExtension => DeadlineExtended,
        OrderAction.Resolve => Resolved,
        OrderAction.CloseUnevaluated => Closed,
        OrderAction.Cancel => Cancelled,
        // The repeat report's event (its body names mergedInto); the survivor's history entry raises none.
        OrderAction.Merge => Merged,
        OrderAction.HandleLocally or OrderAction.Acknowledge or OrderAction.RequestExtension or OrderAction.RefuseExtension => null,
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "An action this table does not name yet."),
    };

    /// <summary>What each part action publishes: every move of a part is the lead's (and everyone's) to hear.</summary>
    public static string RaisedBy(PartAction action) => action switch
    {
        PartAction.Report => PartReported,
        PartAction.Complete => PartDone,
        PartAction.Decline => PartDeclined,
        PartAction.Waive => PartWaived,
        PartAction.Escalate => PartEscalated,
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "An action this table does not name yet."),
    };

    /// <summary>The event a history entry raises, if any (the filing raises none).</summary>
    public static string? RaisedBy(OrderHistoryEntry entry) =>
        WireName.TryParse<OrderAction>(entry.Action, out var action) ? RaisedBy(action, entry.ToState)
        : Order.TryParsePartAction(entry.Action, out var partAction) ? RaisedBy(partAction)
        : null;
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
    // A subscription matches by event name (or '*') and by its owner's scope, as the access policy
    // states it (AccessPolicy.Audiences: one row per role that may subscribe, with the codes its
    // owner must have, null for any). Each row also carries that role's allowedActions, swapped into
    // the body serialised once as an admin sees it (the member's text cannot occur inside a string
    // value, where the serialiser escapes every quote), so a change nobody listens to costs one
    // serialisation. A disabled subscription still queues (it is paused: the dispatcher sends nothing
    // to it until it is enabled). The data-modifying CTE always runs to its end; pg_notify is called
    // only when it wrote a row, so a change nobody listens to takes no notification lock at commit.
    // FOR KEY SHARE: the lock the foreign key check would take on each subscription anyway, taken while
    // choosing them, so a subscription being deleted at that moment is waited for and then left out
    // (it is gone) instead of chosen and then failing the key check, and with it the order's change.
    // A deletion that comes after waits for the change to commit, then takes the new rows with it.
    private const string FanOutSql = $"""
        WITH queued AS (
            INSERT INTO webhook_deliveries (event_id, subscription_id, order_id, event_type, payload, created_at, status, attempts, next_attempt_at)
            SELECT $1, s.id, $2, $3, replace($4, $5, a.allowed_actions), $6, 'pending', 0, $6
            FROM webhook_subscriptions s
            JOIN unnest($7::varchar[], $8::varchar[], $9::varchar[], $10::text[]) AS a(role, department_code, community_code, allowed_actions)
              ON s.owner_role = a.role
             AND (a.department_code IS NULL OR s.owner_department_code = a.department_code)
             AND (a.community_code IS NULL OR s.owner_community_code = a.community_code)
            WHERE s.events @> ARRAY[$3]::varchar[] OR s.events @> ARRAY['*']::varchar[]
            FOR KEY SHARE OF s
            RETURNING 1)
        SELECT pg_notify('{Channel}', '') FROM (SELECT 1 FROM queued LIMIT 1) AS any_queued
        """;

    // The reference data's events: every subscription whose owner's role may read the reference data
    // hears them, whatever its scope (the lists are the whole district's, public to every role that reads
    // them). One stream per subscription (order_id all zeros), so they are delivered in the order made.
    // A change-log row that is not there (its transaction rolled back after it was numbered) queues nothing.
    private const string ReferenceFanOutSql = $"""
        WITH queued AS (
            INSERT INTO webhook_deliveries (event_id, subscription_id, order_id, event_type, payload, created_at, status, attempts, next_attempt_at)
            SELECT e.event_id, s.id, @stream, @type, e.payload, e.at, 'pending', 0, e.at
            FROM unnest(@event_ids::uuid[], @change_ids::bigint[], @payloads::text[], @ats::timestamptz[]) WITH ORDINALITY AS e(event_id, change_id, payload, at, n)
            JOIN webhook_subscriptions s ON s.owner_role = ANY(@roles::varchar[])
            WHERE (s.events @> ARRAY[@type]::varchar[] OR s.events @> ARRAY['*']::varchar[])
              AND EXISTS (SELECT 1 FROM reference_changes r WHERE r.id = e.change_id)
            ORDER BY e.n, s.id
            FOR KEY SHARE OF s
            RETURNING 1)
        SELECT pg_notify('{Channel}', '') FROM (SELECT 1 FROM queued LIMIT 1) AS any_queued
        """;

    /// <summary>
    /// Queues <c>reference.changed</c> for each change-log row, in the change's own transaction (so no change
    /// commits without its events, nor an event without its change).
    /// </summary>
    public static async Task QueueReferenceChangesAsync(WhistleDbContext db, IReadOnlyList<Reference.ReferenceChanges.Entry> changes, CancellationToken cancellationToken)
    {
        if (changes.Count == 0)
        {
            return;
        }
        var roles = AccessPolicy.ReferenceAudiences().Select(WireName.Of).ToArray();
        await db.Database.ExecuteSqlRawAsync(ReferenceFanOutSql,
            [
                new NpgsqlParameter("stream", NpgsqlDbType.Uuid) { Value = Guid.Empty },
                new NpgsqlParameter("type", NpgsqlDbType.Varchar) { Value = WebhookEvents.ReferenceChanged },
                new NpgsqlParameter("event_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = changes.Select(c => Guid.CreateVersion7(c.At)).ToArray() },
                new NpgsqlParameter("change_ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = changes.Select(c => c.Id).ToArray() },
                new NpgsqlParameter("payloads", NpgsqlDbType.Array | NpgsqlDbType.Text)
                {
                    Value = changes.Select(c => JsonSerializer.Serialize(new ReferenceWebhookPayload(WebhookEvents.ReferenceChanged, c.At, c), ApiJson.Options)).ToArray(),
                },
                new NpgsqlParameter("ats", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = changes.Select(c => c.At.ToUniversalTime()).ToArray() },
                new NpgsqlParameter("roles", NpgsqlDbType.Array | NpgsqlDbType.Varchar) { Value = roles },
            ],
            cancellationToken);
    }

    /// <summary>The outbox statements for the order's new history entries, given the order as it is after them.</summary>
    public static IEnumerable<NpgsqlBatchCommand> Statements(Order order, OrderResponse after)
    {
        OrderResponse? admin = null;
        string adminActions = "";
        // Each owner's view, made once per change: by role, and for departments by whether they lead or co-handle.
        var actionsOf = new Dictionary<(Role, string?), string>();
        foreach (var entry in order.NewHistory)
        {
            if (WebhookEvents.RaisedBy(entry) is not { } type)
            {
                continue;
            }
            // A return (or its approval) leaves the order without a department: it is the returning department's event.
            var department = entry.Action == WireName.Of(OrderAction.Return) || entry.Action == WireName.Of(OrderAction.ApproveReturn)
                ? entry.Details.GetValueOrDefault("departmentCode") ?? order.ReturnedByDepartmentCode
                : order.DepartmentCode;
            // Every summoned department hears the order's events; its role is in data.parts.
            var audiences = AccessPolicy.Audiences(department, order.CommunityCode, order.CoDepartmentCodes).ToList();
            var at = entry.At.ToUniversalTime();
            if (admin is null)
            {
                // The same order for every entry of this change: each owner's view is made once.
                admin = OrderEndpoints.ForCaller(Owner(Role.Admin, null), after);
                adminActions = AllowedActionsJson(admin.AllowedActions);
            }
            foreach (var audience in audiences)
            {
                if (!actionsOf.ContainsKey((audience.Role, audience.DepartmentCode)))
                {
                    actionsOf[(audience.Role, audience.DepartmentCode)] =
                        AllowedActionsJson(OrderEndpoints.ForCaller(Owner(audience.Role, audience.DepartmentCode), after).AllowedActions);
                }
            }
            var command = new NpgsqlBatchCommand(FanOutSql);
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Uuid, Value = Guid.CreateVersion7(entry.At) });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Uuid, Value = order.Id });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Varchar, Value = type });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = JsonSerializer.Serialize(new WebhookPayload(type, at, admin), ApiJson.Options) });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = adminActions });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = at });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Varchar, Value = audiences.Select(a => WireName.Of(a.Role)).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Varchar, Value = audiences.Select(a => a.DepartmentCode).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Varchar, Value = audiences.Select(a => a.CommunityCode).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = audiences.Select(a => actionsOf[(a.Role, a.DepartmentCode)]).ToArray() });
            yield return command;
        }
    }

    // A subscription's owner, as the order's next actions are filtered for it in GET /api/v1/orders/{id}.
    private static Caller Owner(Role role, string? departmentCode) => new("webhooks", "webhooks", role, DepartmentCode: departmentCode);

    /// <summary>The member exactly as the serialiser writes it in the body (kebab-case names need no escaping).</summary>
    internal static string AllowedActionsJson(IReadOnlyList<OrderAction> actions) =>
        "\"allowedActions\":[" + string.Join(',', actions.Select(a => "\"" + WireName.Of(a) + "\"")) + "]";
}

/// <summary>The body of every delivery, Standard Webhooks' shape.</summary>
/// <param name="Type">The event, <c>order.whistled</c> and so on.</param>
/// <param name="Timestamp">When the change happened.</param>
/// <param name="Data">The order as it is after the change, as <c>GET /api/v1/orders/{id}</c> shows it.</param>
public sealed record WebhookPayload(string Type, DateTimeOffset Timestamp, OrderResponse Data);

/// <summary>The body of a <c>reference.changed</c> delivery, Standard Webhooks' shape.</summary>
/// <param name="Type">Always <c>reference.changed</c>.</param>
/// <param name="Timestamp">When the change was made.</param>
/// <param name="Data">The change as <c>GET /api/v1/reference/changes</c> shows it: its id, the list, the entry's code, who, and the entry before and after.</param>
public sealed record ReferenceWebhookPayload(string Type, DateTimeOffset Timestamp, Reference.ReferenceChanges.Entry Data);
