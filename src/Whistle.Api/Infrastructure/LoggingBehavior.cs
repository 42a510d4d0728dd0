using System.Diagnostics;

namespace Whistle.Api.Infrastructure;

/// <summary>
/// Times every message and logs it at Debug (turn on with Logging:LogLevel:Whistle=Debug); refusals
/// are logged by the problem mapping, failures by the exception handler.
/// </summary>
public sealed partial class LoggingBehavior<TMessage, TResponse>(ILogger<LoggingBehavior<TMessage, TResponse>> logger)
    : IPipelineBehavior<TMessage, TResponse>
    where TMessage : IMessage
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        if (!logger.IsEnabled(LogLevel.Debug))
        {
            return await next(message, cancellationToken);
        }
        var started = Stopwatch.GetTimestamp();
        var response = await next(message, cancellationToken);
        Handled(logger, typeof(TMessage).DeclaringType?.Name ?? typeof(TMessage).Name, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return response;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Message} handled in {Milliseconds:F1} ms")]
    private static partial void Handled(ILogger logger, string message, double milliseconds);
}
