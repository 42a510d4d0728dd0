using System.Diagnostics;

namespace Whistle.Api.Features.Stats;

/// <summary>
/// The questions screens keep asking, each with its tallies kept up to date as orders change (in
/// the same step that applies the change to the facts), so answering one again is a lookup, not a
/// scan. Not thread-safe: <see cref="OrderFacts"/> calls it under its lock (reads under the read
/// lock, changes under the write lock).
/// </summary>
internal sealed class StandingQuestions
{
    private const int MaxStanding = 32;

    /// <summary>
    /// Durations and deadlines kept over all standing questions, per order in the store: a question
    /// over the whole year keeps up to three values of each order it counts (8 bytes each), so 32 of
    /// them would hold more than the facts themselves; the least recently asked go first past this
    /// (64 bytes an order: the dashboard's six questions need about 6).
    /// </summary>
    private const int MaxValuesPerRow = 8;

    private sealed class Standing(StatsScope scope, Grouping grouping, Tally?[] tallies)
    {
        public readonly StatsScope Scope = scope;
        public readonly Grouping Grouping = grouping;
        public Tally?[] Tallies = tallies;
        public long LastAsked = Stopwatch.GetTimestamp();

        // What the lists hold room for, not what they hold: the memory they take.
        public long Values => Tallies.Sum(t => t is null ? 0L : t.AcknowledgeWaits.Capacity + t.ResolveWaits.Capacity + t.OverdueAts.Capacity);

        public bool Answers(StatsScope scope, Grouping grouping) =>
            Scope == scope && (Grouping, grouping) switch
            {
                (Grouping.ByPeriod a, Grouping.ByPeriod b) => a.Bounds.AsSpan().SequenceEqual(b.Bounds),
                _ => Grouping == grouping,
            };

        public void Count(in Fact fact, int sign)
        {
            var group = StatsScan.GroupOf(fact, Scope, Grouping);
            if (group < 0)
            {
                return;
            }
            if (group >= Tallies.Length)
            {
                Array.Resize(ref Tallies, group + 1); // a reference code added since
            }
            (Tallies[group] ??= new Tally(sorted: true)).Count(fact, sign);
        }
    }

    private readonly Dictionary<object, Standing> _standing = [];

    /// <summary>The kept tallies of this question, if it is standing (and then it counts as asked now). Read lock.</summary>
    public Tally?[]? Find(object key, StatsScope scope, Grouping grouping)
    {
        if (_standing.TryGetValue(key, out var standing) && standing.Answers(scope, grouping))
        {
            standing.LastAsked = Stopwatch.GetTimestamp();
            return standing.Tallies;
        }
        return null;
    }

    /// <summary>
    /// Keeps a question's freshly scanned tallies, sorted, dropping the least recently asked beyond
    /// the limits (<see cref="MaxStanding"/> questions, <see cref="MaxValuesPerRow"/> values for each
    /// of <paramref name="rows"/>). Write lock.
    /// </summary>
    public void Keep(object key, StatsScope scope, Grouping grouping, Tally?[] tallies, int rows)
    {
        foreach (var tally in tallies)
        {
            tally?.Sort();
        }
        _standing.Remove(key);
        var kept = new Standing(scope, grouping, tallies);
        var budget = (long)MaxValuesPerRow * rows - kept.Values;
        while (_standing.Count > 0 && (_standing.Count >= MaxStanding || _standing.Values.Sum(s => s.Values) > budget))
        {
            _standing.Remove(_standing.MinBy(p => p.Value.LastAsked).Key);
        }
        _standing[key] = kept;
    }

    /// <summary>A cached answer to the question was served: it is still being asked. Read lock.</summary>
    public void Touch(object key)
    {
        if (_standing.TryGetValue(key, out var standing))
        {
            standing.LastAsked = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>Counts one order's fact in (+1) or out (-1) of every kept question. Write lock.</summary>
    public void Count(in Fact fact, int sign)
    {
        foreach (var standing in _standing.Values)
        {
            standing.Count(fact, sign);
        }
    }

    /// <summary>Stops keeping the questions no one has asked for a while. Write lock.</summary>
    public void Drop(TimeSpan notAskedFor)
    {
        foreach (var (key, standing) in _standing)
        {
            if (Stopwatch.GetElapsedTime(standing.LastAsked) > notAskedFor)
            {
                _standing.Remove(key);
            }
        }
    }

    /// <summary>Drops them all; they are built again when next asked twice. Write lock.</summary>
    public void Clear() => _standing.Clear();
}
