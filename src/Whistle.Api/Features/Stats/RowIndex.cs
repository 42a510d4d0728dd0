namespace Whistle.Api.Features.Stats;

/// <summary>
/// Which row of the columns holds an order, by the order's number. Numbers come from an identity
/// column counting up from 1, so the index is pages of ints addressed by the number itself: 4 bytes
/// an order (and a page per 65,536 numbers touched), where a <c>Dictionary&lt;Guid, int&gt;</c> costs
/// 32 bytes an entry, up to twice that in spare capacity, and a copy of itself each time it grows.
/// Not thread-safe: <see cref="OrderFacts"/> uses it under its write lock.
/// </summary>
internal sealed class RowIndex
{
    private const int PageBits = 16;
    private const long Mask = (1 << PageBits) - 1;

    // By page number: a dictionary, so a number far from the others (a sequence restarted high) costs one page, not all those between.
    private readonly Dictionary<long, int[]> _pages = [];
    private long _lastPage = long.MinValue;
    private int[]? _last;

    /// <summary>The row of an order, or -1.</summary>
    public int RowOf(long number) => Page(number, create: false) is { } page ? page[number & Mask] - 1 : -1;

    public void Set(long number, int row) => Page(number, create: true)![number & Mask] = row + 1; // 0: no row

    private int[]? Page(long number, bool create)
    {
        var key = number >> PageBits;
        // A table read in its heap order comes mostly in number order: most lookups are in the page of the one before.
        if (key == _lastPage)
        {
            return _last;
        }
        if (!_pages.TryGetValue(key, out var page))
        {
            if (!create)
            {
                return null;
            }
            page = new int[1 << PageBits];
            _pages[key] = page;
        }
        _lastPage = key;
        _last = page;
        return page;
    }
}
