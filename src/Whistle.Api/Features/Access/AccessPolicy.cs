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
    ManageReference,
    ManageCredentials,
    ManageWebhooks,
    Summon,
    ReportPart,
    CompletePart,
    DeclinePart,
    WaivePart,
    ApproveReturn,
    RefuseReturn,
    Merge,
    ImportBoundaries,
    AddPhotos,
    WithdrawPhoto,
    ReportOverOpen311,
    ReadReporter,
    ManagePublication,
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
        [Operation.ManageReference] = [Role.Admin],
        [Operation.ManageCredentials] = [Role.Admin],
        [Operation.ManageWebhooks] = [Role.Department, Role.Community, Role.Admin],
        // Joint handling: the community (or a supervisor) summons; each department acts on its own part only
        // (OwnPart); a supervisor waives a part. The street supervisor reviews returns.
        [Operation.Summon] = [.. Filers, Role.Supervisor, Role.Admin],
        [Operation.ReportPart] = [Role.Department, Role.Admin],
        [Operation.CompletePart] = [Role.Department, Role.Admin],
        [Operation.DeclinePart] = [Role.Department, Role.Admin],
        [Operation.WaivePart] = [Role.Supervisor, Role.Admin],
        [Operation.ApproveReturn] = [Role.Supervisor, Role.Admin],
        [Operation.RefuseReturn] = [Role.Supervisor, Role.Admin],
        // 并单: the community that whistles, or the street's supervisor, decides two reports are one problem.
        [Operation.Merge] = [Role.Community, Role.Supervisor, Role.Admin],
        [Operation.ImportBoundaries] = [Role.Admin],
        // Which stage each of these roles may add is the photo rules' (PhotoRules.MayAdd).
        [Operation.AddPhotos] = [.. Filers, Role.Department, Role.Admin],
        [Operation.WithdrawPhoto] = [Role.Admin],
        // Open311: an outside app files residents' reports and follows its own (Open311Access says which are its own).
        [Operation.ReportOverOpen311] = [Role.ReportingApp],
        // The resident's name, phone and e-mail an app filed with a report: for the desk, and the community that follows it up.
        [Operation.ReadReporter] = [Role.Community, Role.Admin],
        // What the published results list (实效清单) leaves out: a private category, one order held back.
        [Operation.ManagePublication] = [Role.Admin],
    }.ToFrozenDictionary(p => p.Key, p => p.Value.ToFrozenSet());

    public static bool Permits(Role role, Operation operation) => Table[operation].Contains(role);

    /// <summary>Every operation the table permits the role, in the table's order (what an app offers this person).</summary>
    public static IReadOnlyList<Operation> PermittedTo(Role role) =>
        Enum.GetValues<Operation>().Where(operation => Permits(role, operation)).ToArray();

    /// <summary>Whether the order lies in the part of the district the caller is bound to.</summary>
    public static bool InScope(Caller caller, Order order) => caller.Role switch
    {
        Role.GridWorker => caller.Grids.Contains(order.GridCode) || (caller.CommunityCode is not null && caller.CommunityCode == order.CommunityCode),
        Role.Community => caller.CommunityCode is not null && caller.CommunityCode == order.CommunityCode,
        // A department sees the orders assigned to it now: one it returned or lost to a reassignment is no longer its own.
        // A co-handling department sees the orders it has a part in.
        Role.Department => caller.DepartmentCode is not null
            && (caller.DepartmentCode == order.DepartmentCode || order.CoDepartmentCodes.Contains(caller.DepartmentCode)),
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
            Role.Department when caller.DepartmentCode is not null =>
                orders.Where(o => o.DepartmentCode == caller.DepartmentCode || o.CoDepartmentCodes.Contains(caller.DepartmentCode)),
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
    public static IEnumerable<(Role Role, string? DepartmentCode, string? CommunityCode)> Audiences(string? departmentCode, string communityCode) =>
        Audiences(departmentCode, communityCode, []);

    /// <summary>
    /// Who hears a reference change: each role that may subscribe and read the reference data, with any
    /// owner (the lists are the whole district's; no scope narrows them).
    /// </summary>
    public static IEnumerable<Role> ReferenceAudiences() =>
        Table[Operation.ManageWebhooks].Where(role => Permits(role, Operation.ReadReference)).Order();

    /// <summary>The audiences of a joint order's event: the co-handling departments hear it as the lead does.</summary>
    public static IEnumerable<(Role Role, string? DepartmentCode, string? CommunityCode)> Audiences(
        string? departmentCode, string communityCode, IReadOnlyList<string> coDepartmentCodes)
    {
        foreach (var role in Table[Operation.ManageWebhooks])
        {
            switch (role)
            {
                case Role.Admin:
                    yield return (role, null, null);
                    break;
                case Role.Department:
                    if (departmentCode is not null)
                    {
                        yield return (role, departmentCode, null);
                    }
                    foreach (var coDepartmentCode in coDepartmentCodes.Where(code => code != departmentCode))
                    {
                        yield return (role, coDepartmentCode, null);
                    }
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
        // Bound to grids and/or a community, or to neither: the whole district.
        Role.ReportingApp => (caller.Grids.Count == 0 && caller.CommunityCode is null)
            || caller.Grids.Contains(gridCode) || caller.CommunityCode == communityCode,
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
        if (!IsPartOperation(operation) && !Leads(caller, order.DepartmentCode))
        {
            throw new ForbiddenException($"'{caller.DepartmentCode}' co-handles this order: it acts on its own part only, not '{WireName.Of(operation)}'.");
        }
    }

    /// <summary>A department acts on its own part only (403 on another department's).</summary>
    public static void EnsureOwnPart(Caller caller, string departmentCode)
    {
        if (caller.Role == Role.Department && caller.DepartmentCode != departmentCode)
        {
            throw new ForbiddenException($"A department acts on its own part only; this part is '{departmentCode}'s.");
        }
    }

    /// <summary>Whether the caller may take the order's own actions: any role but a department that only co-handles it.</summary>
    public static bool Leads(Caller caller, string? leadDepartmentCode) =>
        caller.Role != Role.Department || caller.DepartmentCode == leadDepartmentCode;

    private static bool IsPartOperation(Operation operation) =>
        operation is Operation.ReportPart or Operation.CompletePart or Operation.DeclinePart or Operation.WaivePart;

    /// <summary>The operation the policy table names for taking a part action.</summary>
    public static Operation OperationOf(PartAction action) => action switch
    {
        PartAction.Report => Operation.ReportPart,
        PartAction.Complete => Operation.CompletePart,
        PartAction.Decline => Operation.DeclinePart,
        PartAction.Waive => Operation.WaivePart,
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "Not an action callers take."),
    };

    /// <summary>A part's next actions this caller may take: the part lifecycle's, filtered by the table and, for a department, its own part only.</summary>
    public static IReadOnlyList<PartAction> AllowedPartActions(Caller caller, string departmentCode, IReadOnlyList<PartAction> lifecycle) =>
        caller.Role == Role.Department && caller.DepartmentCode != departmentCode
            ? []
            : lifecycle.Where(a => a != PartAction.Escalate && Permits(caller.Role, OperationOf(a))).ToArray();

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
        OrderAction.Summon => Operation.Summon,
        OrderAction.ApproveReturn => Operation.ApproveReturn,
        OrderAction.RefuseReturn => Operation.RefuseReturn,
        OrderAction.Merge => Operation.Merge,
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "Not an action callers take."),
    };

    /// <summary>The order's next actions this caller may take: the lifecycle's, filtered by the table.</summary>
    public static IReadOnlyList<OrderAction> AllowedActions(Caller caller, IReadOnlyList<OrderAction> lifecycle) =>
        lifecycle.Where(a => a != OrderAction.CloseUnevaluated && Permits(caller.Role, OperationOf(a))).ToArray();

    /// <summary>The same for an order led by <paramref name="leadDepartmentCode"/>: a co-handling department takes none of the order's own actions.</summary>
    public static IReadOnlyList<OrderAction> AllowedActions(Caller caller, string? leadDepartmentCode, IReadOnlyList<OrderAction> lifecycle) =>
        Leads(caller, leadDepartmentCode) ? AllowedActions(caller, lifecycle) : [];

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
        Operation.ManageReference => "change the reference data",
        Operation.ManageCredentials => "manage credentials",
        Operation.ManageWebhooks => "manage webhook subscriptions",
        Operation.ImportBoundaries => "import grid boundaries",
        Operation.AddPhotos => "add photos to orders",
        Operation.WithdrawPhoto => "withdraw photos",
        Operation.ReportOverOpen311 => "report over Open311",
        Operation.ReadReporter => "read a report's reporter",
        Operation.ManagePublication => "decide what the results list publishes",
        // The rest are the order actions, named as their endpoints are (…/orders/{id}/resolve).
        _ => $"take the order action '{WireName.Of(operation)}'",
    };
}

/// <summary>An operation the caller's role does not permit: 403.</summary>
public sealed class ForbiddenException(string message) : Exception(message);
