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
/// The facts in columns, so a scan reads only what it tests; grown by doubling. Row i of every
/// column is one order's <see cref="Fact"/>.
/// </summary>
public sealed class FactColumns
{
    public int Count;
    public Flag[] Flags = new Flag[1024];
    public long[] FiledAt = new long[1024];
    public long[] WhistledAt = new long[1024];
    /// <summary>First acknowledgement minus first whistle, µs; -1 when never acknowledged.</summary>
    public long[] AcknowledgeWait = new long[1024];
    /// <summary>Resolution minus first whistle for completed orders, µs; -1 otherwise.</summary>
    public long[] ResolveWait = new long[1024];
    /// <summary>The order's running deadline (<see cref="Whistle.Domain.Orders.Overdue"/>); long.MaxValue when none runs.</summary>
    public long[] OverdueAt = new long[1024];
    public short[] Street = new short[1024];
    public short[] Community = new short[1024];
    public short[] Department = new short[1024];
    public short[] Category = new short[1024];
    public short[] Returns = new short[1024];
    public short[] Reopens = new short[1024];
    public short[] Escalations = new short[1024];

    internal void Set(int i, in Fact f)
    {
        Flags[i] = f.Flags;
        FiledAt[i] = f.FiledAt;
        WhistledAt[i] = f.WhistledAt;
        AcknowledgeWait[i] = f.AcknowledgeWait;
        ResolveWait[i] = f.ResolveWait;
        OverdueAt[i] = f.OverdueAt;
        Street[i] = f.Street;
        Community[i] = f.Community;
        Department[i] = f.Department;
        Category[i] = f.Category;
        Returns[i] = f.Returns;
        Reopens[i] = f.Reopens;
        Escalations[i] = f.Escalations;
    }

    internal Fact Get(int i) => new(Flags[i], FiledAt[i], WhistledAt[i], AcknowledgeWait[i], ResolveWait[i], OverdueAt[i],
        Street[i], Community[i], Department[i], Category[i], Returns[i], Reopens[i], Escalations[i]);

    /// <summary>Appends a row (its values set next by <see cref="Set"/>) and returns its index.</summary>
    internal int Add()
    {
        if (Count == Flags.Length)
        {
            var size = Flags.Length * 2;
            Array.Resize(ref Flags, size);
            Array.Resize(ref FiledAt, size);
            Array.Resize(ref WhistledAt, size);
            Array.Resize(ref AcknowledgeWait, size);
            Array.Resize(ref ResolveWait, size);
            Array.Resize(ref OverdueAt, size);
            Array.Resize(ref Street, size);
            Array.Resize(ref Community, size);
            Array.Resize(ref Department, size);
            Array.Resize(ref Category, size);
            Array.Resize(ref Returns, size);
            Array.Resize(ref Reopens, size);
            Array.Resize(ref Escalations, size);
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
