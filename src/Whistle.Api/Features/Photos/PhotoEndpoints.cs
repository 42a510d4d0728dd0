using Microsoft.Extensions.Options;

namespace Whistle.Api.Features.Photos;

/// <summary>Photos as evidence: the services, the upload limit and the endpoints under orders and <c>/api/v1/photos</c>.</summary>
public static class PhotoEndpoints
{
    public static IServiceCollection AddWhistlePhotos(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PhotoOptions>()
            .Bind(configuration.GetSection(PhotoOptions.Section))
            .Validate(o => o.IsValid(),
                "Whistle:Photos: Store is database or s3 (s3 needs S3:ServiceUrl and S3:Bucket); MaxConcurrentDecodes 1 to 256; " +
                "MaxRequestBytes and MaxPixels positive; MaxEdge 64 to 8192; ThumbnailEdge 32 to 1024; SweepAfter positive.")
            .ValidateOnStart();
        services.AddSingleton<PhotoProcessor>();
        services.AddSingleton<IPhotoStore>(provider => provider.GetRequiredService<IOptions<PhotoOptions>>().Value.Store == "s3"
            ? ActivatorUtilities.CreateInstance<S3PhotoStore>(provider)
            : ActivatorUtilities.CreateInstance<DatabasePhotoStore>(provider));
        services.AddSingleton<PhotoSweep>();
        services.AddHostedService(provider => provider.GetRequiredService<PhotoSweep>());
        return services;
    }

    /// <summary>Maps the upload under the order group and <c>/api/v1/photos</c>.</summary>
    public static void MapPhotos(this IEndpointRouteBuilder app, RouteGroupBuilder orders)
    {
        AddPhotos.Map(orders);
        FileOrderWithPhotos.Map(orders);
        var photos = app.MapGroup("/api/v1/photos").WithTags("Photos");
        GetPhoto.Map(photos);
        WithdrawPhoto.Map(photos);
    }
}
