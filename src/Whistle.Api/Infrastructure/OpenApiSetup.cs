using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Whistle.Api.Features.Orders;

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
                    "per-field errors, 404, 409 with the order's state and allowedActions, 412 for a stale If-Match.",
                License = new OpenApiLicense { Name = "MIT" },
            };
            // The document must not depend on the host it was fetched from: it is committed and compared.
            document.Servers = [];
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
