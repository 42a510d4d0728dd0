using System.Data;

namespace Whistle.Api.Infrastructure;

/// <summary>
/// Wraps every command in one database transaction: the change, its history entry and anything
/// else the handler writes commit together or not at all.
/// </summary>
public sealed class TransactionBehavior<TMessage, TResponse>(WhistleDbContext db) : IPipelineBehavior<TMessage, TResponse>
    where TMessage : IBaseCommand
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        if (db.Database.CurrentTransaction is not null)
        {
            return await next(message, cancellationToken);
        }
        // One transaction per command and one SaveChanges in it: EF's savepoint around the save
        // would only add two round trips.
        db.Database.AutoSavepointsEnabled = false;
        await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        var response = await next(message, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return response;
    }
}
