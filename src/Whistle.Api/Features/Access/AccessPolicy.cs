using System.Collections.Frozen;

namespace Whistle.Api.Features.Access;

/// <summary>Everything a caller can ask of the service, as the policy table names it.</summary>
public enum Operation
{
    FileOrder,
    ReadOrders,
    ListOverdueOrders,
    Whistle,
    HandleLocally,
    Acknowledge,
    Return,
    Resolve,
    Evaluate,
    Cancel,
    Escalate,
    Reassign,
    RequestExtension,
    ApproveExtension,
    RefuseExtension,
    ReadStatistics,
    ReadReference,
    ManageCredentials,
    ManageWebhooks,
    AddPhotos,
    WithdrawPhoto,
}

/// <summary>
/// Who may do what: one table of operations and roles, and one rule of scope per role. An order
/// outside the caller's scope is not found (404, so its existence is not disclosed); an operation
/// the role may not take on an order in scope is forbidden (403).
/// </summary>
public static class AccessPolicy
{
    private static readonly Role[] Filers = [Role.GridWorker, Role.Community];

    /// <summary>The policy table. Admin, the district's operations desk, may take every order action.</summary>
    public static readonly FrozenDictionary<Operation, FrozenSet<Role>> Table = new Dictionary<Operation, Role[]>
    {
        [Operation.FileOrder] = [.. Filers, Role.Admin],
        [Operation.ReadOrders] = [.. Filers, Role.Department, Role.Supervisor, Role.Admin],
        // The overdue list (?overdue=true) is a dashboard's panel too: see Listable for how far each role sees.
        [Operation.ListOverdueOrders] = [.. Filers, Role.Department, Role.Supervisor, Role.Admin, Role.Dashboard],
        [Operation.Whistle] = [.. Filers, Role.Admin],
        [Operation.HandleLocally] = [.. Filers, Role.Admin],
        [Operation.Acknowledge] = [Role.Department, Role.Admin],
        [Operation.Return] = [Role.Department, Role.Admin],
        [Operation.Resolve] = [Role.Department, Role.Admin],
        [Operation.Evaluate] = [.. Filers, Role.Admin],
        [Operation.Cancel] = [.. Filers, Role.Admin],
        [Operation.Escalate] = [Role.Supervisor, Role.Admin],
        [Operation.Reassign] = [Role.Supervisor, Role.Admin],
        [Operation.RequestExtension] = [Role.Department, Role.Admin],
        [Operation.ApproveExtension] = [Role.Supervisor, Role.Admin],
        [Operation.RefuseExtension] = [Role.Supervisor, Role.Admin],
        [Operation.ReadStatistics] = [Role.Supervisor, Role.Admin, Role.Dashboard],
        [Operation.ReadReference] = Enum.GetValues<Role>(),
        [Operation.ManageCredentials] = [Role.Admin],
        [Operation.ManageWebhooks] = [Role.Department, Role.Community, Role.Admin],
        // Which stage each of these roles may add is the photo rules' (PhotoRules.MayAdd).
        [Operation.AddPhotos] = [.. Filers, Role.Department, Role.Admin],
        [Operation.WithdrawPhoto] = [Role.Admin],
    }.ToFrozenDictionary(p => p.Key, p => p.Value.ToFrozenSet());

    public static bool Permits(Role role, Operation operation) => Table[operation].Contains(role);

    /// <summary>Whether the order lies in the part of the district the caller is bound to.</summary>
    public static bool InScope(Caller caller, Order order) => caller.Role switch
    {
        Role.GridWorker => caller.Grids.Contains(order.GridCode) || (caller.CommunityCode is not null && caller.CommunityCode == order.CommunityCode),
        Role.Community => caller.CommunityCode is not null && caller.CommunityCode == order.CommunityCode,
        // A department sees the orders assigned to it now: one it returned or lost to a reassignment is no longer its own.
        Role.Department => caller.DepartmentCode is not null && caller.DepartmentCode == order.DepartmentCode,
        Role.Supervisor => caller.StreetCode is null || caller.StreetCode == order.StreetCode,
        Role.Admin => true,
        _ => false,
    };

    /// <summary>The orders in the caller's scope, as a query: the same rule as <see cref="InScope"/>.</summary>
    public static IQueryable<Order> Visible(this IQueryable<Order> orders, Caller caller)
    {
        var grids = caller.Grids.ToList();
        return caller.Role switch
        {
            Role.GridWorker when caller.CommunityCode is not null => orders.Where(o => grids.Contains(o.GridCode) || o.CommunityCode == caller.CommunityCode),
            Role.GridWorker => orders.Where(o => grids.Contains(o.GridCode)),
            Role.Community when caller.CommunityCode is not null => orders.Where(o => o.CommunityCode == caller.CommunityCode),
            // Never "department_code IS NULL": a department without a code sees nothing (Caller.From refuses one anyway).
            Role.Department when caller.DepartmentCode is not null => orders.Where(o => o.DepartmentCode == caller.DepartmentCode),
            Role.Supervisor when caller.StreetCode is not null => orders.Where(o => o.StreetCode == caller.StreetCode),
            Role.Supervisor or Role.Admin => orders,
            _ => orders.Where(o => false),
        };
    }

    /// <summary>
    /// Whose webhook subscriptions hear about an order's event, by their owner's role (the roles that
    /// may subscribe): an admin's, every order; a department's, the orders of its department; a
    /// community's, its community's; the owner's codes that must match, null for any. The scope of
    /// <see cref="InScope"/>, for owners the database matches; a role left out hears nothing.
    /// </summary>
    public static IEnumerable<(Role Role, string? DepartmentCode, string? CommunityCode)> Audiences(string? departmentCode, string communityCode)
    {
        foreach (var role in Table[Operation.ManageWebhooks])
        {
            switch (role)
            {
                case Role.Admin:
                    yield return (role, null, null);
                    break;
                case Role.Department when departmentCode is not null:
                    yield return (role, departmentCode, null);
                    break;
                case Role.Community:
                    yield return (role, null, communityCode);
                    break;
            }
        }
    }

    /// <summary>
    /// The orders the caller may list: those in its scope, as <see cref="Visible"/>; and for the overdue list a
    /// dashboard sees the whole district, since a command centre's screen shows the orders to chase. Read-only: a
    /// dashboard takes no action, and reads no single order or history (those stay out of its scope, 404).
    /// </summary>
    public static IQueryable<Order> Listable(this IQueryable<Order> orders, Caller caller, bool overdueOnly) =>
        overdueOnly && caller.Role == Role.Dashboard ? orders : orders.Visible(caller);

    /// <summary>Whether the caller files in this grid: its own grids or community (admin anywhere).</summary>
    public static bool MayFileIn(Caller caller, string gridCode, string communityCode) => caller.Role switch
    {
        Role.GridWorker => caller.Grids.Contains(gridCode) || caller.CommunityCode == communityCode,
        Role.Community => caller.CommunityCode == communityCode,
        Role.Admin => true,
        _ => false,
    };

    /// <summary>Refuses an operation the role may never take (403), whatever it is asked of.</summary>
    public static void Ensure(Caller caller, Operation operation)
    {
        if (!Permits(caller.Role, operation))
        {
            throw Forbidden(caller, operation);
        }
    }

    /// <summary>Refuses an order out of scope (404) first, then an operation the role may not take on it (403).</summary>
    public static void Ensure(Caller caller, Operation operation, Order order, string key)
    {
        if (!InScope(caller, order))
        {
            throw Features.Orders.OrderStore.NotFound(key);
        }
        Ensure(caller, operation);
    }

    /// <summary>The operation the policy table names for taking an order action.</summary>
    public static Operation OperationOf(OrderAction action) => action switch
    {
        OrderAction.Whistle => Operation.Whistle,
        OrderAction.HandleLocally => Operation.HandleLocally,
        OrderAction.Acknowledge => Operation.Acknowledge,
        OrderAction.Return => Operation.Return,
        OrderAction.Resolve => Operation.Resolve,
        OrderAction.Evaluate => Operation.Evaluate,
        OrderAction.Cancel => Operation.Cancel,
        OrderAction.Escalate => Operation.Escalate,
        OrderAction.RequestExtension => Operation.RequestExtension,
        OrderAction.ApproveExtension => Operation.ApproveExtension,
        OrderAction.RefuseExtension => Operation.RefuseExtension,
        OrderAction.Reassign => Operation.Reassign,
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "Not an action callers take."),
    };

    /// <summary>The order's next actions this caller may take: the lifecycle's, filtered by the table.</summary>
    public static IReadOnlyList<OrderAction> AllowedActions(Caller caller, IReadOnlyList<OrderAction> lifecycle) =>
        lifecycle.Where(a => a != OrderAction.CloseUnevaluated && Permits(caller.Role, OperationOf(a))).ToArray();

    public static ForbiddenException Forbidden(Caller caller, Operation operation) =>
        new($"A {WireName.Of(caller.Role)} credential may not {Describe(operation)}.");

    /// <summary>What the caller tried, in the API's words (a 403 names it so, not by the table's internal name).</summary>
    public static string Describe(Operation operation) => operation switch
    {
        Operation.FileOrder => "file orders",
        Operation.ReadOrders => "read or list orders",
        Operation.ListOverdueOrders => "list the overdue orders",
        Operation.ReadStatistics => "read the statistics",
        Operation.ReadReference => "read the reference data",
        Operation.ManageCredentials => "manage credentials",
        Operation.ManageWebhooks => "manage webhook subscriptions",
        Operation.AddPhotos => "add photos to orders",
        Operation.WithdrawPhoto => "withdraw photos",
        // The rest are the order actions, named as their endpoints are (…/orders/{id}/resolve).
        _ => $"take the order action '{WireName.Of(operation)}'",
    };
}

/// <summary>An operation the caller's role does not permit: 403.</summary>
public sealed class ForbiddenException(string message) : Exception(message);
