using System.IO.Compression;
using FluentValidation.Results;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Net.Http.Headers;
using Microsoft.OpenApi;

namespace Whistle.Api.Features.Reference;

/// <summary>
/// The reference lists out and in as spreadsheets over the API (admins): <c>GET /reference/export</c>
/// writes the workbook (or a zip of CSV files), <c>POST /reference/import</c> takes one back and
/// answers its plan (<see cref="ImportReference"/>). The command line does the same (<see cref="ReferenceCommand"/>).
/// </summary>
public static class ReferenceSpreadsheetEndpoints
{
    public const string ZipType = "application/zip";

    /// <summary>The largest upload; a larger one is 413 before its body is read past it.</summary>
    public const long MaxUploadBytes = 20L * 1024 * 1024;

    /// <summary>The lists as one workbook, into the stream (left open).</summary>
    public static async Task WriteWorkbookAsync(WhistleDbContext db, Stream stream, CancellationToken cancellationToken) =>
        await Table.WriteWorkbookAsync(stream, await ReferenceSheets.ExportAsync(db, cancellationToken), cancellationToken);

    /// <summary>The lists as one CSV file each (UTF-8 with a byte order mark, formulas neutralised), each into the stream opened for its name and then closed.</summary>
    public static async Task WriteCsvFilesAsync(WhistleDbContext db, Func<string, Stream> open, CancellationToken cancellationToken)
    {
        foreach (var table in await ReferenceSheets.ExportAsync(db, cancellationToken))
        {
            await using var stream = open(table.Name + ".csv");
            await table.WriteCsvAsync(stream, cancellationToken);
        }
    }

    /// <summary>The refusal of a file with errors: a problem document carrying the whole plan.</summary>
    /// <param name="Plan">What the file would do, and every error in it.</param>
    /// <param name="TraceId">The request's trace, as every problem carries it (to find it in the logs).</param>
    public sealed record ImportRefused(
        string? Type = null, string? Title = null, int? Status = null, string? Detail = null, ImportReference.Plan? Plan = null, string? TraceId = null);

    /// <summary>Marks the import's multipart body, for the OpenAPI document.</summary>
    public sealed record MultipartReferenceFile;

    /// <summary>Marks the export's file answers, for the OpenAPI document.</summary>
    public sealed record ReferenceDownload;

    public static void Map(RouteGroupBuilder reference)
    {
        reference.MapGet("/reference/export", async (
                [Description("xlsx (default): one workbook, a sheet per list; csv: a zip of one CSV file per list."),
                 DocumentedAs(JsonSchemaType.String, Values = ["xlsx", "csv"], Default = "\"xlsx\"")] string? format,
                WhistleDbContext db, HttpContext http, CancellationToken ct) =>
            {
                if (format is not (null or "xlsx" or "csv"))
                {
                    throw new ValidationException([new ValidationFailure("format", "'format' must be xlsx or csv.")]);
                }
                var xlsx = format is null or "xlsx";
                http.Response.ContentType = xlsx ? Table.XlsxType : ZipType;
                http.Response.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment")
                { FileName = xlsx ? "reference.xlsx" : "reference-csv.zip" }.ToString();
                http.Response.Headers.CacheControl = "private, no-cache";
                // Built in a buffer (spilling to a temporary file) and then sent: the zip writers write synchronously.
                await using var buffer = new Microsoft.AspNetCore.WebUtilities.FileBufferingWriteStream();
                if (xlsx)
                {
                    await WriteWorkbookAsync(db, buffer, ct);
                }
                else
                {
                    using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
                    {
                        await WriteCsvFilesAsync(db, name => zip.CreateEntry(name).Open(), ct);
                    }
                }
                await buffer.DrainBufferAsync(http.Response.Body, ct);
                return Results.Empty;
            })
            .WithName("ExportReference").WithSummary("Export the reference lists as a workbook or CSV files")
            .WithDescription("Admins. Streets, communities, grids, departments, categories, the duty catalogue's overrides and the working calendar, " +
                "a sheet each, headers in Chinese with the API's field name beside (名称 name). Retired entries are listed with when they were retired. " +
                "Text a spreadsheet would take for a formula is written as text (in CSV with a leading apostrophe). POST /reference/import takes the same files back.")
            .WithMetadata(new ReferenceDownload())
            .RequireOperation(Operation.ManageReference)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden);

        reference.MapPost("/reference/import", async (
                [Description("true: only the plan, nothing written. false (default): applied if the plan has no error."),
                 DocumentedAs(JsonSchemaType.Boolean, Default = "false")] string? dryRun,
                IMediator mediator, HttpContext http, CancellationToken ct) =>
            {
                if (dryRun is not (null or "true" or "false"))
                {
                    return Refused(http, "'dryRun' must be true or false.", new ImportReference.Plan(false, false, [],
                        [new ImportError("", null, "dryRun", "'dryRun' must be true or false.")]));
                }
                var (name, bytes) = await ReadUploadAsync(http, ct);
                var errors = new List<ImportError>();
                var sheets = await SheetReader.ReadFileAsync(name, bytes, errors, ct);
                var plan = await mediator.Send(new ImportReference.Command(sheets, errors, dryRun == "true", http.GetCaller().Actor), ct);
                return plan.Errors.Count > 0
                    ? Refused(http, $"The file has {plan.Errors.Count} errors; nothing was changed. Each is in plan.errors with its sheet, row and column.", plan)
                    : Results.Json(plan, ApiJson.Options);
            })
            .WithName("ImportReference").WithSummary("Import the reference lists from a workbook or CSV files")
            .WithDescription("Admins. multipart/form-data with one 'file': an XLSX workbook as GET /reference/export writes it, a zip of its CSV files, " +
                "or one CSV file named after its list (streets.csv…). The answer is the plan: per sheet what is added, changed, moved, retired, " +
                "reinstated or removed, and how many rows are unchanged. Rows a file leaves out are left as they are (retire with the retired column; " +
                "catalogue overrides and calendar days are deleted with the remove column). Every error, with its sheet, row and column, is in the " +
                "400's plan.errors, all at once, and then nothing is written: a rule an API edit keeps (an unknown or retired parent, a code used " +
                "before, an urgent limit longer than the normal one, a route to a retired department, an orphan after a move), a cell that is not a " +
                "value (a formula is never evaluated), a file that is not a workbook, a zip that would inflate past its bounds, a CSV that is not UTF-8. " +
                "Applied in one transaction, each change logged as an API edit is; every instance uses it within a second. A body over 20 MiB is 413.")
            .WithMetadata(new MultipartReferenceFile())
            .RequireOperation(Operation.ManageReference)
            .Produces<ImportReference.Plan>()
            .Produces<ImportRefused>(StatusCodes.Status400BadRequest, "application/problem+json")
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
    }

    private static IResult Refused(HttpContext http, string detail, ImportReference.Plan plan) => Results.Json(
        new ImportRefused("https://tools.ietf.org/html/rfc9110#section-15.5.1", "The file cannot be imported", StatusCodes.Status400BadRequest, detail, plan,
            System.Diagnostics.Activity.Current?.Id ?? http.TraceIdentifier),
        ApiJson.Options, "application/problem+json", StatusCodes.Status400BadRequest);

    /// <summary>The 'file' part, its body bounded (413 past the bound), 415 for anything but multipart/form-data.</summary>
    private static async Task<(string Name, byte[] Bytes)> ReadUploadAsync(HttpContext http, CancellationToken ct)
    {
        var request = http.Request;
        if (request.ContentLength > MaxUploadBytes)
        {
            throw TooLarge();
        }
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) || !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            throw new BadHttpRequestException("Send the file as multipart/form-data, in a part named 'file'.", StatusCodes.Status415UnsupportedMediaType);
        }
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = MaxUploadBytes;
        }
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(new FormOptions { MultipartBodyLengthLimit = MaxUploadBytes, ValueCountLimit = 16 }, ct);
        }
        catch (InvalidDataException e) when (e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase) && e.Message.Contains("length", StringComparison.OrdinalIgnoreCase))
        {
            throw TooLarge();
        }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException or IOException && e is not BadHttpRequestException)
        {
            throw new BadHttpRequestException("The multipart/form-data body is malformed: " + e.Message, StatusCodes.Status400BadRequest);
        }
        if (form.Files.GetFile("file") is not { } file || file.Length == 0)
        {
            throw new BadHttpRequestException("Send the workbook (or the zip of CSV files) in a part named 'file'.", StatusCodes.Status400BadRequest);
        }
        using var bytes = new MemoryStream((int)file.Length);
        await file.CopyToAsync(bytes, ct);
        return (file.FileName, bytes.ToArray());
    }

    private static BadHttpRequestException TooLarge() =>
        new($"An upload may be at most {MaxUploadBytes:N0} bytes; nothing was read.", StatusCodes.Status413PayloadTooLarge);

    /// <summary>What the document says of the multipart body and the file answers, which no bound type describes.</summary>
    public static void Describe(OpenApiOperation operation, OpenApiOperationTransformerContext context)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        if (metadata.OfType<MultipartReferenceFile>().Any())
        {
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["multipart/form-data"] = new()
                    {
                        Schema = new OpenApiSchema
                        {
                            Type = JsonSchemaType.Object,
                            Required = new HashSet<string> { "file" },
                            Properties = new Dictionary<string, IOpenApiSchema>
                            {
                                ["file"] = new OpenApiSchema
                                {
                                    Type = JsonSchemaType.String,
                                    Format = "binary",
                                    Description = "An .xlsx workbook, a .zip of CSV files, or one .csv file; judged by its bytes and name.",
                                },
                            },
                        },
                    },
                },
            };
        }
        if (metadata.OfType<ReferenceDownload>().Any())
        {
            operation.Responses ??= [];
            operation.Responses["200"] = new OpenApiResponse
            {
                Description = "The workbook (xlsx) or a zip of CSV files (csv).",
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    [Table.XlsxType] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" } },
                    [ZipType] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" } },
                },
                Headers = new Dictionary<string, IOpenApiHeader>
                {
                    ["Content-Disposition"] = new OpenApiHeader { Description = "attachment, with a file name.", Required = true, Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
                    ["Cache-Control"] = new OpenApiHeader { Description = "private, no-cache.", Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
                },
            };
        }
    }
}
