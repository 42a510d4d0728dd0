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

    private sealed class Standing(StatsScope scope, Grouping grouping, Tally?[] tallies)
    {
        public readonly StatsScope Scope = scope;
        public readonly Grouping Grouping = grouping;
        public Tally?[] Tallies = tallies;
        public long LastAsked = Stopwatch.GetTimestamp();

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

    /// <summary>Keeps a question's freshly scanned tallies, sorted, dropping the least recently asked beyond the limit. Write lock.</summary>
    public void Keep(object key, StatsScope scope, Grouping grouping, Tally?[] tallies)
    {
        foreach (var tally in tallies)
        {
            tally?.Sort();
        }
        if (_standing.Count >= MaxStanding && !_standing.ContainsKey(key))
        {
            _standing.Remove(_standing.MinBy(p => p.Value.LastAsked).Key);
        }
        _standing[key] = new Standing(scope, grouping, tallies);
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
