using System.Collections.Concurrent;
using FluentValidation.Results;

namespace Whistle.Api.Features.Stats;

/// <summary>
/// Turns filters into a scope over the facts, and keeps computed answers until the facts change
/// or a counted order passes a deadline: dashboards ask the same questions all day, and between
/// changes the answer is the same.
/// </summary>
public sealed class StatsService(OrderFacts facts, PeriodParser periods, TimeProvider clock)
{
    private const int MaxCached = 512;

    /// <summary>A question's answer, what it was computed from, and how to compute it again.</summary>
    private sealed record Entry(long Version, long ValidUntil, object Value, Func<long, (object Value, long ValidUntil)> Compute)
    {
        public object? StandingKey;
        public long LastAsked = System.Diagnostics.Stopwatch.GetTimestamp();
        public int Asked = 1;
    }

    private readonly ConcurrentDictionary<object, Entry> _cache = new();

    public OrderFacts Facts => facts;

    /// <summary>The scope of a filter after catching up with every committed change; unknown codes are a 400.</summary>
    public async Task<(StatsScope Scope, DateTimeOffset? From, DateTimeOffset? To)> ScopeAsync(StatsFilter filter, CancellationToken cancellationToken)
    {
        periods.TryParseStart(filter.From, out var from);
        periods.TryParseEnd(filter.To, out var to);
        await facts.CatchUpAsync(cancellationToken);
        var scope = Resolve(filter, from, to, out var failures);
        if (failures.Count > 0 && await facts.ReloadReferenceAsync(cancellationToken))
        {
            scope = Resolve(filter, from, to, out failures);
        }
        if (failures.Count > 0)
        {
            throw new ValidationException(failures);
        }
        return (scope, from, to);
    }

    private StatsScope Resolve(StatsFilter filter, DateTimeOffset? from, DateTimeOffset? to, out List<ValidationFailure> failures)
    {
        var errors = new List<ValidationFailure>();
        var scope = facts.Read((_, codes) =>
        {
            short Code(ReferenceCodes.Table table, string? code, string field, string what)
            {
                if (string.IsNullOrWhiteSpace(code))
                {
                    return -1;
                }
                var index = table.IndexOf(code.Trim());
                if (index < 0)
                {
                    errors.Add(new ValidationFailure(field, $"'{code}' is not a known {what} code."));
                }
                return index;
            }
            return new StatsScope(
                from is { } f ? Micros.Bound(f) : long.MinValue,
                to is { } t ? Micros.Bound(t) : long.MaxValue,
                Code(codes.Streets, filter.StreetCode, "streetCode", "street"),
                Code(codes.Communities, filter.CommunityCode, "communityCode", "community"),
                Code(codes.Departments, filter.DepartmentCode, "departmentCode", "department"),
                Code(codes.Categories, filter.CategoryCode, "categoryCode", "category"));
        });
        failures = errors;
        return scope;
    }

    public long NowMicros() => Micros.Of(clock.Now());

    /// <summary>The asOf of an answer computed at <paramref name="now"/> (earlier when read from a standby that is behind).</summary>
    public DateTimeOffset AsOf(long now) => Micros.ToTime(facts.AsOf(now));

    /// <summary>
    /// The earlier answer when the new one says the same but for its asOf: the answer, its bytes
    /// and its ETag then stay the same until a figure really changes, so pollers keep getting 304s
    /// (asOf then reads as "these figures have held since").
    /// </summary>
    private static object Unchanged(object? earlier, object recomputed) =>
        earlier is IStatsAnswer before && recomputed is IStatsAnswer after && after.SaysTheSameAs(before) ? earlier : recomputed;

    private readonly ConcurrentDictionary<object, object> _standingKeys = new();

    private object? StandingKeyOf(object key) => _standingKeys.TryGetValue(key, out var standing) ? standing : null;

    // How often each question has been asked: the second time, it becomes a standing question.
    private readonly ConcurrentDictionary<object, int> _asked = new();

    /// <summary>
    /// The answer to a question: from the cache while nothing changed; from the question's kept
    /// tallies once it has been asked before; otherwise by a scan. <paramref name="question"/>
    /// gives the scope and grouping at an instant (a timeseries' periods depend on it);
    /// <paramref name="render"/> turns tallies into the answer and says until when it holds.
    /// </summary>
    /// <param name="key">The question as asked, for the cache.</param>
    /// <param name="standingKey">What the tallies depend on, for the kept tallies (a sort order does not).</param>
    internal T Answer<T>(object key, object standingKey, Func<long, (StatsScope Scope, Grouping Grouping)> question,
        Func<ReferenceCodes, int> groupsOf, Func<Tally?[], ReferenceCodes, long, (T Value, long ValidUntil)> render) where T : class =>
        Cached(key, now =>
        {
            if (_asked.Count > 4 * MaxCached)
            {
                _asked.Clear();
            }
            var keep = _asked.AddOrUpdate(standingKey, 1, (_, n) => n + 1) >= 2;
            if (_standingKeys.Count > 4 * MaxCached)
            {
                _standingKeys.Clear();
            }
            _standingKeys[key] = standingKey;
            var (scope, grouping) = question(now);
            return facts.Answer(standingKey, scope, grouping, groupsOf, keep, (tallies, codes) => render(tallies, codes, now));
        });

    /// <summary>
    /// The cached answer to <paramref name="key"/> if the facts have not changed since and no
    /// counted order has passed a deadline; otherwise computes it (with the instant until which it
    /// stays true) and keeps it, with the way to compute it again.
    /// </summary>
    public T Cached<T>(object key, Func<long, (T Value, long ValidUntil)> compute) where T : class
    {
        var version = facts.Version;
        var now = NowMicros();
        if (_cache.TryGetValue(key, out var entry) && entry.Version == version && now <= entry.ValidUntil)
        {
            entry.LastAsked = System.Diagnostics.Stopwatch.GetTimestamp();
            entry.Asked++;
            if (entry.StandingKey is { } standingKey)
            {
                facts.Touch(standingKey);
            }
            return (T)entry.Value;
        }
        var (value, validUntil) = compute(now);
        value = (T)Unchanged(entry?.Value, value);
        if (_cache.Count >= MaxCached)
        {
            _cache.Clear();
        }
        _cache[key] = new Entry(version, validUntil, value, at => compute(at)) { Asked = entry is null ? 1 : entry.Asked + 1, StandingKey = StandingKeyOf(key) };
        return value;
    }

    /// <summary>
    /// Computes again, ahead of the next poll, the answers asked for again and again recently that
    /// a change or a passing deadline has made stale (standing questions: a lookup each): the screens that poll them then get them at once. What a
    /// request must see is unchanged: it still catches up first, and computes itself if this has
    /// not caught up as far.
    /// </summary>
    /// <returns>How many answers were computed again.</returns>
    public int RefreshAsked(TimeSpan askedWithin)
    {
        var refreshed = 0;
        foreach (var (key, entry) in _cache)
        {
            // Only questions asked again and again: a one-off question computed again would be a scan for no one.
            if (entry.Asked < 2 || System.Diagnostics.Stopwatch.GetElapsedTime(entry.LastAsked) > askedWithin)
            {
                continue;
            }
            var version = facts.Version;
            var now = NowMicros();
            if (entry.Version == version && now <= entry.ValidUntil)
            {
                continue;
            }
            try
            {
                var (value, validUntil) = entry.Compute(now);
                value = Unchanged(entry.Value, value);
                _cache.TryUpdate(key, new Entry(version, validUntil, value, entry.Compute)
                {
                    LastAsked = entry.LastAsked,
                    Asked = entry.Asked,
                    StandingKey = entry.StandingKey,
                }, entry);
                refreshed++;
            }
            catch (ValidationException)
            {
                // A question that became invalid (a timeseries grown past its limit) is answered by its next request.
                _cache.TryRemove(key, out _);
            }
        }
        return refreshed;
    }
}
