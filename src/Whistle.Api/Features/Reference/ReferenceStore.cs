using System.Runtime.CompilerServices;
using System.Text.Json;
using FluentValidation.Results;
using Whistle.Api.Features.Webhooks;
using Whistle.Domain.Reference;

namespace Whistle.Api.Features.Reference;

/// <summary>What every reference change does besides the change itself: its log rows and the notification to every instance.</summary>
internal static class ReferenceStore
{
    /// <summary>
    /// The channel every instance LISTENs on (<see cref="ReferenceListener"/>): a change notifies it in
    /// its own transaction, so the notification arrives when, and only if, the change commits.
    /// </summary>
    public const string Channel = "whistle_reference";

    // The rows each context has logged and not yet announced: numbered by the SaveChanges that writes
    // them, announced (and forgotten) by NotifyAsync in the same transaction.
    private static readonly ConditionalWeakTable<WhistleDbContext, List<ReferenceChange>> Unannounced = [];

    /// <summary>Adds a change-log row; <see cref="NotifyAsync"/>, after it is saved, raises its <c>reference.changed</c> event.</summary>
    public static void Log(WhistleDbContext db, Actor actor, DateTimeOffset at, string entity, string code, string action, object? before, object? after)
    {
        var change = new ReferenceChange
        {
            At = at.ToUniversalTime(),
            Actor = actor.Name,
            ActorId = actor.Id,
            Entity = entity,
            Code = code,
            Action = action,
            Before = before is null ? null : JsonSerializer.Serialize(before, before.GetType(), ApiJson.Options),
            After = after is null ? null : JsonSerializer.Serialize(after, after.GetType(), ApiJson.Options),
        };
        db.ReferenceChanges.Add(change);
        Unannounced.GetOrCreateValue(db).Add(change);
    }

    /// <summary>
    /// Ends every reference change, after its rows are saved and in its transaction: queues one
    /// <c>reference.changed</c> webhook event per change-log row (the outbox), and tells every instance
    /// (this one included) to read the reference data again once the transaction commits.
    /// </summary>
    public static async Task NotifyAsync(WhistleDbContext db, CancellationToken cancellationToken)
    {
        if (Unannounced.TryGetValue(db, out var logged))
        {
            // Rows numbered by their SaveChanges; one a failed request left behind (a pooled context) is not in the table, and queues nothing.
            var saved = logged.Where(c => c.Id > 0).OrderBy(c => c.Id).Select(ReferenceChanges.From).ToList();
            logged.Clear();
            await WebhookOutbox.QueueReferenceChangesAsync(db, saved, cancellationToken);
        }
        await db.Database.ExecuteSqlRawAsync($"SELECT pg_notify('{Channel}', '')", cancellationToken);
    }

    /// <summary>Refuses an edit made against another version than the stored one (412), as for orders.</summary>
    public static void EnsureVersion(ReferenceList list, string code, int version, IReadOnlyCollection<int>? ifMatch)
    {
        if (ifMatch is not null && !ifMatch.Contains(version))
        {
            throw new StaleReferenceException(list, code, version);
        }
    }

    public static ValidationException Invalid(IEnumerable<ReferenceFailure> failures) =>
        new(failures.Select(f => new ValidationFailure(f.Field, f.Message)));

    public static NotFoundException NotFound(ReferenceList list, string code) =>
        new($"No entry of {ReferenceRules.Name(list)} has the code '{code}'.");
}

/// <summary>A reference entry changed since the caller read it: 412, with its current ETag.</summary>
public sealed class StaleReferenceException(ReferenceList list, string code, int currentVersion)
    : Exception($"The entry '{code}' of {ReferenceRules.Name(list)} has changed since it was read; its current version is {currentVersion}.")
{
    public int CurrentVersion { get; } = currentVersion;
}

/// <summary>The change would leave work without an owner (a retired department still holding open orders): 409, with what is in the way.</summary>
public sealed class ReferenceConflictException(string message, IReadOnlyDictionary<string, object?> details) : Exception(message)
{
    public IReadOnlyDictionary<string, object?> Details { get; } = details;
}
