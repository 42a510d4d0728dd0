using System.Globalization;
using System.Net.Http.Json;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Stats;

/// <summary>
/// What the statistics contract needs to know about one order, read from its history alone (and the
/// reference data for a grid's community and street), never from the order or the service's figures.
/// </summary>
public sealed record ReplayedOrder(
    Guid Id,
    string Code,
    string Category,
    string Street,
    string Community,
    DateTimeOffset FiledAt,
    string State,
    DateTimeOffset? FirstWhistledAt,
    /// <summary>The department of the last whistle (a return does not clear it).</summary>
    string? Department,
    DateTimeOffset? FirstAcknowledgedAt,
    /// <summary>The first acknowledgement came at or before the acknowledgeBy of the whistle it answered.</summary>
    bool FirstAcknowledgedOnTime,
    /// <summary>The current dispatch (the last whistle) has been acknowledged.</summary>
    bool AcknowledgedOnCurrentDispatch,
    /// <summary>The running deadlines: set by a whistle (and resolveBy by a reopen), cleared by a return or a cancel.</summary>
    DateTimeOffset? AcknowledgeBy,
    DateTimeOffset? ResolveBy,
    /// <summary>The current resolution: the last resolve, unless a reopen came after it.</summary>
    DateTimeOffset? ResolvedAt,
    int Evaluations,
    string? LatestRating,
    int Returns,
    int Reopens,
    int Escalations,
    /// <summary>Why it was cancelled: invalid and duplicate orders are not valid; withdrawn ones stay valid (domain.md).</summary>
    string? CancelReason,
    DateTimeOffset LastChangedAt,
    string Story,
    /// <summary>The co-handlers' parts (协办), each a summons its department received.</summary>
    IReadOnlyList<ReplayedPart>? CoHandlerParts = null)
{
    public IReadOnlyList<ReplayedPart> Parts => CoHandlerParts ?? [];

    public bool Dispatched => FirstWhistledAt is not null;
    /// <summary>Merged into another order (并单): counted among the cancelled, never valid, so the problem counts once.</summary>
    public bool Merged => State == "merged";
    public bool Cancelled => State == "cancelled" || Merged;
    public bool Valid => Dispatched && !Merged && !(Cancelled && CancelReason is "invalid" or "duplicate");
    public bool Completed => Dispatched && State is "resolved" or "closed";
    public bool HandledLocally => State == "handled-locally";
    public bool ResolvedOnTime => Completed && ResolvedAt <= ResolveBy;
    public bool Satisfied => Evaluations > 0 && LatestRating is "satisfied" or "basically-satisfied";

    public bool OverdueAt(DateTimeOffset asOf) =>
        Dispatched && State is "whistled" or "acknowledged"
        && ((!AcknowledgedOnCurrentDispatch && AcknowledgeBy < asOf) || ResolveBy < asOf);

    public static ReplayedOrder FromHistory(Guid id, string code, IReadOnlyList<HistoryEntry> history, ReferenceSet reference)
    {
        var filing = history[0];
        Assert.Equal("file", filing.Action);
        var grid = filing.Details["gridCode"]!;
        var community = reference.CommunityOfGrid[grid];

        DateTimeOffset? firstWhistled = null, firstAcknowledged = null, acknowledgeBy = null, resolveBy = null, resolvedAt = null;
        string? department = null, latestRating = null, cancelReason = null;
        bool onTime = false, acknowledgedNow = false;
        int evaluations = 0, returns = 0, reopens = 0, escalations = 0;
        // Each co-handler part: its acknowledge deadline, whether it is still summoned, and whether it answered in time.
        var parts = new List<(string Department, DateTimeOffset? AcknowledgeBy, bool Summoned, bool? OnTime)>();
        void Summon(HistoryEntry entry)
        {
            if (entry.Details.GetValueOrDefault("coDepartmentCodes") is { } codes)
            {
                parts.AddRange(codes.Split(',').Select(code => (code, Stamp(entry.Details["partAcknowledgeBy"]), true, (bool?)null)));
            }
        }
        int PartOf(HistoryEntry entry) => parts.FindIndex(p => p.Department == entry.Details["departmentCode"]);
        void Answer(HistoryEntry entry, bool stillSummoned)
        {
            var i = PartOf(entry);
            parts[i] = parts[i] with { Summoned = stillSummoned, OnTime = parts[i].OnTime ?? (entry.At <= parts[i].AcknowledgeBy) };
        }
        foreach (var entry in history.Skip(1))
        {
            switch (entry.Action)
            {
                case "whistle":
                    firstWhistled ??= entry.At;
                    department = entry.Details["departmentCode"];
                    acknowledgeBy = Stamp(entry.Details["acknowledgeBy"]);
                    resolveBy = Stamp(entry.Details["resolveBy"]);
                    acknowledgedNow = false;
                    // A re-whistle gives the parts still summoned the time afresh, as it gives the lead.
                    for (var i = 0; i < parts.Count; i++)
                    {
                        if (parts[i].Summoned)
                        {
                            parts[i] = parts[i] with { AcknowledgeBy = acknowledgeBy };
                        }
                    }
                    Summon(entry);
                    break;
                case "summon":
                    Summon(entry);
                    break;
                case "report-part":
                    Answer(entry, stillSummoned: false);
                    break;
                case "decline-part":
                    Answer(entry, stillSummoned: false);
                    break;
                case "waive-part":
                    parts[PartOf(entry)] = parts[PartOf(entry)] with { Summoned = false };
                    break;
                case "complete-part" or "escalate-part":
                    break;
                case "approve-return":
                    acknowledgeBy = resolveBy = null;
                    break;
                case "refuse-return":
                    break;
                case "acknowledge":
                    if (firstAcknowledged is null)
                    {
                        firstAcknowledged = entry.At;
                        onTime = entry.At <= acknowledgeBy;
                    }
                    acknowledgedNow = true;
                    break;
                case "return":
                    returns++;
                    // Under review the department keeps it, deadlines and all, until the supervisor approves.
                    if (entry.ToState == "returned")
                    {
                        acknowledgeBy = resolveBy = null;
                    }
                    break;
                case "resolve":
                    resolvedAt = entry.At;
                    break;
                case "evaluate":
                    evaluations++;
                    latestRating = entry.Details["rating"];
                    if (latestRating == "unsatisfied")
                    {
                        reopens++;
                        resolvedAt = null;
                        resolveBy = Stamp(entry.Details["resolveBy"]);
                    }
                    break;
                case "cancel":
                    acknowledgeBy = resolveBy = null;
                    cancelReason = entry.Details["reason"];
                    break;
                case "escalate":
                    escalations++;
                    break;
                case "merge":
                    acknowledgeBy = resolveBy = null;
                    break;
                case "duplicate-merged":
                    break; // a repeat report merged into this one: nothing of this order changes
                case "handle-locally":
                    break;
                default:
                    throw new InvalidOperationException($"{code}: unexpected history action '{entry.Action}'.");
            }
        }
        var story = string.Join(", ", history.Select(e => $"{e.Action}{Detail(e)}@{Format(e.At)}"));
        return new(id, code, filing.Details["categoryCode"]!, reference.StreetOfCommunity[community], community, filing.At,
            history[^1].ToState, firstWhistled, department, firstAcknowledged, onTime, acknowledgedNow, acknowledgeBy, resolveBy,
            resolvedAt, evaluations, latestRating, returns, reopens, escalations, cancelReason, history[^1].At, story,
            parts.Select(p => new ReplayedPart(p.Department, p.OnTime == true)).ToList());
    }

    /// <summary>Where the history read here and the order resource disagree: a check on the oracle, not on the statistics.</summary>
    public IEnumerable<string> DisagreementsWith(Order order)
    {
        var pairs = new (string What, object? History, object? Order)[]
        {
            ("state", State, order.State),
            ("firstWhistledAt", FirstWhistledAt, order.Milestones.FirstWhistledAt),
            ("returns", Returns, order.Counters.Returns),
            ("reopens", Reopens, order.Counters.Reopens),
            ("resolvedAt", ResolvedAt, order.Milestones.ResolvedAt),
            ("acknowledgeBy", AcknowledgeBy, order.Deadlines.AcknowledgeBy),
            ("resolveBy", ResolveBy, order.Deadlines.ResolveBy),
            ("department", State is "returned" or "cancelled" or "merged" ? order.DepartmentCode : Department, order.DepartmentCode),
            ("street", Street, order.StreetCode),
            ("community", Community, order.CommunityCode),
        };
        return pairs.Where(p => !Equals(p.History, p.Order)).Select(p => $"{Code}: {p.What}: history says {p.History}, the order {p.Order}");
    }

    /// <summary>In UTC to the microsecond, or to the tick when finer.</summary>
    public static string Format(DateTimeOffset at) =>
        at.UtcDateTime.ToString(at.UtcTicks % 10 == 0 ? "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'" : "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static string Detail(HistoryEntry entry) => entry.Action switch
    {
        "whistle" => $"({entry.Details["departmentCode"]}, ack by {Format(Stamp(entry.Details["acknowledgeBy"])!.Value)}, resolve by {Format(Stamp(entry.Details["resolveBy"])!.Value)})",
        "evaluate" => $"({entry.Details["rating"]})",
        _ => "",
    };

    private static DateTimeOffset? Stamp(string? text) =>
        text is null ? null : DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}

/// <summary>A co-handler's part as its history tells it: the department summoned, and whether it reported (or declined) by its deadline.</summary>
public sealed record ReplayedPart(string Department, bool AnsweredOnTime);

/// <summary>The reference data the brute force needs, read from the reference endpoints.</summary>
public sealed record ReferenceSet(
    IReadOnlyDictionary<string, string> CommunityOfGrid,
    IReadOnlyDictionary<string, string> StreetOfCommunity,
    IReadOnlyDictionary<string, string> StreetNames,
    IReadOnlyDictionary<string, string> CommunityNames,
    IReadOnlyDictionary<string, string> DepartmentNames,
    IReadOnlyDictionary<string, ReferenceCategory> Categories)
{
    public static async Task<ReferenceSet> LoadAsync(HttpClient client)
    {
        var grids = await client.GetFromJsonAsync<ReferenceGrid[]>("/api/v1/grids", WhistleApp.Json);
        var communities = await client.GetFromJsonAsync<ReferenceCommunity[]>("/api/v1/communities", WhistleApp.Json);
        var streets = await client.GetFromJsonAsync<ReferenceNamed[]>("/api/v1/streets", WhistleApp.Json);
        var departments = await client.GetFromJsonAsync<ReferenceNamed[]>("/api/v1/departments", WhistleApp.Json);
        var categories = await client.GetFromJsonAsync<ReferenceCategory[]>("/api/v1/categories", WhistleApp.Json);
        return new(
            grids!.ToDictionary(g => g.Code, g => g.CommunityCode),
            communities!.ToDictionary(c => c.Code, c => c.StreetCode),
            streets!.ToDictionary(s => s.Code, s => s.Name),
            communities!.ToDictionary(c => c.Code, c => c.Name),
            departments!.ToDictionary(d => d.Code, d => d.Name),
            categories!.ToDictionary(c => c.Code));
    }

    public string NameOf(string groupBy, string code) => groupBy switch
    {
        "street" => StreetNames[code],
        "community" => CommunityNames[code],
        "department" => DepartmentNames[code],
        "category" => Categories[code].Name,
        _ => throw new ArgumentOutOfRangeException(nameof(groupBy), groupBy, null),
    };
}

public sealed record ReferenceNamed(string Code, string Name);

public sealed record ReferenceCommunity(string Code, string Name, string StreetCode);

public sealed record ReferenceGrid(string Code, string Name, string CommunityCode, string StreetCode);

public sealed record ReferenceCategory(string Code, string Name, string DepartmentCode, int AcknowledgeWithinHours, int ResolveWithinHours,
    int UrgentAcknowledgeWithinHours, int UrgentResolveWithinHours, bool RequiresResolutionPhoto = false);
