using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Whistle.Api.Infrastructure;

/// <summary>
/// What client generators need beyond an honest document: each enum typed, every problem member named,
/// every status the service sends listed, open-ended objects open. NSwag, openapi-typescript, @hey-api and
/// Kiota all generate working clients from the result (the client tests generate and run them).
/// </summary>
public static class OpenApiForGenerators
{
    private const string Problem = "ProblemDetails";
    private const string ValidationProblem = "HttpValidationProblemDetails";
    private const string ProblemJson = "application/problem+json";

    public static void Describe(OpenApiDocument document)
    {
        // Relative: Swagger UI and generated clients call the host they were loaded from (the path is the same everywhere).
        document.Servers = [new OpenApiServer { Url = "/", Description = "The host this document was read from; a district's deployment serves the same paths." }];
        var schemas = (document.Components ??= new OpenApiComponents()).Schemas ??= new Dictionary<string, IOpenApiSchema>();
        foreach (var schema in schemas.Values.OfType<OpenApiSchema>())
        {
            // Without a type, NSwag makes an enum of integers and sends the rating as 1.
            if (schema is { Enum.Count: > 0, Type: null } && schema.Enum.All(v => v?.GetValueKind() == System.Text.Json.JsonValueKind.String))
            {
                schema.Type = JsonSchemaType.String;
            }
        }
        OpenObjects(schemas);
        DescribeProblems(document, schemas);
        foreach (var (path, item) in document.Paths)
        {
            foreach (var (_, operation) in item.Operations ?? [])
            {
                DescribeBodyRefusals(operation, document);
                TypeActionProblems(path, operation, document);
            }
        }
    }

    /// <summary>
    /// Objects whose keys are open (history details, a reference change's before and after) say so: left
    /// without properties or additionalProperties, openapi-typescript types them as objects with no keys at all.
    /// </summary>
    private static void OpenObjects(IDictionary<string, IOpenApiSchema> schemas)
    {
        foreach (var schema in schemas.Values.OfType<OpenApiSchema>().SelectMany(s => s.Properties?.Values ?? []).OfType<OpenApiSchema>())
        {
            if (schema.Type is { } type && type.HasFlag(JsonSchemaType.Object) && schema.Properties is not { Count: > 0 } && schema.AdditionalProperties is null)
            {
                schema.AdditionalProperties = new OpenApiSchema { Description = "Any JSON value." };
            }
        }
    }

    /// <summary>
    /// One problem schema with every member the service sends in any problem (RFC 9457's, traceId, the
    /// field errors and each action's extensions, all optional), and one schema per answer that carries
    /// more, on the operations that send it. The members are listed rather than left open so that a
    /// typed client reads them as fields.
    /// </summary>
    private static void DescribeProblems(OpenApiDocument document, IDictionary<string, IOpenApiSchema> schemas)
    {
        var members = Members(document);
        schemas[Problem] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "An RFC 9457 problem: every answer of 400 and above. Besides type, title, status and detail, every problem carries " +
                "traceId; the other members come with the failures named in their descriptions (the specific problem schemas type them " +
                "where an operation sends them).",
            Properties = members,
        };
        schemas[ValidationProblem] = Specific("A request with invalid fields: errors names each one.", members, "errors");
        schemas[ActionNotPermitted] = Specific(
            "The action is not permitted in the order's state (or another request with the same Idempotency-Key is still running: then without state and allowedActions).",
            members, "state", "allowedActions");
        schemas[PartActionNotPermitted] = Specific(
            "The action is not permitted in the order's state (state, allowedActions) or in the department's part's (partState, allowedPartActions).",
            members, "state", "allowedActions", "partState", "allowedPartActions");
        schemas[StaleOrder] = Specific("If-Match named a version the order no longer has.", members, "currentVersion", "currentETag");
        schemas[StaleEntry] = Specific("If-Match named a version the entry no longer has.", members, "currentVersion", "currentETag");
        schemas[DepartmentInUse] = Specific(
            "The department still holds open orders or routes (or is retired already: then without them).", members, "openOrders", "categories", "catalogueEntries");
    }

    private const string ActionNotPermitted = "ActionNotPermittedProblem";
    private const string PartActionNotPermitted = "PartActionNotPermittedProblem";
    private const string StaleOrder = "StaleOrderProblem";
    private const string StaleEntry = "StaleEntryProblem";
    private const string DepartmentInUse = "DepartmentInUseProblem";

    private static readonly string[] Standard = ["type", "title", "status", "detail", "instance", "traceId"];

    private static Dictionary<string, IOpenApiSchema> Members(OpenApiDocument document)
    {
        static OpenApiSchema Text(string description) => new() { Type = JsonSchemaType.String | JsonSchemaType.Null, Description = description };
        static OpenApiSchema Texts(string description) => new() { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String }, Description = description };
        return new()
        {
            ["type"] = Text("A URI naming the kind of problem."),
            ["title"] = Text("The kind of problem, in words."),
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer | JsonSchemaType.Null, Format = "int32", Description = "The HTTP status." },
            ["detail"] = Text("This occurrence, in words."),
            ["instance"] = Text("The request's path, when given."),
            ["traceId"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The request's trace: quote it when reporting a fault (the service's logs carry it)." },
            ["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
                Description = "On a 400: each invalid field (named as in the request; a header by its name) with its messages.",
            },
            ["state"] = new OpenApiSchemaReference("OrderState", document),
            ["allowedActions"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Array,
                Items = new OpenApiSchemaReference("OrderAction", document),
                Description = "On a 409 of an order action: what the order's state permits, as far as the caller may take it.",
            },
            ["partState"] = new OpenApiSchemaReference("PartState", document),
            ["allowedPartActions"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Array,
                Items = new OpenApiSchemaReference("PartAction", document),
                Description = "On a 409 of a part action: what the department's part permits.",
            },
            ["currentVersion"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Description = "On a 412: the version the order or entry has now." },
            ["currentETag"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "On a 412: the ETag to retry with, once the order or entry is read again." },
            ["openOrders"] = Texts("On a 409 of retiring a department: the codes of its open orders."),
            ["categories"] = Texts("On a 409 of retiring a department: the categories routed to it."),
            ["catalogueEntries"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Array,
                Items = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
                Description = "On a 409 of retiring a department: the duty catalogue entries that name it.",
            },
        };
    }

    /// <summary>The standard members and these, which this answer carries.</summary>
    private static OpenApiSchema Specific(string description, Dictionary<string, IOpenApiSchema> members, params string[] names) => new()
    {
        Type = JsonSchemaType.Object,
        Description = description,
        Properties = Standard.Concat(names).ToDictionary(name => name, name => members[name]),
    };

    /// <summary>The 409s and 412s of actions on orders, parts and reference entries, as their specific problems.</summary>
    private static void TypeActionProblems(string path, OpenApiOperation operation, OpenApiDocument document)
    {
        var guarded = operation.Parameters?.Any(p => p.Name == "If-Match") == true;
        var (conflict, stale) = path switch
        {
            _ when path.StartsWith("/api/v1/orders/{id}/parts/", StringComparison.Ordinal) => (PartActionNotPermitted, StaleOrder),
            _ when path.StartsWith("/api/v1/orders/{id}/", StringComparison.Ordinal) && guarded => (ActionNotPermitted, StaleOrder),
            "/api/v1/departments/{code}/retire" => (DepartmentInUse, StaleEntry),
            _ when guarded => (null, StaleEntry),
            _ => ((string?)null, (string?)null),
        };
        foreach (var (status, schema) in new[] { ("409", conflict), ("412", stale) })
        {
            if (schema is not null && operation.Responses?.TryGetValue(status, out var response) == true
                && response.Content?.TryGetValue(ProblemJson, out var media) == true && media is OpenApiMediaType typed)
            {
                typed.Schema = new OpenApiSchemaReference(schema, document);
            }
        }
    }

    /// <summary>
    /// A body the service cannot take: over the size limit (413, before it is read past the limit) or of
    /// a type the operation does not read (415, for a JSON operation any Content-Type but JSON).
    /// </summary>
    private static void DescribeBodyRefusals(OpenApiOperation operation, OpenApiDocument document)
    {
        if (operation.RequestBody?.Content is not { Count: > 0 } content)
        {
            return;
        }
        operation.Responses ??= [];
        operation.Responses.TryAdd("413", Refusal("The body is larger than the service takes (about 30 MB for JSON; an upload's limit is in its description); nothing was read past the limit or changed.", document));
        operation.Responses.TryAdd("415", Refusal(
            $"The Content-Type is not one this operation reads ({string.Join(", ", content.Keys)}), or its charset is unknown; nothing was changed.", document));
    }

    private static OpenApiResponse Refusal(string description, OpenApiDocument document) => new()
    {
        Description = description,
        Headers = new Dictionary<string, IOpenApiHeader>
        {
            ["Cache-Control"] = new OpenApiHeader { Description = "A failure is never cached (no-cache, no-store).", Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
        },
        Content = new Dictionary<string, OpenApiMediaType> { [ProblemJson] = new() { Schema = new OpenApiSchemaReference(Problem, document) } },
    };
}
