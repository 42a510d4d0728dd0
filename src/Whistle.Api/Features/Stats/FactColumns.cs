namespace Whistle.Api.Features.Stats;

/// <summary>What an order is, as the figures count it: one bit a yes-or-no question.</summary>
[Flags]
public enum Flag : ushort
{
    Whistled = 1,
    Cancelled = 2,
    Completed = 4,
    AcknowledgedOnTime = 8,
    ResolvedOnTime = 16,
    Evaluated = 32,
    Satisfied = 64,
    HandledLocally = 128,
    /// <summary>Cancelled as invalid or a duplicate: not a valid order (a withdrawn one stays valid).</summary>
    Invalid = 256,
    /// <summary>Whistled, acknowledged, returned or with its return under review: the open backlog.</summary>
    Open = 512,
    /// <summary>
    /// Not an order but a co-handler's part of one (协办): it counts only as a summons the department
    /// received (and whether it answered in time), in its order's period and place, under its own department.
    /// </summary>
    CoHandlerPart = 1024,
}

/// <summary>One order as the figures see it (derived by <see cref="OrderRow.ToFact"/>); times in microseconds since the Unix epoch.</summary>
public readonly record struct Fact(
    Flag Flags, long FiledAt, long WhistledAt, long AcknowledgeWait, long ResolveWait, long OverdueAt,
    short Street, short Community, short Department, short Category, short Returns, short Reopens, short Escalations);

/// <summary>
/// The facts in columns, so a scan reads only what it tests; row i of every column is one order's
/// <see cref="Fact"/>. The columns are cut into segments of a fixed number of rows, added one at a
/// time as the store grows: growing never copies what is there, so a store of 20 million rows costs
/// its 56 bytes a row and one partly filled segment, not the twice or thrice of an array grown by
/// doubling (the old array and the new one both alive while it is copied).
/// </summary>
public sealed class FactColumns
{
    /// <summary>Rows per segment: 2^16, so a segment's long column (512 KiB) is one large-object-heap array, never moved by the GC.</summary>
    public const int SegmentBits = 16;

    public const int SegmentSize = 1 << SegmentBits;

    private const int Mask = SegmentSize - 1;

    /// <summary>One segment's columns: <see cref="SegmentSize"/> rows of each.</summary>
    public sealed class Segment
    {
        public readonly Flag[] Flags = new Flag[SegmentSize];
        public readonly long[] FiledAt = new long[SegmentSize];
        public readonly long[] WhistledAt = new long[SegmentSize];
        /// <summary>First acknowledgement minus first whistle, µs; -1 when never acknowledged.</summary>
        public readonly long[] AcknowledgeWait = new long[SegmentSize];
        /// <summary>Resolution minus first whistle for completed orders, µs; -1 otherwise.</summary>
        public readonly long[] ResolveWait = new long[SegmentSize];
        /// <summary>The order's running deadline (<see cref="Whistle.Domain.Orders.Overdue"/>); long.MaxValue when none runs.</summary>
        public readonly long[] OverdueAt = new long[SegmentSize];
        public readonly short[] Street = new short[SegmentSize];
        public readonly short[] Community = new short[SegmentSize];
        public readonly short[] Department = new short[SegmentSize];
        public readonly short[] Category = new short[SegmentSize];
        public readonly short[] Returns = new short[SegmentSize];
        public readonly short[] Reopens = new short[SegmentSize];
        public readonly short[] Escalations = new short[SegmentSize];
    }

    /// <summary>Bytes a row takes in the columns (a segment holds <see cref="SegmentSize"/> of them).</summary>
    public const int BytesPerRow = sizeof(Flag) + 5 * sizeof(long) + 7 * sizeof(short);

    private readonly List<Segment> _segments = [];

    public int Count { get; private set; }

    public int SegmentCount => _segments.Count;

    public Segment SegmentAt(int k) => _segments[k];

    /// <summary>How many rows of segment <paramref name="k"/> are in use.</summary>
    public int RowsIn(int k) => Math.Min(SegmentSize, Count - (k << SegmentBits));

    internal void Set(int i, in Fact f)
    {
        var s = _segments[i >> SegmentBits];
        var j = i & Mask;
        s.Flags[j] = f.Flags;
        s.FiledAt[j] = f.FiledAt;
        s.WhistledAt[j] = f.WhistledAt;
        s.AcknowledgeWait[j] = f.AcknowledgeWait;
        s.ResolveWait[j] = f.ResolveWait;
        s.OverdueAt[j] = f.OverdueAt;
        s.Street[j] = f.Street;
        s.Community[j] = f.Community;
        s.Department[j] = f.Department;
        s.Category[j] = f.Category;
        s.Returns[j] = f.Returns;
        s.Reopens[j] = f.Reopens;
        s.Escalations[j] = f.Escalations;
    }

    internal Fact Get(int i)
    {
        var s = _segments[i >> SegmentBits];
        var j = i & Mask;
        return new(s.Flags[j], s.FiledAt[j], s.WhistledAt[j], s.AcknowledgeWait[j], s.ResolveWait[j], s.OverdueAt[j],
            s.Street[j], s.Community[j], s.Department[j], s.Category[j], s.Returns[j], s.Reopens[j], s.Escalations[j]);
    }

    /// <summary>Appends a row (its values set next by <see cref="Set"/>) and returns its index.</summary>
    internal int Add()
    {
        if (Count == _segments.Count << SegmentBits)
        {
            _segments.Add(new Segment());
        }
        return Count++;
    }
}

/// <summary>The facts' times: whole microseconds since the Unix epoch, as PostgreSQL stores them.</summary>
public static class Micros
{
    public static long Of(DateTime utc) => (utc.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMicrosecond;

    public static long Of(DateTimeOffset at) => (at.UtcTicks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMicrosecond;

    /// <summary>
    /// A period bound in microseconds, rounded up: stored times are whole microseconds, so
    /// "at or after" and "before" a bound with a finer fraction mean the next whole microsecond.
    /// </summary>
    public static long Bound(DateTimeOffset at)
    {
        var ticks = at.UtcTicks - DateTime.UnixEpoch.Ticks;
        return ticks / TimeSpan.TicksPerMicrosecond + (ticks % TimeSpan.TicksPerMicrosecond > 0 ? 1 : 0);
    }

    public static DateTimeOffset ToTime(long micros) => new(DateTime.UnixEpoch.Ticks + micros * TimeSpan.TicksPerMicrosecond, TimeSpan.Zero);
}
