
using Microsoft.OpenApi;

namespace Whistle.Api.Features.Open311;

/// <summary>
/// The Open311 paths in the OpenAPI document, described by hand: each resource as .xml and .json, the XML as the text it
/// is, the JSON with its schema, every failure as Open311's error list (never a problem), and the status table.
/// </summary>
public static class Open311Document
{
    private const string Tag = "Open311";

    public static void Describe(OpenApiDocument document)
    {
        document.Paths ??= [];
        document.Tags ??= new HashSet<OpenApiTag>();
        document.Tags.Add(new OpenApiTag
        {
            Name = Tag,
            Description = "Open311 GeoReport v2 with mySociety's servicerequestupdates, for outside civic reporting apps (FixMyStreet). " +
                "Each resource answers as .xml (the spec's required form) and .json. Requests and updates take a reporting-app " +
                "api_key (a query or form field, or X-Api-Key); without one 403. Errors are always Open311's <errors> list (a JSON " +
                "array) with 400, 403 or 404 (429 and 503 as for any client). Statuses: " + StatusTable() + ". See docs/open311.md.",
        });
        var schemas = (document.Components ??= new OpenApiComponents()).Schemas ??= new Dictionary<string, IOpenApiSchema>();
        foreach (var (name, schema) in Schemas())
        {
            schemas[name] = schema;
        }
        foreach (var format in Open311Endpoints.Formats)
        {
            var root = Open311Endpoints.Root;
            document.Paths[$"{root}/discovery.{format}"] = Item(HttpMethod.Get, Operation(format, "Discovery", "Discovery",
                "The endpoint, its formats and whom to ask for a key. Public.", "Open311Discovery", isArray: false, anonymous: true, [], document));
            document.Paths[$"{root}/services.{format}"] = Item(HttpMethod.Get, Operation(format, "Services", "The services (the district's categories)",
                "Every category: service_code the category's code, names in Chinese, group the department its duty catalogue sends it to. " +
                "A retired category stays listed with keywords 'inactive'. Public.", "Open311Service", isArray: true, anonymous: true, [Jurisdiction()], document));
            document.Paths[$"{root}/services/{{code}}.{format}"] = Item(HttpMethod.Get, Operation(format, "ServiceDefinition", "A service's definition",
                "The attributes a filing may carry (title, priority, coordinate_system), all optional. Public; 404 for an unknown code.",
                "Open311ServiceDefinition", isArray: false, anonymous: true,
                [new OpenApiParameter { Name = "code", In = ParameterLocation.Path, Required = true, Schema = Text() }, Jurisdiction()], document));

            var requests = new OpenApiPathItem { Operations = new Dictionary<HttpMethod, OpenApiOperation>() };
            var list = Operation(format, "ListRequests", "This app's requests",
                "The reports this app filed: with service_request_id (comma-separated) those, else filed within start_date and end_date " +
                "(at most 90 days; by default the last 90), narrowed by service_code and status (open, closed). At most 1000, newest first. " +
                "status is the spec's open or closed; the extended status is on each update.",
                "Open311Request", isArray: true, anonymous: false,
                [Key(), Jurisdiction(), Query("service_request_id", "Request ids, comma-separated."), Query("service_code", "Service codes, comma-separated."),
                    Query("start_date", "W3C date-time: filed at or after."), Query("end_date", "W3C date-time: filed at or before."),
                    Query("status", "open or closed, comma-separated.")], document);
            requests.Operations[HttpMethod.Get] = list;
            var post = Operation(format, "CreateRequest", "File a report",
                "Through the native filing's rules: lat and long (WGS 84 unless attribute[coordinate_system] says gcj02 or bd09) find the grid " +
                "(address_string alone is 400: a position is needed), service_code is the category (a retired one is refused), description the " +
                "text, attribute[title] the headline (default: the description's first line), attribute[priority] normal or urgent. Photos: " +
                "multipart/form-data file parts (any name), or media_url, fetched only from the hosts in Whistle:Open311:MediaHosts and only " +
                "at public addresses (else 400). email, first_name, last_name, phone, device_id (or deviceid) and account_id are kept for the " +
                "desk (GET /api/v1/orders/{id}/reporter) and never published or echoed. Answers the new request's id (the order's code).",
                "Open311RequestCreated", isArray: true, anonymous: false, [Jurisdiction()], document);
            post.RequestBody = FormBody("Open311RequestForm", document);
            requests.Operations[HttpMethod.Post] = post;
            document.Paths[$"{root}/requests.{format}"] = requests;
            document.Paths[$"{root}/requests/{{id}}.{format}"] = Item(HttpMethod.Get, Operation(format, "GetRequest", "One of this app's requests",
                "A report this app filed, by its id (the order's code); another's, or an unknown id, is 404.", "Open311Request", isArray: true, anonymous: false,
                [new OpenApiParameter { Name = "id", In = ParameterLocation.Path, Required = true, Schema = Text() }, Key(), Jurisdiction()], document));

            var updates = new OpenApiPathItem { Operations = new Dictionary<HttpMethod, OpenApiOperation>() };
            updates.Operations[HttpMethod.Get] = Operation(format, "ListUpdates", "Updates on this app's requests (mySociety)",
                "Each step of this app's reports a reporter should hear of, made within start_date and end_date (at most 90 days; by default " +
                "the last 90): whistled, acknowledged, returned, resolved (with the result), handled locally, evaluated, closed, cancelled, merged, " +
                "and the reporter's own updates. update_id is stable (the history entry's id); status is the extended one.",
                "Open311Update", isArray: true, anonymous: false,
                [Key(), Jurisdiction(), Query("start_date", "W3C date-time: made at or after."), Query("end_date", "W3C date-time: made at or before.")], document);
            var postUpdate = Operation(format, "CreateUpdate", "A reporter's update (mySociety)",
                "The reporter's comment on their report, with photos as on a filing; recorded in the order's history for whoever handles it. " +
                "It moves no state (a status sent is ignored). 404 for a report this app did not file.",
                "Open311UpdateCreated", isArray: true, anonymous: false, [Jurisdiction()], document);
            postUpdate.RequestBody = FormBody("Open311UpdateForm", document);
            updates.Operations[HttpMethod.Post] = postUpdate;
            document.Paths[$"{root}/servicerequestupdates.{format}"] = updates;
        }
    }

    /// <summary>The status table, as words for the document.</summary>
    private static string StatusTable() => string.Join("; ", Enum.GetValues<OrderState>().Select(state =>
    {
        var mapping = Open311Status.Of(state);
        var more = state == OrderState.Cancelled
            ? $" ({WireName.Of(CancelReason.Duplicate)}: {Open311Status.Of(state, CancelReason.Duplicate).Extended}, {WireName.Of(CancelReason.Invalid)}: {Open311Status.Of(state, CancelReason.Invalid).Extended})"
            : "";
        return $"{WireName.Of(state)} → {mapping.Basic} / {mapping.Extended}{more}";
    }));

    private static OpenApiPathItem Item(HttpMethod method, OpenApiOperation operation) =>
        new() { Operations = new Dictionary<HttpMethod, OpenApiOperation> { [method] = operation } };

    private static OpenApiOperation Operation(
        string format, string id, string summary, string description, string schema, bool isArray, bool anonymous,
        List<IOpenApiParameter> parameters, OpenApiDocument document)
    {
        var json = format == "json";
        IOpenApiSchema body = json
            ? isArray ? new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchemaReference(schema, document) } : new OpenApiSchemaReference(schema, document)
            : new OpenApiSchema { Type = JsonSchemaType.String, Description = "The XML form: the spec's element names, no namespace, empty optional elements left out." };
        var responses = new OpenApiResponses { ["200"] = Response("The answer.", format, body) };
        foreach (var (status, text) in new[]
        {
            ("400", "A field is invalid (Open311's error list names it)."),
            ("403", "No api_key, an unknown or revoked one, or a key that is not a reporting app's."),
            ("404", "Not found (an unknown service, or a request this app did not file)."),
            ("429", "Over the address's or the key's rate limit: retry after Retry-After seconds."),
            ("500", "A fault on the service's side; nothing was changed."),
            ("503", "The database cannot be reached; retry after Retry-After seconds."),
        })
        {
            if (anonymous && status == "403")
            {
                continue;
            }
            var error = Response(text, format, json
                ? new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchemaReference("Open311Error", document) }
                : new OpenApiSchema { Type = JsonSchemaType.String, Description = "<errors><error><code/><description/></error></errors>" });
            error.Headers = new Dictionary<string, IOpenApiHeader>
            {
                ["Cache-Control"] = new OpenApiHeader { Description = "A failure is never cached.", Schema = Text() },
            };
            if (status is "429" or "503")
            {
                error.Headers["Retry-After"] = new OpenApiHeader { Description = "Seconds to wait.", Required = status == "503", Schema = new OpenApiSchema { Type = JsonSchemaType.Integer } };
            }
            responses[status] = error;
        }
        return new OpenApiOperation
        {
            OperationId = $"Open311{id}{(json ? "Json" : "Xml")}",
            Summary = summary + (json ? " (JSON)" : " (XML)"),
            Description = description,
            Tags = new HashSet<OpenApiTagReference> { new(Tag, document) },
            Parameters = parameters,
            Responses = responses,
            // Open311's api_key, not the API's security schemes (X-Api-Key works too).
            Security = [],
        };
    }

    private static OpenApiResponse Response(string description, string format, IOpenApiSchema schema) => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType> { [format == "json" ? "application/json" : "text/xml"] = new() { Schema = schema } },
    };

    private static OpenApiSchema Text() => new() { Type = JsonSchemaType.String };

    private static OpenApiParameter Query(string name, string description) =>
        new() { Name = name, In = ParameterLocation.Query, Description = description, Schema = Text() };

    // Not on a POST: there api_key is the form's field (as the spec sends it); the same name as a query parameter too
    // makes generators (NSwag) write one method with two parameters of one name.
    private static OpenApiParameter Key() =>
        Query(Open311Access.KeyField, "A reporting-app API key (also accepted as a form field, or as X-Api-Key).");

    // Sent by clients of multi-jurisdiction servers; this endpoint serves one district, so it is accepted and ignored.
    private static OpenApiParameter Jurisdiction() => Query("jurisdiction_id", "Accepted and ignored: this endpoint serves one district.");

    private static OpenApiRequestBody FormBody(string schema, OpenApiDocument document) => new()
    {
        Required = true,
        Content = new Dictionary<string, OpenApiMediaType>
        {
            ["application/x-www-form-urlencoded"] = new() { Schema = new OpenApiSchemaReference(schema, document) },
            ["multipart/form-data"] = new() { Schema = new OpenApiSchemaReference(schema, document) },
        },
    };

    private static OpenApiSchema Object(string description, IEnumerable<string> required, params (string Name, JsonSchemaType Type, string Description)[] properties) => new()
    {
        Type = JsonSchemaType.Object,
        Description = description,
        Required = required.ToHashSet(),
        Properties = properties.ToDictionary(p => p.Name, p => (IOpenApiSchema)new OpenApiSchema { Type = p.Type, Description = p.Description }),
    };

    private static IEnumerable<(string, OpenApiSchema)> Schemas()
    {
        const JsonSchemaType S = JsonSchemaType.String;
        yield return ("Open311Error", Object("One error of Open311's list.", ["code", "description"],
            ("code", JsonSchemaType.Integer, "The HTTP status."), ("description", S, "What was wrong.")));
        var endpoint = Object("An endpoint.", ["specification", "url", "changeset", "type", "formats"],
            ("specification", S, "http://wiki.open311.org/GeoReport_v2"), ("url", S, "The base URL."), ("changeset", S, "When it last changed."),
            ("type", S, "production"), ("formats", JsonSchemaType.Array, "text/xml and application/json."));
        endpoint.Properties!["formats"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = Text() };
        var discovery = Object("The discovery document.", ["changeset", "contact", "endpoints"],
            ("changeset", S, "When it last changed."), ("contact", S, "Whom to ask."), ("key_service", S, "How to get a key."), ("endpoints", JsonSchemaType.Array, "The endpoints."));
        discovery.Properties!["endpoints"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = endpoint };
        yield return ("Open311Discovery", discovery);
        var service = Object("A service: one of the district's categories.", ["service_code", "service_name", "metadata", "type"],
            ("service_code", S, "The category's code."), ("service_name", S, "Its name (Chinese)."), ("description", S, "Its description."),
            ("metadata", JsonSchemaType.Boolean, "true: GET services/{code} describes its attributes."), ("type", S, "realtime"),
            ("keywords", S, "inactive for a retired category."), ("group", S, "The department its duty catalogue sends it to."),
            ("groups", JsonSchemaType.Array, "The same, as mySociety's list."));
        service.Properties!["groups"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = Text() };
        yield return ("Open311Service", service);
        var value = Object("A value of a list attribute.", ["key", "name"], ("key", S, "What to send."), ("name", S, "What to show."));
        var attribute = Object("An attribute a filing may carry as attribute[code].", ["variable", "code", "datatype", "required", "order", "description"],
            ("variable", JsonSchemaType.Boolean, "true."), ("code", S, "The attribute's code."), ("datatype", S, "string or singlevaluelist."),
            ("required", JsonSchemaType.Boolean, "false: every attribute is optional."), ("datatype_description", S, "The form it takes."),
            ("order", JsonSchemaType.Integer, "Its place in a form."), ("description", S, "What it is."), ("values", JsonSchemaType.Array, "A list's values."));
        attribute.Properties!["values"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = value };
        var definition = Object("A service's definition.", ["service_code", "attributes"], ("service_code", S, "The category's code."), ("attributes", JsonSchemaType.Array, "Its attributes."));
        definition.Properties!["attributes"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = attribute };
        yield return ("Open311ServiceDefinition", definition);
        yield return ("Open311Request", Object("A report this app filed.", ["service_request_id", "status", "service_code", "requested_datetime", "lat", "long"],
            ("service_request_id", S, "The order's code."), ("status", S, "open or closed (see the tag for the table)."), ("status_notes", S, "The result, or why it was returned."),
            ("service_name", S, "The category's name."), ("service_code", S, "The category's code."), ("description", S, "The report's text."),
            ("agency_responsible", S, "The department it is with."), ("requested_datetime", S, "Filed, ISO 8601 with the offset."),
            ("updated_datetime", S, "Its latest step."), ("expected_datetime", S, "The resolve deadline, while open."), ("address", S, "The address sent."),
            ("lat", JsonSchemaType.Number, "WGS 84."), ("long", JsonSchemaType.Number, "WGS 84.")));
        yield return ("Open311RequestCreated", Object("The new request.", ["service_request_id"],
            ("service_request_id", S, "The order's code."), ("service_notice", S, "What happens next.")));
        yield return ("Open311Update", Object("A step of a report.", ["update_id", "service_request_id", "status", "updated_datetime", "description"],
            ("update_id", S, "Stable: the history entry's id."), ("service_request_id", S, "The order's code."),
            ("status", S, "mySociety's extended status (see the tag for the table)."), ("updated_datetime", S, "When, ISO 8601 with the offset."),
            ("description", S, "What happened, Chinese first."), ("media_url", S, "Not given: photos are published on the results list.")));
        yield return ("Open311UpdateCreated", Object("The update recorded.", ["update_id"], ("update_id", S, "Its id.")));
        yield return ("Open311RequestForm", Object("A report, as form fields (photos as file parts of a multipart body).", ["service_code", "lat", "long", "description"],
            ("api_key", S, "A reporting-app key (or send X-Api-Key)."), ("service_code", S, "The category's code."), ("lat", S, "Latitude."), ("long", S, "Longitude."),
            ("address_string", S, "An address people read (kept, never enough alone)."), ("description", S, "Up to 4,000 characters."),
            ("media_url", S, "A photo URL on an allowed host."), ("attribute[title]", S, "A headline."), ("attribute[priority]", S, "normal or urgent."),
            ("attribute[coordinate_system]", S, "wgs84, gcj02 or bd09."), ("email", S, "The reporter's (kept for the desk)."), ("first_name", S, "Kept for the desk."),
            ("last_name", S, "Kept for the desk."), ("phone", S, "Kept for the desk."), ("device_id", S, "Kept for the desk (FixMyStreet: deviceid)."),
            ("account_id", S, "Kept for the desk.")));
        yield return ("Open311UpdateForm", Object("A reporter's update, as form fields (photos as file parts of a multipart body).", ["service_request_id", "description"],
            ("api_key", S, "A reporting-app key (or send X-Api-Key)."), ("service_request_id", S, "The report's id."), ("description", S, "Up to 4,000 characters."),
            ("status", S, "Ignored: a reporter's update moves no state."), ("update_id", S, "The client's own id (ignored)."), ("updated_datetime", S, "Ignored: the service's clock stamps it."),
            ("media_url", S, "A photo URL on an allowed host."), ("email", S, "Ignored."), ("first_name", S, "Ignored."), ("last_name", S, "Ignored.")));
    }

}
