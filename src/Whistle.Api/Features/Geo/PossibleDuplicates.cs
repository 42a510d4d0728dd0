using NetTopologySuite.Geometries;
using Npgsql;
using Whistle.Api.Persistence.Configurations;
using Whistle.Domain.Geo;

namespace Whistle.Api.Features.Geo;

/// <summary>An open order near a new filing, of the same category: perhaps the same problem, reported again.</summary>
/// <param name="Id">The order's id.</param>
/// <param name="Code">The order's code.</param>
/// <param name="DistanceMeters">How far from the filing's position, in metres.</param>
/// <param name="State">Where that order stands.</param>
/// <param name="CategoryCode">Its category (the filing's).</param>
/// <param name="FiledAt">When it was filed.</param>
public sealed record PossibleDuplicate(Guid Id, string Code, double DistanceMeters, OrderState State, string CategoryCode, DateTimeOffset FiledAt);

/// <summary>
/// What FixMyStreet shows before a report is sent, named in the filing's answer: never blocking,
/// the person filing decides (and a community or supervisor may merge the two later).
/// </summary>
public static class PossibleDuplicates
{
    /// <summary>The states an order still has a way to go from: the lifecycle's own non-final states.</summary>
    public static readonly OrderState[] Unfinished = Enum.GetValues<OrderState>().Where(s => Lifecycle.AllowedActions(s).Count > 0).ToArray();

    /// <summary>
    /// Unfinished orders of the category within <see cref="GeoOptions.DuplicateWithinMeters"/> of the
    /// position, filed in the last <see cref="GeoOptions.DuplicateFiledWithinDays"/> days, that the
    /// caller may see; nearest first, at most ten. As a statement for the filing's own write batch
    /// (<see cref="Search"/>): the search costs no round trip of its own.
    /// </summary>
    public static Search Near(WhistleDbContext db, Order filed, Caller caller, GeoOptions options)
    {
        var point = Locating.Point(new LatLon(filed.Location.Latitude, filed.Location.Longitude));
        var since = filed.FiledAt.ToUniversalTime().AddDays(-options.DuplicateFiledWithinDays);
        var query = db.Orders.AsNoTracking().Visible(caller)
            .Where(o => o.Id != filed.Id && o.CategoryCode == filed.CategoryCode && Unfinished.Contains(o.State) && o.FiledAt >= since)
            .Where(o => EF.Property<Point>(o, PositionColumn.Property).IsWithinDistance(point, options.DuplicateWithinMeters))
            .Select(o => new { o.Id, o.Number, o.State, o.CategoryCode, o.FiledAt, Distance = EF.Property<Point>(o, PositionColumn.Property).Distance(point) })
            .OrderBy(o => o.Distance)
            .Take(10);
        // EF writes the SQL (the caller's scope is the access policy's query, stated once); the batch runs it.
        using var command = (NpgsqlCommand)query.CreateDbCommand();
        var statement = new NpgsqlBatchCommand(command.CommandText);
        foreach (NpgsqlParameter parameter in command.Parameters)
        {
            statement.Parameters.Add(parameter.Clone());
        }
        return new Search(statement);
    }

    /// <summary>The search's statement and, once the batch has run, what it found.</summary>
    public sealed class Search(NpgsqlBatchCommand statement)
    {
        public NpgsqlBatchCommand Statement { get; } = statement;

        public IReadOnlyList<PossibleDuplicate> Found { get; private set; } = [];

        /// <summary>Reads the statement's rows, named as the query's projection names them.</summary>
        public async Task ReadAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
        {
            var found = new List<PossibleDuplicate>();
            while (await reader.ReadAsync(cancellationToken))
            {
                found.Add(new PossibleDuplicate(
                    reader.GetGuid(reader.GetOrdinal("Id")),
                    OrderCode.Format(reader.GetInt64(reader.GetOrdinal("Number"))),
                    Math.Round(reader.GetDouble(reader.GetOrdinal("Distance")), 1),
                    WireName.Parse<OrderState>(reader.GetString(reader.GetOrdinal("State"))),
                    reader.GetString(reader.GetOrdinal("CategoryCode")),
                    reader.GetFieldValue<DateTimeOffset>(reader.GetOrdinal("FiledAt"))));
            }
            Found = found;
        }
    }
}
