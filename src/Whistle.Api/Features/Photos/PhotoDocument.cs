using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Whistle.Api.Features.Photos;

/// <summary>What the OpenAPI document says of the multipart bodies and the image responses, which no bound type describes.</summary>
public static class PhotoDocument
{
    public static void Describe(OpenApiOperation operation, OpenApiOperationTransformerContext context)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        if (metadata.OfType<MultipartPhotos>().Any())
        {
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Description = "One or more 'file' parts and the 'stage' they document.",
                Content = new Dictionary<string, OpenApiMediaType> { ["multipart/form-data"] = Form(context.Document, withOrder: false) },
            };
        }
        if (metadata.OfType<MultipartFilingOnly>().Any())
        {
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Description = "The order's JSON in the part 'order' (as for a JSON filing), the photos in 'file' parts (discovery photos; none is fine).",
                Content = new Dictionary<string, OpenApiMediaType> { ["multipart/form-data"] = Form(context.Document, withOrder: true) },
            };
        }
        if (metadata.OfType<MultipartFiling>().Any() && operation.RequestBody is OpenApiRequestBody filing)
        {
            filing.Description = "The order as JSON; or, to file it with its photos in one request (随手拍), multipart/form-data " +
                "with the order's JSON in the part 'order' and the photos in 'file' parts (discovery photos), as POST /api/v1/orders/with-photos takes it.";
            filing.Content ??= new Dictionary<string, OpenApiMediaType>();
            filing.Content["multipart/form-data"] = Form(context.Document, withOrder: true);
        }
        if (metadata.OfType<PhotoBytes>().Any())
        {
            operation.Responses ??= [];
            foreach (var status in new[] { "200", "206" })
            {
                if (!operation.Responses.TryGetValue(status, out var found) || found is not OpenApiResponse response)
                {
                    response = new OpenApiResponse();
                    operation.Responses[status] = response;
                }
                response.Description = status == "200" ? "The image." : "The part of the image the Range asked for.";
                response.Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["image/jpeg"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" } },
                    ["image/png"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" } },
                };
            }
            operation.Responses["304"] = new OpenApiResponse { Description = "If-None-Match holds the photo's ETag: the copy held is current." };
            if (operation.Responses.TryGetValue("416", out var outside) && outside is OpenApiResponse refused)
            {
                refused.Description = "The Range lies outside the image: a problem, with Content-Range bytes */ and the length.";
            }
        }
    }

    private static OpenApiMediaType Form(OpenApiDocument? document, bool withOrder)
    {
        var properties = new Dictionary<string, IOpenApiSchema>
        {
            ["file"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Array,
                Description = "A JPEG, PNG, WebP or HEIC image each (judged by its bytes); at most 10 per order.",
                Items = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" },
            },
        };
        if (withOrder)
        {
            properties["order"] = new OpenApiSchemaReference("FileOrderRequest", document);
        }
        else
        {
            properties["stage"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Description = "Which part of the loop the photos document.",
                Enum = [.. WireName.All<PhotoStage>().Select(s => (System.Text.Json.Nodes.JsonNode)System.Text.Json.Nodes.JsonValue.Create(s)!)],
            };
        }
        return new OpenApiMediaType
        {
            // The order part is JSON text, as generated clients send an object part.
            Encoding = withOrder ? new Dictionary<string, OpenApiEncoding> { ["order"] = new() { ContentType = "application/json" } } : null,
            Schema = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Required = new HashSet<string>(withOrder ? ["order"] : ["file", "stage"]),
                Properties = properties,
            },
        };
    }
}
