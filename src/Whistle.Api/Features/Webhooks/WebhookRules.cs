namespace Whistle.Api.Features.Webhooks;

/// <summary>The rules a subscription's URL and events follow, shared by creating and changing one.</summary>
internal static class WebhookRules
{
    /// <summary>Every event is named well within this; a longer list is a mistake or an attack, and is refused before it is read.</summary>
    public const int MaxEvents = 50;

    public static IRuleBuilderOptions<T, string?> WebhookUrl<T>(this IRuleBuilder<T, string?> rule) =>
        rule.NotEmpty().MaximumLength(2000)
            .Must(url => url is null || (Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)))
            .WithMessage("'url' must be an absolute http or https URL.");

    public static IRuleBuilderOptions<T, IReadOnlyList<string>?> WebhookEvents<T>(this IRuleBuilder<T, IReadOnlyList<string>?> rule) =>
        rule.NotEmpty()
            .Must(events => events is null || events.Count <= MaxEvents).WithMessage($"'events' names at most {MaxEvents} events.")
            .Must(events => events is null || events.All(e => e == Webhooks.WebhookEvents.All || Webhooks.WebhookEvents.Subscribable.Contains(e)))
            .WithMessage($"'events' takes one or more of {string.Join(", ", Webhooks.WebhookEvents.Subscribable)}, or * for all.");

    /// <summary>Stored once each, in a stable order.</summary>
    public static List<string> Normalise(IEnumerable<string> events) => events.Distinct().Order(StringComparer.Ordinal).ToList();
}
