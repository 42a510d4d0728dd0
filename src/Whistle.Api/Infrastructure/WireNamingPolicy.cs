using System.Text.Json;

namespace Whistle.Api.Infrastructure;

/// <summary>JSON names enum values exactly as the domain's <see cref="WireName"/> does, so there is one spelling.</summary>
public sealed class WireNamingPolicy : JsonNamingPolicy
{
    public override string ConvertName(string name) => WireName.Kebab(name);
}
