using System.Globalization;
using FluentValidation.Results;
using Whistle.Domain.Reference;

namespace Whistle.Api.Features.Reference;

/// <summary>
/// The district's working calendar as data: the holidays and the weekend days made working days
/// (调休), kept per year. Deadlines stamped after a change use the new calendar; deadlines already
/// stamped stay as they were (an order's deadline is a promise made at its whistle).
/// </summary>
public static class CalendarEndpoints
{
    /// <param name="Date">The day, yyyy-MM-dd, in the district's time zone.</param>
    /// <param name="Kind">holiday (not a working day) or workday (a weekend day made a working day).</param>
    /// <param name="Name">What it is for people (春节, 国庆节调休).</param>
    public sealed record DayResponse(DateOnly Date, CalendarDayKind Kind, string? Name)
    {
        public static DayResponse From(CalendarDay d) => new(d.Date, d.Kind, d.Name);
    }

    /// <param name="Date">The day, yyyy-MM-dd; in the year of the path.</param>
    /// <param name="Kind">holiday or workday.</param>
    /// <param name="Name">Optional, up to 200 characters.</param>
    public sealed record DayBody(DateOnly? Date, CalendarDayKind? Kind, string? Name = null);

    /// <param name="Days">Every holiday and swapped working day of the year; the year's days not named are removed.</param>
    public sealed record YearBody(IReadOnlyList<DayBody?>? Days);

    public sealed record ReplaceYear(int Year, YearBody Body, Caller Caller) : ICommand<IReadOnlyList<DayResponse>>;

    public sealed class Validator : AbstractValidator<ReplaceYear>
    {
        public Validator()
        {
            RuleFor(c => c.Year).InclusiveBetween(2000, 2100).OverridePropertyName("year");
            RuleFor(c => c.Body.Days).NotNull().OverridePropertyName("days");
            // A null day is a field error of its own: the child rules below never see it.
            RuleForEach(c => c.Body.Days).NotNull().WithMessage("A day is an object with its date and kind, not null.").OverridePropertyName("days");
            RuleForEach(c => c.Body.Days).ChildRules(day =>
            {
                day.RuleFor(d => d!.Date).NotNull().When(d => d is not null).OverridePropertyName("date");
                day.RuleFor(d => d!.Kind).NotNull().IsInEnum().When(d => d is not null).OverridePropertyName("kind");
                day.RuleFor(d => d!.Name).MaximumLength(200).When(d => d is not null).OverridePropertyName("name");
            }).OverridePropertyName("days");
        }
    }

    public sealed class Handler(WhistleDbContext db, TimeProvider clock) : ICommandHandler<ReplaceYear, IReadOnlyList<DayResponse>>
    {
        public async ValueTask<IReadOnlyList<DayResponse>> Handle(ReplaceYear command, CancellationToken cancellationToken)
        {
            var days = command.Body.Days!.Select(d => new CalendarDay { Date = d!.Date!.Value, Kind = d.Kind!.Value, Name = string.IsNullOrWhiteSpace(d.Name) ? null : d.Name.Trim() }).ToList();
            var failures = Rules(command.Year, days);
            if (failures.Count > 0)
            {
                throw new ValidationException(failures);
            }
            await ReferenceSet.LockAsync(db, cancellationToken);
            var (first, last) = (new DateOnly(command.Year, 1, 1), new DateOnly(command.Year, 12, 31));
            var existing = await db.CalendarDays.Where(d => d.Date >= first && d.Date <= last).ToDictionaryAsync(d => d.Date, cancellationToken);
            var now = clock.GetUtcNow().ToUniversalTime();
            var actor = command.Caller.Actor;
            foreach (var day in days)
            {
                var before = existing.GetValueOrDefault(day.Date);
                existing.Remove(day.Date);
                if (before is null)
                {
                    db.CalendarDays.Add(day);
                    ReferenceStore.Log(db, actor, now, "calendar", Code(day.Date), "create", null, DayResponse.From(day));
                }
                else if (before.Kind != day.Kind || before.Name != day.Name)
                {
                    var was = DayResponse.From(before);
                    (before.Kind, before.Name) = (day.Kind, day.Name);
                    ReferenceStore.Log(db, actor, now, "calendar", Code(day.Date), "update", was, DayResponse.From(before));
                }
            }
            foreach (var gone in existing.Values)
            {
                db.CalendarDays.Remove(gone);
                ReferenceStore.Log(db, actor, now, "calendar", Code(gone.Date), "delete", DayResponse.From(gone), null);
            }
            await db.SaveChangesAsync(cancellationToken);
            db.ChangeTracker.Clear();
            await ReferenceStore.NotifyAsync(db, cancellationToken);
            return days.OrderBy(d => d.Date).Select(DayResponse.From).ToList();
        }
    }

    /// <summary>The calendar's rules, for the API and the import alike: each day once, in its year; a swapped working day falls on a weekend.</summary>
    public static List<ValidationFailure> Rules(int year, IReadOnlyList<CalendarDay> days)
    {
        var failures = new List<ValidationFailure>();
        for (var i = 0; i < days.Count; i++)
        {
            var day = days[i];
            if (day.Date.Year != year)
            {
                failures.Add(new($"days[{i}].date", $"{Code(day.Date)} is not in {year}."));
            }
            else if (days.Take(i).Any(d => d.Date == day.Date))
            {
                failures.Add(new($"days[{i}].date", $"{Code(day.Date)} is named twice."));
            }
            else if (day.Kind == CalendarDayKind.Workday && day.Date.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday))
            {
                failures.Add(new($"days[{i}].kind", $"{Code(day.Date)} is a {day.Date.DayOfWeek}: a weekday is a working day already; workday is for a weekend day made one."));
            }
        }
        return failures;
    }

    private static string Code(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>
    /// The configuration's days (Whistle:Holidays, Whistle:Workdays) seed an empty calendar once: a
    /// store whose calendar was never written takes them; after that the data rules.
    /// </summary>
    public static async Task SeedAsync(WhistleDbContext db, WhistleOptions options, CancellationToken cancellationToken)
    {
        if (await db.CalendarDays.AnyAsync(cancellationToken) || await db.ReferenceChanges.AnyAsync(c => c.Entity == "calendar", cancellationToken))
        {
            return;
        }
        static IEnumerable<DateOnly> Dates(IEnumerable<string> days) => days.Select(d => DateOnly.ParseExact(d, "yyyy-MM-dd", CultureInfo.InvariantCulture));
        var seed = Dates(options.Holidays).Select(d => (d, CalendarDayKind.Holiday)).Concat(Dates(options.Workdays).Select(d => (d, CalendarDayKind.Workday)))
            .DistinctBy(p => p.d).ToList();
        foreach (var (date, kind) in seed)
        {
            // Two instances starting at once may both seed: the second's rows are the same and are skipped.
            await db.Database.ExecuteSqlInterpolatedAsync(
                $"INSERT INTO calendar_days (date, kind, name) VALUES ({date}, {WireName.Of(kind)}, {"Whistle configuration"}) ON CONFLICT (date) DO NOTHING",
                cancellationToken);
        }
    }

    public static void Map(RouteGroupBuilder reference)
    {
        reference.MapGet("/calendar", async Task<Ok<IReadOnlyList<DayResponse>>> (
                [Description("Only this year's days."), DocumentedAs(Microsoft.OpenApi.JsonSchemaType.Integer, Minimum = 2000, Maximum = 2100)] string? year,
                WhistleDbContext db, CancellationToken ct) =>
            {
                var days = db.CalendarDays.AsNoTracking();
                if (year is not null)
                {
                    if (!int.TryParse(year, NumberStyles.None, CultureInfo.InvariantCulture, out var y) || y is < 2000 or > 2100)
                    {
                        throw new ValidationException([new ValidationFailure("year", "'year' is a year from 2000 to 2100.")]);
                    }
                    var (first, last) = (new DateOnly(y, 1, 1), new DateOnly(y, 12, 31));
                    days = days.Where(d => d.Date >= first && d.Date <= last);
                }
                return TypedResults.Ok<IReadOnlyList<DayResponse>>((await days.OrderBy(d => d.Date).ToListAsync(ct)).Select(DayResponse.From).ToList());
            })
            .WithName("ListCalendarDays").WithSummary("The working calendar's holidays and swapped working days")
            .WithDescription("Monday to Friday are working days, less the holidays listed here, plus the weekend days listed as workday (调休). " +
                "Resolve limits counted in working days use it; a change applies to deadlines stamped after it, never to those already stamped.")
            .ProducesValidationProblem();

        reference.MapPut("/calendar/{year:int}", async Task<Ok<IReadOnlyList<DayResponse>>> (
                int year, YearBody body, IMediator mediator, HttpContext http, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new ReplaceYear(year, body, http.GetCaller()), ct)))
            .WithName("ReplaceCalendarYear").WithSummary("Set a year's holidays and swapped working days")
            .WithDescription("Admins. The year's days as the district published them, replacing what was there (each change logged). " +
                "400 per field: a day outside the year or named twice, a workday that is not a Saturday or Sunday.")
            .Manages();
    }
}
