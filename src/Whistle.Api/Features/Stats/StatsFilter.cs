using Microsoft.AspNetCore.Mvc;

namespace Whistle.Api.Features.Stats;

/// <summary>A statistics answer, which says when it was computed.</summary>
public interface IStatsAnswer
{
    /// <summary>Whether another answer says the same but for its asOf (records compare by value, lists item by item).</summary>
    bool SaysTheSameAs(IStatsAnswer other);

    /// <summary>The answer as a table to download: its own columns, then every figure, named as in JSON.</summary>
    Table ToTable();
}

/// <summary>The filters every statistics request takes, as they arrive in the query string.</summary>
public sealed record StatsFilter
{
    [FromQuery(Name = "from"), Description("Start of the period, inclusive: an ISO 8601 date-time, or a date meaning its midnight in the district's time zone.")]
    public string? From { get; set; }

    [FromQuery(Name = "to"), Description("End of the period, exclusive: an ISO 8601 date-time, or a date meaning the end of that day in the district's time zone.")]
    public string? To { get; set; }

    [FromQuery(Name = "streetCode"), Description("Only orders filed in this street.")]
    public string? StreetCode { get; set; }

    [FromQuery(Name = "communityCode"), Description("Only orders filed in this community.")]
    public string? CommunityCode { get; set; }

    [FromQuery(Name = "departmentCode"), Description("Only orders last whistled to this department.")]
    public string? DepartmentCode { get; set; }

    [FromQuery(Name = "categoryCode"), Description("Only orders of this category.")]
    public string? CategoryCode { get; set; }

    [FromQuery(Name = "format"), Description("json (the default); csv or xlsx: the same answer as a table to download, one row per group or period."),
     DocumentedAs(Microsoft.OpenApi.JsonSchemaType.String, Values = ["json", "csv", "xlsx"])]
    public string? Format { get; set; }
}

/// <summary>
/// The period rules every statistics request shares, included by each request's validator;
/// codes are checked against the reference data by <see cref="StatsService"/>.
/// </summary>
public sealed class StatsFilterRules<T> : AbstractValidator<T>
{
    public StatsFilterRules(Func<T, StatsFilter> filterOf, PeriodParser periods)
    {
        RuleFor(q => filterOf(q).From).Must(f => periods.TryParseStart(f, out _))
            .WithMessage(PeriodParser.FormatMessage("from")).OverridePropertyName("from");
        RuleFor(q => filterOf(q).To).Must(t => periods.TryParseEnd(t, out _))
            .WithMessage(PeriodParser.FormatMessage("to")).OverridePropertyName("to");
        RuleFor(q => filterOf(q).Format).Must(f => Table.TryParseFormat(f, out _))
            .WithMessage(Table.FormatMessage).OverridePropertyName("format");
        RuleFor(q => filterOf(q))
            .Must(q => !periods.TryParseStart(q.From, out var from) || !periods.TryParseEnd(q.To, out var to)
                || from is null || to is null || from < to)
            .WithMessage("'from' must be before 'to'.").OverridePropertyName("to");
    }
}
