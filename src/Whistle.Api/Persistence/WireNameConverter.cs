using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Whistle.Api.Persistence;

public sealed class WireNameConverter<T>() : ValueConverter<T, string>(
    value => WireName.Of(value),
    text => WireName.Parse<T>(text))
    where T : struct, Enum;
