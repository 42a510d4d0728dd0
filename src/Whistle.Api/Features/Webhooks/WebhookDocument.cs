using System.Text.Json.Nodes;
using Microsoft.OpenApi;

namespace Whistle.Api.Features.Webhooks;

/// <summary>
/// What a subscriber receives, in the OpenAPI document's <c>webhooks</c>: one signed POST per event, whose
/// body is <see cref="WebhookPayload"/>, so that a receiver can be generated and checked like a client.
/// </summary>
public static class WebhookDocument
{
    public static void Describe(OpenApiDocument document)
    {
        OpenApiParameter Signed(string name, string description) => new()
        {
            Name = name,
            In = ParameterLocation.Header,
            Required = true,
            Description = description,
            Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        };
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas["WebhookPayload"] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "One event: its type, when the change was made, and the order after it as the subscriber's role would GET it.",
            Required = new HashSet<string> { "type", "timestamp", "data" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["type"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.String,
                    // Not an enum: a subscription to "*" also receives types added later, which a receiver must be able to read and ignore.
                    Description = "The event: " + string.Join(", ", WebhookEvents.Names) + ". A subscription to \"*\" also receives types added later: ignore those you do not know.",
                    Examples = [JsonValue.Create(WebhookEvents.Whistled)],
                },
                ["timestamp"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "date-time", Description = "When the change was made." },
                ["data"] = new OpenApiSchemaReference("OrderResponse", document),
            },
        };
        document.Components.Schemas["ReferenceWebhookPayload"] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "One reference.changed event: a row of the reference data's change log, as GET /api/v1/reference/changes shows it.",
            Required = new HashSet<string> { "type", "timestamp", "data" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["type"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.String,
                    Enum = [JsonValue.Create(WebhookEvents.ReferenceChanged)],
                    Description = "Always reference.changed.",
                },
                ["timestamp"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "date-time", Description = "When the change was made." },
                ["data"] = new OpenApiSchemaReference("ReferenceChangesEntry", document),
            },
        };
        const string Signing = "Signed per Standard Webhooks: verify webhook-signature over \"{webhook-id}.{webhook-timestamp}.{body}\" with the " +
            "subscription's secret before trusting the body. Answer 2xx within the timeout; anything else is retried with backoff " +
            "for 24 hours. The same webhook-id may arrive twice (after a crash or a redeliver): treat it as one.";
        OpenApiPathItem Webhook(string operationId, string summary, string description, string payload) => new()
        {
            Operations = new Dictionary<HttpMethod, OpenApiOperation>
            {
                [HttpMethod.Post] = new()
                {
                    OperationId = operationId,
                    Summary = summary,
                    Description = description,
                    Parameters =
                    [
                        Signed("webhook-id", "The event's id, the same on every retry."),
                        Signed("webhook-timestamp", "Seconds since 1970 when this attempt was signed."),
                        Signed("webhook-signature", "v1, and the base64 HMAC-SHA256 of id.timestamp.body with the secret's key."),
                    ],
                    RequestBody = new OpenApiRequestBody
                    {
                        Required = true,
                        Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = new OpenApiSchemaReference(payload, document) } },
                    },
                    Responses = new OpenApiResponses
                    {
                        ["2XX"] = new OpenApiResponse { Description = "Received; not sent again." },
                        ["default"] = new OpenApiResponse { Description = "Not received: retried later." },
                    },
                },
            },
        };
        document.Webhooks ??= new Dictionary<string, IOpenApiPathItem>();
        document.Webhooks["orderEvent"] = Webhook("OrderEvent", "An order event, POSTed to a subscription's url", Signing, "WebhookPayload");
        document.Webhooks["referenceChanged"] = Webhook("ReferenceChanged", "A change to the reference data, POSTed to a subscription's url",
            "Each row of the reference data's change log (an edit, a retirement or reinstatement, a move, each step of a merge or split, " +
            "a catalogue or calendar change) raises one, queued in the change's own transaction, to every subscription (any role that may " +
            "subscribe: the lists are public to every role) that names reference.changed or *, in the order the changes were made. " + Signing,
            "ReferenceWebhookPayload");
    }
}
