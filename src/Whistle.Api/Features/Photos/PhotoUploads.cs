using FluentValidation.Results;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Whistle.Api.Features.Photos;

/// <summary>Marks an endpoint that takes photos in a multipart body: its body is limited to <see cref="PhotoOptions.MaxRequestBytes"/>.</summary>
public sealed record PhotoUploadEndpoint;

/// <summary>Reading an upload: the size limit, the multipart form, the files processed one decode slot at a time.</summary>
public static class PhotoUploads
{
    public const string FilePart = "file";

    /// <summary>The most parts an upload may have: the order, the stage and the most files an order takes, with room to spare.</summary>
    public const int MaxParts = 16;

    /// <summary>
    /// Before anything reads the body (the idempotency fingerprint included): a declared length over the
    /// limit is 413 at once, and a body that turns out longer is 413 as soon as it passes the limit.
    /// </summary>
    public static async Task LimitAsync(HttpContext http, RequestDelegate next)
    {
        if (http.GetEndpoint()?.Metadata.GetMetadata<PhotoUploadEndpoint>() is null)
        {
            await next(http);
            return;
        }
        var limit = http.RequestServices.GetRequiredService<IOptions<PhotoOptions>>().Value.MaxRequestBytes;
        if (http.Request.ContentLength > limit)
        {
            throw TooLarge(limit);
        }
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit;
        }
        // Whatever the server: a chunked body without a length stops at the limit too.
        http.Request.Body = new LimitedStream(http.Request.Body, limit);
        await next(http);
    }

    private static BadHttpRequestException TooLarge(long limit) =>
        new($"An upload may be at most {limit:N0} bytes (all its parts together); nothing was stored.", StatusCodes.Status413PayloadTooLarge);

    /// <summary>The multipart form, or 415 when the body is something else, 400 when it is not a well-formed multipart body.</summary>
    public static async Task<IFormCollection> ReadFormAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) || !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            throw new BadHttpRequestException("Photos are sent as multipart/form-data: one or more 'file' parts.", StatusCodes.Status415UnsupportedMediaType);
        }
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(new FormOptions { ValueCountLimit = MaxParts }, cancellationToken);
        }
        catch (InvalidDataException exception) when (exception.Message.Contains("count limit", StringComparison.OrdinalIgnoreCase))
        {
            throw new ValidationException([new ValidationFailure(FilePart,
                $"An upload has at most {MaxParts} parts (the order, the stage and up to {Photo.MaxPerOrder} files); nothing was stored.")]);
        }
        catch (Exception exception) when (exception is InvalidDataException or InvalidOperationException or IOException && exception is not BadHttpRequestException)
        {
            throw new BadHttpRequestException("The multipart/form-data body is malformed: " + exception.Message, StatusCodes.Status400BadRequest);
        }
        // The form's text goes where a JSON body's does: the same rule against NUL (see NulCharacters).
        NulCharacters.RefuseIn(form);
        return form;
    }

    /// <summary>The 'file' parts, each processed (at most <see cref="Photo.MaxPerOrder"/> in one request).</summary>
    public static async Task<IReadOnlyList<ProcessedPhoto>> ProcessFilesAsync(
        IFormCollection form, PhotoProcessor processor, bool required, CancellationToken cancellationToken)
    {
        var files = form.Files.GetFiles(FilePart);
        if (files.Count == 0 && required)
        {
            throw new ValidationException([new ValidationFailure(FilePart, "Send at least one 'file' part with a JPEG, PNG, WebP or HEIC image.")]);
        }
        if (files.Count > Photo.MaxPerOrder)
        {
            throw new ValidationException([new ValidationFailure(FilePart, $"At most {Photo.MaxPerOrder} files in one request; {files.Count} were sent.")]);
        }
        var processed = new List<ProcessedPhoto>(files.Count);
        for (var i = 0; i < files.Count; i++)
        {
            using var bytes = new MemoryStream((int)files[i].Length);
            await files[i].CopyToAsync(bytes, cancellationToken);
            var field = files.Count == 1 ? FilePart : $"{FilePart}[{i}]";
            if (bytes.Length == 0)
            {
                throw new ValidationException([new ValidationFailure(field, "The file is empty.")]);
            }
            processed.Add(await processor.ProcessAsync(bytes.ToArray(), field, cancellationToken));
        }
        return processed;
    }

    /// <summary>The 'stage' field, as its wire name.</summary>
    public static PhotoStage Stage(IFormCollection form, PhotoStage? otherwise = null)
    {
        var text = form["stage"].ToString();
        if (text.Length == 0 && otherwise is { } fallback)
        {
            return fallback;
        }
        return WireName.TryParse<PhotoStage>(text, out var stage)
            ? stage
            : throw new ValidationException([new ValidationFailure("stage", $"The stage is one of: {string.Join(", ", WireName.All<PhotoStage>())}.")]);
    }

    /// <summary>Counts what is read and stops at the limit with a 413.</summary>
    private sealed class LimitedStream(Stream inner, long limit) : Stream
    {
        private long _read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private int Count(int read)
        {
            _read += read;
            return _read > limit ? throw TooLarge(limit) : read;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
