namespace Whistle.Api.Features.Photos;

/// <summary>Where photos are kept and how much work one upload may cost, under <c>Whistle:Photos</c>.</summary>
public sealed class PhotoOptions
{
    public const string Section = "Whistle:Photos";

    /// <summary><c>database</c> (the default: one backup holds everything) or <c>s3</c> (any S3-compatible object store).</summary>
    public string Store { get; set; } = "database";

    /// <summary>The S3-compatible store, when <see cref="Store"/> is <c>s3</c>.</summary>
    public S3Options S3 { get; set; } = new();

    /// <summary>
    /// Images decoded at once by this instance. A 12-megapixel photo takes about 50 MB while it is
    /// decoded, so this bounds the memory uploads can take, whatever their number.
    /// </summary>
    public int MaxConcurrentDecodes { get; set; } = Math.Max(2, Environment.ProcessorCount);

    /// <summary>How long an upload waits for a decode slot before it is answered 503 with Retry-After.</summary>
    public TimeSpan DecodeWait { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The largest upload request (all its parts); a larger one is 413 before its body is read past this.</summary>
    public long MaxRequestBytes { get; set; } = 25 * 1024 * 1024;

    /// <summary>The largest image (width × height, from its header) decoded; a larger one is refused as a decompression bomb.</summary>
    public long MaxPixels { get; set; } = 50_000_000;

    /// <summary>The long edge of the stored image.</summary>
    public int MaxEdge { get; set; } = 2048;

    /// <summary>The long edge of the thumbnail.</summary>
    public int ThumbnailEdge { get; set; } = 320;

    /// <summary>Stored bytes no photo refers to are erased once they are this old (bytes written for a request that failed).</summary>
    public TimeSpan SweepAfter { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How often the sweep runs; zero turns it off (tests run it themselves).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(10);

    public bool IsValid() =>
        Store is "database" or "s3" && MaxConcurrentDecodes is >= 1 and <= 256 && DecodeWait >= TimeSpan.Zero
        && MaxRequestBytes > 0 && MaxPixels > 0 && MaxEdge is >= 64 and <= 8192 && ThumbnailEdge is >= 32 and <= 1024
        && SweepAfter > TimeSpan.Zero && SweepInterval >= TimeSpan.Zero
        && (Store != "s3" || (S3.ServiceUrl is { Length: > 0 } && S3.Bucket is { Length: > 0 }));
}

/// <summary>An S3-compatible object store: Alibaba OSS, Tencent COS, Huawei OBS, MinIO and AWS all speak it.</summary>
public sealed class S3Options
{
    /// <summary>The endpoint, e.g. https://oss-cn-huhehaote.aliyuncs.com or http://minio:9000.</summary>
    public string? ServiceUrl { get; set; }

    public string? Bucket { get; set; }

    public string? AccessKey { get; set; }

    public string? SecretKey { get; set; }

    /// <summary>The signing region; most S3-compatible stores accept any.</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary>Addresses objects as endpoint/bucket/key rather than bucket.endpoint/key (MinIO and most self-hosted stores need it).</summary>
    public bool ForcePathStyle { get; set; } = true;

    /// <summary>Keys are this prefix and the hash.</summary>
    public string Prefix { get; set; } = "photos/";
}
