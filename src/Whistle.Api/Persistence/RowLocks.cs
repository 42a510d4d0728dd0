using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Whistle.Api.Persistence;

/// <summary>
/// <c>SELECT … FOR UPDATE</c> for a LINQ query, in the same round trip as the read: the query is
/// tagged, and this interceptor appends the lock clause to tagged commands. (EF has no operator
/// for it, and composing over FromSql misnames complex-type columns.)
/// </summary>
public sealed class RowLocks : DbCommandInterceptor
{
    public const string Tag = "whistle:for-update";
    public const string SkipLockedTag = "whistle:for-update-skip-locked";
    private static readonly string Marker = $"-- {Tag}";
    private static readonly string SkipLockedMarker = $"-- {SkipLockedTag}";

    public static readonly RowLocks Instance = new();

    public override InterceptionResult<DbDataReader> ReaderExecuting(
        DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        AppendLock(command);
        return result;
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        AppendLock(command);
        return ValueTask.FromResult(result);
    }

    private static void AppendLock(DbCommand command)
    {
        // The longer tag first: it starts with the shorter one.
        if (command.CommandText.StartsWith(SkipLockedMarker, StringComparison.Ordinal))
        {
            command.CommandText = command.CommandText.TrimEnd().TrimEnd(';') + " FOR UPDATE SKIP LOCKED";
        }
        else if (command.CommandText.StartsWith(Marker, StringComparison.Ordinal))
        {
            command.CommandText = command.CommandText.TrimEnd().TrimEnd(';') + " FOR UPDATE";
        }
    }
}

public static class RowLockQueries
{
    /// <summary>Locks the rows the query reads until the transaction ends.</summary>
    public static IQueryable<T> ForUpdate<T>(this IQueryable<T> query) => query.TagWith(RowLocks.Tag);

    /// <summary>
    /// Locks the rows the query reads until the transaction ends, leaving out rows another
    /// transaction holds: several workers share a queue without waiting for or repeating each other.
    /// </summary>
    public static IQueryable<T> ForUpdateSkipLocked<T>(this IQueryable<T> query) => query.TagWith(RowLocks.SkipLockedTag);
}
