using Microsoft.AspNetCore.Http;

namespace Whistle.Api.Infrastructure;

/// <summary>
/// Every error is an RFC 9457 problem (application/problem+json, with type, title, status and
/// traceId), whatever the client's Accept says: a client that asked for XML still needs to read why
/// its request failed, and the framework's service would otherwise write nothing (or a bare JSON body).
/// </summary>
/// <remarks>Except under <c>/open311/</c>, where clients read Open311's error list (<see cref="Features.Open311.Open311Errors"/>).
/// Writers are tried as the framework does; when none accepts the client's Accept, the first (the JSON one) writes anyway.</remarks>
public sealed class ProblemResponses(IEnumerable<IProblemDetailsWriter> writers) : IProblemDetailsService
{
    private readonly IProblemDetailsWriter[] _writers = [.. writers];

    public async ValueTask WriteAsync(ProblemDetailsContext context)
    {
        if (!await TryWriteAsync(context))
        {
            throw new InvalidOperationException("No problem details writer is registered.");
        }
    }

    public async ValueTask<bool> TryWriteAsync(ProblemDetailsContext context)
    {
        // Open311's paths answer every failure in Open311's own error form, whatever it was.
        if (Features.Open311.Open311Errors.Applies(context.HttpContext))
        {
            await Features.Open311.Open311Errors.WriteAsync(context);
            return true;
        }
        var writer = _writers.FirstOrDefault(w => w.CanWrite(context)) ?? _writers.FirstOrDefault();
        if (writer is null)
        {
            return false;
        }
        await writer.WriteAsync(context);
        return true;
    }
}
