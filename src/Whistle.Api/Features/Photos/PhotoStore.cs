using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Whistle.Api.Features.Photos;

/// <summary>Stored image bytes, addressed by the SHA-256 of those bytes (the same photo twice is stored once).</summary>
public sealed record StoredImage(byte[] Bytes, string ContentType);

/// <summary>
/// Where image bytes live: PostgreSQL (the default) or an S3-compatible object store, chosen by
/// <c>Whistle:Photos:Store</c>. Bytes are written before the order change that refers to them
/// commits, so nothing is ever referenced before it exists; bytes a failed request left behind are
/// found by <see cref="PhotoSweep"/>, which erases whatever no photo refers to once it is old enough.
/// </summary>
public interface IPhotoStore
{
    /// <summary><c>database</c> or <c>s3</c>.</summary>
    string Name { get; }

    /// <summary>Writes the bytes under their hash; writing them again only renews their age (the sweep spares them).</summary>
    Task PutAsync(WhistleDbContext db, string hash, string contentType, byte[] bytes, CancellationToken cancellationToken);

    Task<StoredImage?> GetAsync(WhistleDbContext db, string hash, CancellationToken cancellationToken);

    /// <summary>
    /// Whether writes join the request's database transaction (so they vanish with a rollback and an
    /// erase commits with the change that withdrew the photo); an object store's do not.
    /// </summary>
    bool Transactional { get; }

    /// <summary>The store's own clock, which its ages are measured by (an object store's is its server's).</summary>
    DateTimeOffset Now { get; }

    /// <summary>The stored hashes last written at or before <paramref name="before"/>: the sweep's candidates.</summary>
    IAsyncEnumerable<string> WrittenBeforeAsync(WhistleDbContext db, DateTimeOffset before, CancellationToken cancellationToken);

    /// <summary>Erases the bytes unless they were written again after <paramref name="before"/> (by a request that now refers to them).</summary>
    Task<bool> EraseAsync(WhistleDbContext db, string hash, DateTimeOffset before, CancellationToken cancellationToken);
}

/// <summary>Which stored hashes some photo that is not withdrawn still refers to: the one rule of the sweep and of withdrawal.</summary>
public static class PhotoReferences
{
    // jsonb_path_ops containment, so the GIN index on orders.photos answers it.
    public const string ReferencedSql = """
        SELECT h FROM unnest($1::text[]) AS h
        WHERE EXISTS (SELECT 1 FROM orders o WHERE o.photos @> jsonb_build_array(jsonb_build_object('hash', h, 'withdrawnAt', null))
                                               OR o.photos @> jsonb_build_array(jsonb_build_object('thumbnailHash', h, 'withdrawnAt', null)))
        """;

    public static async Task<HashSet<string>> ReferencedAsync(WhistleDbContext db, IReadOnlyCollection<string> hashes, CancellationToken cancellationToken)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var opened = connection.State != System.Data.ConnectionState.Open;
        if (opened)
        {
            await connection.OpenAsync(cancellationToken);
        }
        try
        {
            await using var command = new NpgsqlCommand(ReferencedSql, connection)
            {
                Transaction = (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction(),
            };
            command.Parameters.Add(new NpgsqlParameter { Value = hashes.ToArray() });
            var referenced = new HashSet<string>(StringComparer.Ordinal);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                referenced.Add(reader.GetString(0));
            }
            return referenced;
        }
        finally
        {
            if (opened)
            {
                await connection.CloseAsync();
            }
        }
    }
}

/// <summary>A row of <c>photo_blobs</c>: the database store's bytes.</summary>
public sealed class PhotoBlob
{
    public required string Hash { get; init; }
    public required string ContentType { get; init; }
    public required byte[] Content { get; init; }
    public DateTimeOffset StoredAt { get; set; }
}

/// <summary>
/// Bytes in PostgreSQL, written in the request's own transaction: they commit with the order's
/// change or not at all, one backup holds everything, and every instance sees them.
/// </summary>
public sealed class DatabasePhotoStore(TimeProvider clock) : IPhotoStore
{
    public string Name => "database";

    public async Task PutAsync(WhistleDbContext db, string hash, string contentType, byte[] bytes, CancellationToken cancellationToken) =>
        await db.Database.ExecuteSqlAsync(
            $"""
            INSERT INTO photo_blobs (hash, content_type, content, stored_at) VALUES ({hash}, {contentType}, {bytes}, {clock.GetUtcNow().ToUniversalTime()})
            ON CONFLICT (hash) DO UPDATE SET stored_at = excluded.stored_at
            """, cancellationToken);

    public async Task<StoredImage?> GetAsync(WhistleDbContext db, string hash, CancellationToken cancellationToken) =>
        await db.Set<PhotoBlob>().AsNoTracking().Where(b => b.Hash == hash)
            .Select(b => new StoredImage(b.Content, b.ContentType)).SingleOrDefaultAsync(cancellationToken);

    public bool Transactional => true;

    public DateTimeOffset Now => clock.GetUtcNow().ToUniversalTime();

    public async Task<bool> EraseAsync(WhistleDbContext db, string hash, DateTimeOffset before, CancellationToken cancellationToken) =>
        // A request that writes the same bytes meanwhile holds the row's lock and renews stored_at: this then spares the row.
        await db.Database.ExecuteSqlAsync($"DELETE FROM photo_blobs WHERE hash = {hash} AND stored_at <= {before}", cancellationToken) > 0;

    public async IAsyncEnumerable<string> WrittenBeforeAsync(
        WhistleDbContext db, DateTimeOffset before, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var hashes = await db.Set<PhotoBlob>().AsNoTracking().Where(b => b.StoredAt <= before).Select(b => b.Hash).ToListAsync(cancellationToken);
        foreach (var hash in hashes)
        {
            yield return hash;
        }
    }
}

/// <summary>
/// Bytes in an S3-compatible bucket (Alibaba OSS, Tencent COS, Huawei OBS, MinIO), under
/// <c>{Prefix}{hash}</c>. A PUT of bytes already there overwrites them with the same bytes, which
/// renews their age, so the sweep never takes bytes a request in flight has just written.
/// </summary>
public sealed class S3PhotoStore : IPhotoStore, IDisposable
{
    private readonly AmazonS3Client _client;
    private readonly S3Options _options;

    public S3PhotoStore(IOptions<PhotoOptions> options)
    {
        _options = options.Value.S3;
        var config = new AmazonS3Config
        {
            ServiceURL = _options.ServiceUrl,
            ForcePathStyle = _options.ForcePathStyle,
            AuthenticationRegion = _options.Region,
            // The SDK's newer default checksums (trailing CRC32 in aws-chunked bodies) are not spoken by every
            // S3-compatible store; checksums only where the protocol requires them.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        _client = _options.AccessKey is { Length: > 0 }
            ? new AmazonS3Client(new BasicAWSCredentials(_options.AccessKey, _options.SecretKey), config)
            : new AmazonS3Client(new AnonymousAWSCredentials(), config);
    }

    public string Name => "s3";

    private string Key(string hash) => _options.Prefix + hash;

    public async Task PutAsync(WhistleDbContext db, string hash, string contentType, byte[] bytes, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream(bytes, writable: false);
        await _client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _options.Bucket,
            Key = Key(hash),
            InputStream = body,
            ContentType = contentType,
            UseChunkEncoding = false,
            AutoCloseStream = false,
        }, cancellationToken);
    }

    public async Task<StoredImage?> GetAsync(WhistleDbContext db, string hash, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _client.GetObjectAsync(_options.Bucket, Key(hash), cancellationToken);
            using var bytes = new MemoryStream((int)Math.Max(0, response.ContentLength));
            await response.ResponseStream.CopyToAsync(bytes, cancellationToken);
            return new StoredImage(bytes.ToArray(), response.Headers.ContentType ?? "application/octet-stream");
        }
        catch (AmazonS3Exception exception) when (exception.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public bool Transactional => false;

    public DateTimeOffset Now => DateTimeOffset.UtcNow;

    public async Task<bool> EraseAsync(WhistleDbContext db, string hash, DateTimeOffset before, CancellationToken cancellationToken)
    {
        try
        {
            // Looked at again just before the delete: a request that wrote the same bytes since has renewed them.
            var head = await _client.GetObjectMetadataAsync(_options.Bucket, Key(hash), cancellationToken);
            if (head.LastModified is { } modified && new DateTimeOffset(modified.ToUniversalTime(), TimeSpan.Zero) > before)
            {
                return false;
            }
        }
        catch (AmazonS3Exception exception) when (exception.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return false;
        }
        await _client.DeleteObjectAsync(_options.Bucket, Key(hash), cancellationToken);
        return true;
    }

    public async IAsyncEnumerable<string> WrittenBeforeAsync(
        WhistleDbContext db, DateTimeOffset before, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = _options.Prefix };
        ListObjectsV2Response response;
        do
        {
            response = await _client.ListObjectsV2Async(request, cancellationToken);
            foreach (var item in response.S3Objects ?? [])
            {
                if (item.LastModified is { } modified && new DateTimeOffset(modified.ToUniversalTime(), TimeSpan.Zero) <= before)
                {
                    yield return item.Key[_options.Prefix.Length..];
                }
            }
            request.ContinuationToken = response.NextContinuationToken;
        }
        while (response.IsTruncated == true);
    }

    public void Dispose() => _client.Dispose();
}
