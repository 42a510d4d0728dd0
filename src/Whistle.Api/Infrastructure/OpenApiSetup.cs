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
                Contact = new OpenApiContact { Name = "Whistle maintainers: see the repository's README for the issue tracker" },
            };
            DescribeServiceEndpoints(document);
            Features.Webhooks.WebhookDocument.Describe(document);
            Features.Open311.Open311Document.Describe(document);
            RequireWhatRequestsRequire(document);
            // An enum's schema is shared by every property of its type; where one may be null, the property says
            // so (oneOf with null). Listing null in the enum as well made a null match both branches of that oneOf.
            foreach (var schema in document.Components?.Schemas?.Values.OfType<OpenApiSchema>() ?? [])
            {
                if (schema.Enum is { } values && values.Any(v => v is null || v.GetValueKind() == System.Text.Json.JsonValueKind.Null))
                {
                    schema.Enum = values.Where(v => v is not null && v.GetValueKind() != System.Text.Json.JsonValueKind.Null).ToList();
                }
            }
            DeclareSecurity(document);
            // Last: it types what the transformers above described.
            OpenApiForGenerators.Describe(document);
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
            DescribeServerFailures(operation, context.Document);
            DescribeNulRefusal(operation, context.Document);
            DescribeTextParameters(operation, context);
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            Features.Photos.PhotoDocument.Describe(operation, context);
            Features.Reference.ReferenceSpreadsheetEndpoints.Describe(operation, context);
            if (metadata.OfType<TableDownload>().FirstOrDefault() is { } download)
            {
                DescribeDownload(operation, download);
            }
            if (metadata.OfType<TableDownloads>().Any())
            {
                DescribeDownloadPaths(operation, context);
            }
            DescribeHeaders(operation, metadata.OfType<ResponseHeader>());
            foreach (var header in metadata.OfType<RequestHeader>())
            {
                (operation.Parameters ??= []).Add(new OpenApiParameter
                {
                    Name = header.Name,
                    In = ParameterLocation.Header,
                    Description = header.Description,
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                });
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
    private static void DescribeAccessFailures(OpenApiOperation operation, OpenApiDocument? document) =>
        DescribeAccessFailures(operation.Responses ??= [], document);

    private static void DescribeAccessFailures(OpenApiResponses responses, OpenApiDocument? document)
    {
        responses.TryAdd("403", Problem("The credential's role may not use this endpoint, or a token names no role or scope this service knows.", document));
        responses.TryAdd("401", Problem("No credential, or an unknown or revoked API key, or an invalid token (WWW-Authenticate says how to authenticate).", document));
        responses.TryAdd("429", Problem("Over the credential's rate limit: retry after the seconds in Retry-After.", document));
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
                success.Headers["Cache-Control"] = new OpenApiHeader
                {
                    Description = "no-store on a replay, and on a response that shows a secret once.",
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

    /// <summary>
    /// Request bodies bind every field as nullable, so that a missing or null one gets a 400 naming it
    /// rather than a binding failure; their schemas say what a client must send instead: a field without
    /// a default is required and never null (null is refused as if missing), one with a default may be left out.
    /// </summary>
    private static void RequireWhatRequestsRequire(OpenApiDocument document)
    {
        var schemas = document.Components?.Schemas ?? new Dictionary<string, IOpenApiSchema>();
        var requests = new HashSet<string>();
        void Collect(IOpenApiSchema? schema)
        {
            switch (schema)
            {
                case OpenApiSchemaReference { Reference.Id: { } id }:
                    if (requests.Add(id) && schemas.TryGetValue(id, out var target))
                    {
                        Collect(target);
                    }
                    break;
                case OpenApiSchema concrete:
                    foreach (var inner in (concrete.OneOf ?? []).Concat(concrete.AnyOf ?? []).Concat(concrete.Properties?.Values ?? []).Append(concrete.Items))
                    {
                        Collect(inner);
                    }
                    break;
            }
        }
        foreach (var operation in document.Paths.Values.SelectMany(p => p.Operations?.Values.AsEnumerable() ?? []))
        {
            foreach (var media in operation.RequestBody?.Content?.Values ?? [])
            {
                Collect(media.Schema);
            }
        }
        foreach (var id in requests)
        {
            if (schemas[id] is not OpenApiSchema { Properties: { } properties, Required: { } required })
            {
                continue;
            }
            foreach (var name in required)
            {
                switch (properties[name])
                {
                    case OpenApiSchema { OneOf: [OpenApiSchema { Type: JsonSchemaType.Null }, var only] }:
                        properties[name] = only;
                        break;
                    case OpenApiSchema { Type: { } type } concrete when type.HasFlag(JsonSchemaType.Null):
                        concrete.Type = type & ~JsonSchemaType.Null;
                        break;
                }
            }
        }
    }

    /// <summary>The 200 as a CSV file or an XLSX workbook (one, or either by format), an attachment never to be rendered.</summary>
    private static void DescribeDownload(OpenApiOperation operation, TableDownload download)
    {
        if (operation.Responses?.TryGetValue("200", out var found) != true || found is not OpenApiResponse ok)
        {
            return;
        }
        if (download.Format is not null)
        {
            // The format is the path's (summary.csv): a format parameter would only contradict it.
            operation.Parameters?.Remove(operation.Parameters.First(p => p.Name == "format"));
        }
        ok.Description = download.Description;
        ok.Content = new Dictionary<string, OpenApiMediaType>();
        if (download.Format is null or TableFormat.Csv)
        {
            ok.Content[Table.CsvType] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary", Description = "RFC 4180, UTF-8 with a byte order mark; text that a spreadsheet would take for a formula starts with an apostrophe." } };
        }
        if (download.Format is null or TableFormat.Xlsx)
        {
            ok.Content[Table.XlsxType] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" } };
        }
        ok.Headers ??= new Dictionary<string, IOpenApiHeader>();
        ok.Headers.TryAdd("Cache-Control", new OpenApiHeader
        {
            Description = "private, no-cache on a download.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        });
        ok.Headers["Content-Disposition"] = new OpenApiHeader
        {
            Description = "attachment, with a file name.",
            Required = true,
            Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        };
    }

    /// <summary>A JSON answer whose tables are their own operations: its format parameter is left to them.</summary>
    private static void DescribeDownloadPaths(OpenApiOperation operation, OpenApiOperationTransformerContext context)
    {
        if (operation.Parameters?.FirstOrDefault(p => p.Name == "format") is { } format)
        {
            operation.Parameters.Remove(format);
        }
        var path = "/" + context.Description.RelativePath?.TrimStart('/');
        operation.Description += $" The same answer as a table to download: GET {path}.csv or {path}.xlsx.";
    }

    /// <summary>
    /// Every operation can meet a fault of the service's own (500, nothing changed) or an unreachable
    /// database (503 with Retry-After); neither is ever the client's input.
    /// </summary>
    private static void DescribeServerFailures(OpenApiOperation operation, OpenApiDocument? document)
    {
        operation.Responses ??= [];
        operation.Responses.TryAdd("500", Problem("A fault on the service's side; nothing was changed.", document));
        operation.Responses.TryAdd("503", Problem("The database cannot be reached; retry after the seconds in Retry-After. Nothing was changed.", document));
    }

    /// <summary>An operation that takes any text (a parameter or a body) refuses a NUL in it with a 400 naming the field (<see cref="NulCharacters"/>).</summary>
    private static void DescribeNulRefusal(OpenApiOperation operation, OpenApiDocument? document)
    {
        if (operation.Parameters is not { Count: > 0 } && operation.RequestBody is null)
        {
            return;
        }
        operation.Responses ??= [];
        operation.Responses.TryAdd("400", new OpenApiResponse
        {
            Description = "A field is invalid; errors names it (text with a NUL character, U+0000, is refused everywhere).",
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference("HttpValidationProblemDetails", document) },
            },
        });
    }

    /// <summary>
    /// Parameters bound as text, so that a bad value gets a 400 that names it, are documented as the
    /// values they stand for (<see cref="DocumentedAsAttribute"/>).
    /// </summary>
    private static void DescribeTextParameters(OpenApiOperation operation, OpenApiOperationTransformerContext context)
    {
        foreach (var description in context.Description.ParameterDescriptions)
        {
            if (description.ParameterDescriptor is not Microsoft.AspNetCore.Mvc.Infrastructure.IParameterInfoParameterDescriptor { ParameterInfo: var info } ||
                info.GetCustomAttributes(typeof(DocumentedAsAttribute), false).FirstOrDefault() is not DocumentedAsAttribute documented)
            {
                continue;
            }
            var parameter = operation.Parameters?.OfType<OpenApiParameter>().FirstOrDefault(p => p.Name == description.Name);
            parameter?.Schema = documented.Schema();
        }
    }

    /// <summary>
    /// The headers a response carries: Location on every 201 and 202, Cache-Control on every problem
    /// (the exception handler forbids caching a failure) and on a POST's replay, WWW-Authenticate on 401,
    /// Retry-After on 429 and 503, and what endpoints declare with <see cref="ResponseHeaderExtensions.WithResponseHeader"/>.
    /// </summary>
    private static void DescribeHeaders(OpenApiOperation operation, IEnumerable<ResponseHeader> declared)
    {
        foreach (var (status, response) in operation.Responses ?? [])
        {
            if (response is not OpenApiResponse described)
            {
                continue;
            }
            void Add(string name, string description, bool required = false, JsonSchemaType type = JsonSchemaType.String)
            {
                described.Headers ??= new Dictionary<string, IOpenApiHeader>();
                described.Headers.TryAdd(name, new OpenApiHeader { Description = description, Required = required, Schema = new OpenApiSchema { Type = type } });
            }
            switch (status)
            {
                case "201" or "202":
                    Add("Location", "Where the new resource is read.", required: true);
                    break;
                case "401":
                    Add("WWW-Authenticate", "How to authenticate: an API key in X-Api-Key, or a bearer token.", required: true);
                    break;
                case "429" or "503":
                    Add("Retry-After", "Seconds to wait before retrying.", required: true, JsonSchemaType.Integer);
                    break;
            }
            if (status[0] is '4' or '5')
            {
                Add("Cache-Control", "A failure is never cached (no-cache, no-store).");
            }
            foreach (var header in declared.Where(h => h.Status.ToString(System.Globalization.CultureInfo.InvariantCulture) == status))
            {
                Add(header.Name, header.Description, header.Required);
            }
        }
    }

    /// <summary>
    /// What the service answers besides the API: probes, the Prometheus scrape and the dashboard page.
    /// (The dashboard's assets, Swagger UI and this document itself are left out: no client builds on them.)
    /// </summary>
    private static void DescribeServiceEndpoints(OpenApiDocument document)
    {
        document.Paths ??= [];
        OpenApiPathItem Get(string tag, string id, string summary, string description, OpenApiResponses responses, bool anonymous) => new()
        {
            Operations = new Dictionary<HttpMethod, OpenApiOperation>
            {
                [HttpMethod.Get] = new()
                {
                    OperationId = id,
                    Summary = summary,
                    Description = description,
                    Tags = new HashSet<OpenApiTagReference> { new(tag, document) },
                    Security = anonymous ? [] : null,
                    Responses = responses,
                },
            },
        };
        OpenApiResponse Text(string description, string mediaType = "text/plain") => new()
        {
            Description = description,
            Headers = new Dictionary<string, IOpenApiHeader>
            {
                ["Cache-Control"] = new OpenApiHeader { Description = "no-cache: always asked afresh.", Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
            },
            Content = new Dictionary<string, OpenApiMediaType> { [mediaType] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String } } },
        };
        document.Tags ??= new HashSet<OpenApiTag>();
        document.Tags.Add(new OpenApiTag { Name = "Service", Description = "Probes, metrics and the dashboard page." });
        document.Paths["/health/live"] = Get("Service", "Live", "Liveness probe",
            "Healthy while the process runs; asks nothing of the database. Public and never rate limited.",
            new() { ["200"] = Text("Healthy") }, anonymous: true);
        document.Paths["/health/ready"] = Get("Service", "Ready", "Readiness probe",
            "Healthy when the database answers and the statistics have read every order once (from start-up); 503 Unhealthy while the database cannot be reached or the statistics are still loading. Public and never rate limited.",
            new() { ["200"] = Text("Healthy"), ["503"] = Text("Unhealthy: the database cannot be reached, or the statistics are still loading.") }, anonymous: true);
        var metrics = new OpenApiResponses
        {
            ["200"] = Text("Prometheus text exposition: HTTP and runtime metrics, and this year's headline figures " +
                "(whistle_orders{figure}, whistle_rate{rate}, whistle_hours{milestone,quantile})."),
            ["403"] = Problem("Only dashboard, admin and district supervisor credentials read the metrics.", document),
        };
        DescribeAccessFailures(metrics, document);
        document.Paths["/metrics"] = Get("Service", "Metrics", "Prometheus metrics",
            "For a scraper with a dashboard, admin or district supervisor key (X-Api-Key, or Authorization: Bearer wk_…).", metrics, anonymous: false);
        // Its refusals carry what every operation's do (WWW-Authenticate on 401, Cache-Control on a failure).
        DescribeHeaders(document.Paths["/metrics"].Operations![HttpMethod.Get], []);
        document.Paths["/dashboard"] = Get("Service", "Dashboard", "The command-centre dashboard page",
            "An HTML page for a browser (its script and style under /dashboard/ are assets, not API); it reads the statistics " +
            "with the credential given as ?key=. Public: the page holds no data.",
            new() { ["200"] = Text("The page.", "text/html") }, anonymous: true);
        document.Paths["/results"] = Get("Service", "ResultsPage", "The published results page (实效清单)",
            "An HTML page for residents (its script and style under /results/ are assets, not API), drawn from GET /api/v1/public/results. " +
            "Public: no credential.",
            new() { ["200"] = Text("The page.", "text/html") }, anonymous: true);
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
