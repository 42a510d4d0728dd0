using System.Net.Http.Headers;

using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests.Photos;

public sealed record PhotoOrder(Guid Id, string Code, string State, int Version, string CategoryCode, Photo[] Photos);

public sealed record Photo(
    Guid Id, string Stage, string ContentType, int Width, int Height, long Bytes, DateTimeOffset? TakenAt, PhotoPlace? Location,
    bool FarFromOrder, string? Url, string? ThumbnailUrl, string AddedBy, DateTimeOffset AddedAt, bool Withdrawn, Guid? MergedFromOrderId = null);

public sealed record PhotoPlace(double Latitude, double Longitude);

public sealed record AddedPhotos(Photo[] Photos, PhotoOrder Order);

public static class PhotoForms
{
    /// <summary>A multipart body: the order's JSON in 'order' (when filing), a 'stage', and 'file' parts.</summary>
    public static MultipartFormDataContent Form(object? order = null, string? stage = null, params byte[][] files)
    {
        var form = new MultipartFormDataContent("whistle-test-boundary");
        if (order is not null)
        {
            form.Add(new StringContent(System.Text.Json.JsonSerializer.Serialize(order), System.Text.Encoding.UTF8, "application/json"), "order");
        }
        if (stage is not null)
        {
            form.Add(new StringContent(stage), "stage");
        }
        for (var i = 0; i < files.Length; i++)
        {
            var part = new ByteArrayContent(files[i]);
            part.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            form.Add(part, "file", $"photo{i}.jpg");
        }
        return form;
    }

    public static Task<HttpResponseMessage> Upload(this HttpClient client, string path, MultipartFormDataContent form, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = form };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }
        return client.SendAsync(request);
    }
}
