using Microsoft.Extensions.Options;

namespace Whistle.Api.Features.Photos;

/// <summary>
/// Erases stored bytes no photo refers to: bytes an object store kept for a request that failed after
/// writing them, and the bytes of withdrawn photos whose erase after the withdrawal did not happen. Only
/// bytes older than <see cref="PhotoOptions.SweepAfter"/> are candidates, so a request still in flight
/// (which has just written or renewed its bytes) never loses them.
/// </summary>
public sealed class PhotoSweep(IServiceScopeFactory scopes, IOptions<PhotoOptions> options, ILogger<PhotoSweep> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.SweepInterval <= TimeSpan.Zero)
        {
            return;
        }
        using var timer = new PeriodicTimer(options.Value.SweepInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                logger.LogWarning(exception, "The photo sweep failed; it runs again in {Interval}.", options.Value.SweepInterval);
            }
        }
    }

    /// <summary>One pass; returns how many stored images it erased.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WhistleDbContext>();
        var store = scope.ServiceProvider.GetRequiredService<IPhotoStore>();
        var before = store.Now - options.Value.SweepAfter;
        var erased = 0;
        foreach (var batch in (await store.WrittenBeforeAsync(db, before, cancellationToken).ToListAsync(cancellationToken)).Chunk(500))
        {
            erased += await EraseUnreferencedAsync(db, store, batch, before, cancellationToken);
        }
        if (erased > 0)
        {
            logger.LogInformation("The photo sweep erased {Count} stored images no photo refers to.", erased);
        }
        return erased;
    }

    /// <summary>Erases those of <paramref name="hashes"/> that no photo (not withdrawn) refers to and that were not written again after <paramref name="before"/>.</summary>
    public static async Task<int> EraseUnreferencedAsync(
        WhistleDbContext db, IPhotoStore store, IReadOnlyCollection<string> hashes, DateTimeOffset before, CancellationToken cancellationToken)
    {
        var referenced = await PhotoReferences.ReferencedAsync(db, hashes, cancellationToken);
        var erased = 0;
        foreach (var hash in hashes.Where(h => !referenced.Contains(h)))
        {
            erased += await store.EraseAsync(db, hash, before, cancellationToken) ? 1 : 0;
        }
        return erased;
    }
}
