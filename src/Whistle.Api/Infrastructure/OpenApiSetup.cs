using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Whistle.Api.Features.Orders;
using Whistle.Api.Infrastructure.Idempotency;

namespace Whistle.Api.Infrastructure;

/// <summary>The OpenAPI document's frame and examples; operations describe themselves where they are mapped.</summary>
public static class OpenApiSetup
{
    public static void Configure(OpenApiOptions options)
    {
        // Feature types nest (FileOrder.Request, WhistleOrder.Body): name schemas after both, so none collide.
        options.CreateSchemaReferenceId = type => type.Type.DeclaringType is { } feature && !type.Type.IsGenericType
            ? feature.Name + type.Type.Name
            : OpenApiOptions.CreateDefaultSchemaReferenceId(type);
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "Whistle",
                Version = "v1",
                Description =
                    "Community whistle work orders (村居吹哨、未诉先办). A grid worker files an order; the community whistles it to " +
                    "the responsible department; the department acknowledges or returns it, then resolves it; the community " +
                    "evaluates the result, and an unsatisfied evaluation reopens it. Every order carries allowedActions, " +
                    "computed from the lifecycle (GET /api/v1/workflow). Errors are RFC 9457 problem details: 400 with " +
                    "per-field errors, 404, 409 with the order's state and allowedActions, 412 for a stale If-Match. Every POST " +
                    "takes an optional Idempotency-Key, which makes it safe to retry: see that header.",
                License = new OpenApiLicense { Name = "MIT" },
            };
            // The document must not depend on the host it was fetched from: it is committed and compared.
            document.Servers = [];
            DeclareSecurity(document);
            DescribeOrderActionProblems(document);
            return Task.CompletedTask;
        });

        options.AddOperationTransformer((operation, context, _) =>
        {
            if (context.Description.ActionDescriptor.EndpointMetadata.OfType<IAllowAnonymous>().Any())
            {
                // Public: no credential needed, whatever the document's default says.
                operation.Security = [];
            }
            else
            {
                DescribeAccessFailures(operation, context.Document);
            }
            if (HttpMethods.IsPost(context.Description.HttpMethod ?? ""))
            {
                DescribeIdempotency(operation, context.Document);
            }
            return Task.CompletedTask;
        });

        options.AddSchemaTransformer((schema, context, _) =>
        {
            var type = context.JsonTypeInfo.Type;
            if (Examples.TryGetValue(type, out var example))
            {
                schema.Examples = [JsonNode.Parse(example)!];
            }
            return Task.CompletedTask;
        });
    }

    private const string ApiKeyScheme = "ApiKey";
    private const string BearerScheme = "Bearer";

    /// <summary>Two ways in, either one on every endpoint that is not public: an API key, or a JWT from the district's identity provider.</summary>
    private static void DeclareSecurity(OpenApiDocument document)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[ApiKeyScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = Features.Access.ApiKeys.Header,
            Description = "An API key (wk_ and 43 characters), bound to a role and a scope; created by an admin " +
                "(POST /api/v1/credentials) or on the server (credentials create). Also accepted as Authorization: Bearer wk_….",
        };
        document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "A JWT from the identity provider configured under Whistle:Jwt (issuer, audience, HS256 secrets or RS256/ES256 " +
                "public keys). Claims: sub, name (recorded in history), role, and the scope: department, community, street, grid (repeatable). " +
                "An invalid or expired token is 401; a valid one without a known role is 403.",
        };
        document.Security =
        [
            new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKeyScheme, document)] = [] },
            new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] },
        ];
    }

    /// <summary>Any call may be unauthenticated (401) or over its credential's rate limit (429).</summary>
    private static void DescribeAccessFailures(OpenApiOperation operation, OpenApiDocument? document)
    {
        operation.Responses ??= [];
        operation.Responses.TryAdd("401", Problem("No credential, or an unknown or revoked API key, or an invalid token (WWW-Authenticate says how to authenticate).", document));
        var tooMany = Problem("Over the credential's rate limit: retry after the seconds in Retry-After.", document);
        tooMany.Headers = new Dictionary<string, IOpenApiHeader>
        {
            ["Retry-After"] = new OpenApiHeader { Description = "Seconds to wait before retrying.", Schema = new OpenApiSchema { Type = JsonSchemaType.Integer } },
        };
        operation.Responses.TryAdd("429", tooMany);
    }

    /// <summary>Every POST takes an Idempotency-Key (<see cref="IdempotencyMiddleware"/> honours it on all of them).</summary>
    private static void DescribeIdempotency(OpenApiOperation operation, OpenApiDocument? document)
    {
        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = IdempotencyMiddleware.Header,
            In = ParameterLocation.Header,
            Description =
                "Optional; makes the request safe to retry (a UUID is a good choice, 1 to 255 visible ASCII characters). " +
                "Sent again with the same method, path and body by the same caller within 24 hours, the first successful " +
                "response (status, body, Location, ETag) is replayed without acting again, marked Idempotent-Replayed: true. " +
                "The same key with another request is 422; while the first is still running, 409. A request that fails " +
                "(4xx or 5xx) stores nothing, so the key can be used again for the corrected request.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = IdempotencyMiddleware.MaxKeyLength, Pattern = "^[!-~]+$" },
        });
        operation.Responses ??= [];
        foreach (var (status, response) in operation.Responses)
        {
            if (status.StartsWith('2') && response is OpenApiResponse success)
            {
                success.Headers ??= new Dictionary<string, IOpenApiHeader>();
                success.Headers[IdempotencyMiddleware.ReplayedHeader] = new OpenApiHeader
                {
                    Description = "'true' when this is the stored response of an earlier request with the same Idempotency-Key.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                };
            }
        }
        if (operation.Responses.TryGetValue("409", out var conflict) && conflict is OpenApiResponse documented)
        {
            documented.Description += "; also when a request with the same Idempotency-Key is still in progress";
        }
        else
        {
            operation.Responses["409"] = Problem("Conflict: a request with the same Idempotency-Key is still in progress.", document);
        }
        operation.Responses["422"] = Problem("The Idempotency-Key was first used with a different request.", document);
    }

    private const string ActionNotPermittedProblem = "ActionNotPermittedProblem";
    private const string StaleOrderProblem = "StaleOrderProblem";

    /// <summary>
    /// An order action's 409 and 412 carry more than a problem's standard members (see
    /// <see cref="ProblemDetailsExceptionHandler"/>): declared, so a generated client reads them as typed fields.
    /// </summary>
    private static void DescribeOrderActionProblems(OpenApiDocument document)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[ActionNotPermittedProblem] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "The action is not permitted in the order's state (or another request with the same Idempotency-Key is still running: then without state and allowedActions).",
            AllOf = [new OpenApiSchemaReference("ProblemDetails", document)],
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["state"] = new OpenApiSchemaReference("OrderState", document),
                ["allowedActions"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.Array,
                    Items = new OpenApiSchemaReference("OrderAction", document),
                    Description = "What the state permits, as far as the caller may take it.",
                },
            },
        };
        document.Components.Schemas[StaleOrderProblem] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "If-Match named a version the order no longer has.",
            AllOf = [new OpenApiSchemaReference("ProblemDetails", document)],
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["currentVersion"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
                ["currentETag"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The ETag to retry with, once the order is read again." },
            },
        };
        var actions = document.Paths.Where(p => p.Key.StartsWith("/api/v1/orders/{id}/", StringComparison.Ordinal))
            .SelectMany(p => p.Value.Operations ?? [])
            .Where(o => o.Value.Parameters?.Any(parameter => parameter.Name == "If-Match") == true);
        foreach (var (_, operation) in actions)
        {
            foreach (var (status, schema) in new[] { ("409", ActionNotPermittedProblem), ("412", StaleOrderProblem) })
            {
                if (operation.Responses?.TryGetValue(status, out var response) == true
                    && response.Content?.TryGetValue("application/problem+json", out var media) == true && media is OpenApiMediaType typed)
                {
                    typed.Schema = new OpenApiSchemaReference(schema, document);
                }
            }
        }
    }

    private static OpenApiResponse Problem(string description, OpenApiDocument? document) => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType>
        {
            ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference("ProblemDetails", document) },
        },
    };

    private static readonly Dictionary<Type, string> Examples = new()
    {
        [typeof(FileOrder.Request)] = """
            {"title":"Overflowing bins at gate 3","description":"The bins by gate 3 have not been emptied for three days.",
             "categoryCode":"garbage","gridCode":"ST01-C01-G01",
             "location":{"latitude":40.8424,"longitude":111.7492,"address":"Gate 3, Building 12"},"priority":"normal"}
            """,
        [typeof(WhistleOrder.Body)] = """{"departmentCode":"sanitation"}""",
        [typeof(HandleOrderLocally.Body)] = """{"result":"The grid team and building leaders cleared it on the spot."}""",
        [typeof(AcknowledgeOrder.Body)] = """{"note":"Crew 2 will come this afternoon."}""",
        [typeof(ReturnOrder.Body)] = """{"reason":"Private property: the estate's management company is responsible."}""",
        [typeof(ResolveOrder.Body)] = """{"result":"Bins emptied; collection moved to twice a day."}""",
        [typeof(EvaluateOrder.Body)] = """{"rating":"unsatisfied","comment":"Emptied once, overflowing again the next day."}""",
        [typeof(CancelOrder.Body)] = """{"reason":"duplicate","comment":"Same as WS-0000041."}""",
    };
}
