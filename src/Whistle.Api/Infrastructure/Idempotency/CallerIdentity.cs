namespace Whistle.Api.Infrastructure.Idempotency;

/// <summary>
/// Who is calling, as far as per-caller state (idempotency keys today) is scoped. The one place
/// that decides it: when credentials arrive (API keys and JWT, issue 3 "Who may do what"), an
/// implementation returning the authenticated credential's id replaces this one, and every key is
/// scoped to the credential without touching its users.
/// </summary>
public interface ICallerIdentity
{
    string Credential(HttpContext http);
}

/// <summary>
/// Until credentials exist: the name the caller states in <c>X-Actor</c> (<c>anonymous</c> without
/// one, as history records it), prefixed so that credential ids added later cannot collide with it.
/// </summary>
public sealed class ActorHeaderIdentity : ICallerIdentity
{
    public string Credential(HttpContext http)
    {
        var actor = http.Request.Headers["X-Actor"].ToString().Trim();
        return "actor:" + (actor.Length == 0 ? "anonymous" : actor);
    }
}
