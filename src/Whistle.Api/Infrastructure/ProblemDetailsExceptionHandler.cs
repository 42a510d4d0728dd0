using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Whistle.Api.Infrastructure.Idempotency;

namespace Whistle.Api.Infrastructure;

/// <summary>
/// The one place where failures become RFC 9457 problem responses, so every endpoint reports
/// the same failure the same way.
/// </summary>
public sealed class ProblemDetailsExceptionHandler(IProblemDetailsService problems, ILogger<ProblemDetailsExceptionHandler> logger)
    : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var problem = exception switch
        {
            ValidationException validation => Validation(validation),
            OrderRuleException rule => Validation(new ValidationException([new FluentValidation.Results.ValidationFailure(rule.Field, rule.Message)])),
            BadHttpRequestException badRequest => BadRequest(badRequest),
            // Kestrel reports a chunk size past any integer this way (its other framing faults are BadHttpRequestException).
            IOException { InnerException: OverflowException } when context.Request.Headers.TransferEncoding.Count > 0 => new ProblemDetails
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "Malformed request body",
                Detail = "A chunk of the chunked body declares a size beyond any body's; nothing was read or changed.",
            },
            NotFoundException notFound => new ProblemDetails
            {
                Status = StatusCodes.Status404NotFound,
                Title = "Not found",
                Detail = notFound.Message,
            },
            Features.Open311.Open311Exception open311 => new ProblemDetails
            {
                Status = open311.Status,
                Title = "Refused",
                Detail = open311.Message,
            },
            Features.Access.ForbiddenException forbidden => new ProblemDetails
            {
                Status = StatusCodes.Status403Forbidden,
                Title = "Forbidden",
                Detail = forbidden.Message,
            },
            ActionNotPermittedException refused => NotPermitted(refused, Features.Access.Caller.From(context.User)),
            PartActionNotPermittedException refused => new ProblemDetails
            {
                Status = StatusCodes.Status409Conflict,
                Title = "Action not permitted in the part's state",
                Detail = refused.Message,
                Extensions =
                {
                    // Not state/allowedActions: those name the order's (the problem schema's enums); these the part's.
                    ["partState"] = WireName.Of(refused.State),
                    ["allowedPartActions"] = refused.AllowedActions.Where(a => a != PartAction.Escalate).Select(WireName.Of).ToArray(),
                },
            },
            PartNotFoundException missing => new ProblemDetails
            {
                Status = StatusCodes.Status404NotFound,
                Title = "Not found",
                Detail = missing.Message,
            },
            StaleOrderVersionException stale => Stale(stale),
            Features.Reference.StaleReferenceException stale => new ProblemDetails
            {
                Status = StatusCodes.Status412PreconditionFailed,
                Title = "The entry has changed",
                Detail = stale.Message + " Read it again, then retry with its new ETag.",
                Extensions = { ["currentVersion"] = stale.CurrentVersion, ["currentETag"] = ETags.For(stale.CurrentVersion) },
            },
            Features.Reference.ReferenceConflictException conflict => ReferenceConflict(conflict),
            PhotoNotAcceptedException photo => new ProblemDetails
            {
                Status = StatusCodes.Status409Conflict,
                Title = "The order takes no such photo now",
                Detail = photo.Message,
            },
            Features.Photos.PhotoDecodersBusyException busy => Features.Photos.PhotoProblems.Busy(context, busy),
            IdempotencyKeyException idempotency => new ProblemDetails
            {
                Status = idempotency.Status,
                Title = idempotency.Title,
                Detail = idempotency.Message,
            },
            Features.Webhooks.DeliveryPendingException pending => new ProblemDetails
            {
                Status = StatusCodes.Status409Conflict,
                Title = "Delivery still pending",
                Detail = pending.Message,
            },
            InvalidOperationException when UnknownCharset(context.Request) is { } charset => new ProblemDetails
            {
                Status = StatusCodes.Status415UnsupportedMediaType,
                Title = "Unsupported media type",
                Detail = $"The body's charset '{charset}' is not one this service can read; send JSON in UTF-8.",
            },
            DbUpdateConcurrencyException => new ProblemDetails
            {
                Status = StatusCodes.Status409Conflict,
                Title = "Changed concurrently",
                Detail = "The order was changed by someone else at the same moment; read it again and retry.",
            },
            _ when DatabaseOutage.Is(exception) => DatabaseOutage.Problem(context),
            _ => null,
        };
        if (problem?.Status == StatusCodes.Status503ServiceUnavailable)
        {
            logger.LogWarning(exception, "Database unreachable for {Method} {Path}", context.Request.Method, context.Request.Path);
        }
        if (problem is null)
        {
            logger.LogError(exception, "Unhandled exception for {Method} {Path}", context.Request.Method, context.Request.Path);
            problem = new ProblemDetails
            {
                Status = StatusCodes.Status500InternalServerError,
                Title = "Internal error",
                Detail = "Something went wrong on our side; nothing was changed.",
            };
        }
        context.Response.StatusCode = problem.Status!.Value;
        // Written whatever the client accepts (see ProblemResponses).
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = problem,
            Exception = exception,
        });
        return true;
    }

    private static HttpValidationProblemDetails Validation(ValidationException exception) => new(
        exception.Errors
            .GroupBy(e => e.PropertyName)
            .ToDictionary(g => g.Key, g => g.Select(e => e.ErrorMessage).Distinct().ToArray()))
    {
        Status = StatusCodes.Status400BadRequest,
        Title = "The request has invalid fields",
    };

    private static ProblemDetails BadRequest(BadHttpRequestException exception)
    {
        if (exception.InnerException is JsonException json)
        {
            var field = JsonPathToField(json.Path);
            return new HttpValidationProblemDetails(new Dictionary<string, string[]>
            {
                [field] = [field.Length == 0 ? "The body is not valid JSON." : $"'{field}' has a value of the wrong type or form."],
            })
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "The request body is malformed",
                Detail = "The body could not be read as the JSON this operation takes.",
            };
        }
        return new ProblemDetails
        {
            Status = exception.StatusCode,
            // The status's own name: a 413 is "Content too large", a 415 "Unsupported media type", not "Bad request".
            Title = exception.StatusCode switch
            {
                StatusCodes.Status413PayloadTooLarge => "Content too large",
                StatusCodes.Status415UnsupportedMediaType => "Unsupported media type",
                _ => "Bad request",
            },
            Detail = exception.Message,
        };
    }

    // The actions the state permits, as far as this caller may take them (as on the order itself).
    private static ProblemDetails NotPermitted(ActionNotPermittedException exception, Features.Access.Caller? caller) => new()
    {
        Status = StatusCodes.Status409Conflict,
        Title = "Action not permitted in the order's state",
        Detail = exception.Message,
        Extensions =
        {
            ["state"] = WireName.Of(exception.State),
            ["allowedActions"] = (caller is null ? exception.AllowedActions : Features.Access.AccessPolicy.AllowedActions(caller, exception.AllowedActions))
                .Select(WireName.Of).ToArray(),
        },
    };

    private static ProblemDetails ReferenceConflict(Features.Reference.ReferenceConflictException conflict)
    {
        var problem = new ProblemDetails { Status = StatusCodes.Status409Conflict, Title = "Still in use", Detail = conflict.Message };
        foreach (var (name, value) in conflict.Details)
        {
            problem.Extensions[name] = value;
        }
        return problem;
    }

    // The current ETag goes in the body: the exception handler strips cache headers, ETag included, from error responses.
    private static ProblemDetails Stale(StaleOrderVersionException exception) => new()
    {
        Status = StatusCodes.Status412PreconditionFailed,
        Title = "The order has changed",
        Detail = exception.Message + " Read it again, then retry with its new ETag.",
        Extensions =
        {
            ["currentVersion"] = exception.CurrentVersion,
            ["currentETag"] = ETags.For(exception.CurrentVersion),
        },
    };

    /// <summary>
    /// The charset a body claims, when .NET knows no such encoding: the JSON reader throws a plain
    /// InvalidOperationException for it rather than a BadHttpRequestException.
    /// </summary>
    private static string? UnknownCharset(HttpRequest request)
    {
        if (!Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(request.ContentType, out var type) || type.Charset.Length == 0)
        {
            return null;
        }
        try
        {
            _ = System.Text.Encoding.GetEncoding(type.Charset.ToString());
            return null;
        }
        catch (ArgumentException)
        {
            return type.Charset.ToString();
        }
    }

    /// <summary><c>$.location.latitude</c> becomes <c>location.latitude</c>, the way validation names fields.</summary>
    private static string JsonPathToField(string? path) =>
        path is null or "$" ? "" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
}

/// <summary>What was asked for does not exist (or, later, is not the caller's to see).</summary>
public sealed class NotFoundException(string message) : Exception(message);
