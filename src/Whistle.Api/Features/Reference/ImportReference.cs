using System.Globalization;
using Whistle.Domain.Reference;
using static Whistle.Api.Features.Reference.ReferenceSheets;

namespace Whistle.Api.Features.Reference;

/// <summary>
/// Imports the reference lists from the sheets <see cref="ReferenceSheets"/> describes. Every row is
/// made to the whole set in memory (as an API edit is), the set is checked by <see cref="ReferenceRules"/>
/// and the calendar's own rules, and the answer is a plan: per sheet what would be added, changed,
/// moved, retired, reinstated or removed, and every error with its sheet, row and column. Applied only
/// when nothing is wrong, in one transaction, each change logged (who, before, after) as an API edit is
/// and announced to every instance.
/// <para>
/// A row names its entry by code (a catalogue entry by id, a calendar day by date). A list's rows that a
/// file leaves out are left as they are: nothing is ever retired or removed because it is missing (so a
/// sheet with a few rows edits just those). Retiring is by the retired column (是, yes, true or a date;
/// empty, 否, no or false keeps it in use); catalogue overrides and calendar days, which are not places
/// and have no retirement, are deleted by the remove column. A sheet left out of the file leaves its list alone.
/// </para>
/// </summary>
public static partial class ImportReference
{
    /// <summary>Errors reported at most; past them a last one says how many more there were.</summary>
    public const int MaxErrors = 1000;

    /// <param name="Count">How many.</param>
    /// <param name="Codes">Which: codes (a catalogue entry's id, a calendar day's date; a new catalogue entry as its category@area).</param>
    public sealed record Entries(int Count, IReadOnlyList<string> Codes)
    {
        public static Entries Of(List<string> codes) => new(codes.Count, codes);
    }

    /// <summary>What the file does to one list.</summary>
    /// <param name="Sheet">streets, communities, grids, departments, categories, catalogue or calendar.</param>
    /// <param name="Rows">Rows with data read from the sheet (the header not counted).</param>
    /// <param name="Added">New entries.</param>
    /// <param name="Changed">Entries whose fields change (name, limits, department…), in the same place.</param>
    /// <param name="Moved">Communities given another street, grids another community (re-division); they may be renamed too.</param>
    /// <param name="Retired">Entries in use that the file retires.</param>
    /// <param name="Reinstated">Retired entries the file puts back in use.</param>
    /// <param name="Removed">Catalogue overrides and calendar days the file deletes (remove column).</param>
    /// <param name="Unchanged">Rows that match what is stored.</param>
    public sealed record SheetPlan(
        string Sheet, int Rows, Entries Added, Entries Changed, Entries Moved, Entries Retired, Entries Reinstated, Entries Removed, int Unchanged);

    /// <param name="DryRun">True when it was only a plan.</param>
    /// <param name="Applied">True when the changes were written (never with errors).</param>
    /// <param name="Sheets">Per list the file holds, in the order they apply.</param>
    /// <param name="Errors">Every problem found, all at once; any of them means nothing was written.</param>
    public sealed record Plan(bool DryRun, bool Applied, IReadOnlyList<SheetPlan> Sheets, IReadOnlyList<ImportError> Errors);

    /// <param name="Sheets">What was read.</param>
    /// <param name="ReadErrors">What could not be read (a bad file, a bad encoding…): the plan carries them, nothing is applied.</param>
    public sealed record Command(IReadOnlyList<RawSheet> Sheets, IReadOnlyList<ImportError> ReadErrors, bool DryRun, Actor Actor) : ICommand<Plan>;

    public sealed class Handler(WhistleDbContext db, TimeProvider clock) : ICommandHandler<Command, Plan>
    {
        public async ValueTask<Plan> Handle(Command command, CancellationToken cancellationToken)
        {
            await ReferenceSet.LockAsync(db, cancellationToken);
            var set = await ReferenceSet.LoadAsync(db, cancellationToken);
            var days = await db.CalendarDays.AsNoTracking().ToDictionaryAsync(d => d.Date, cancellationToken);
            var planner = new Planner(set, days, clock.GetUtcNow().ToUniversalTime(), [.. command.ReadErrors]);
            planner.Read(command.Sheets);
            await planner.CheckOpenOrdersAsync(db, cancellationToken);
            var errors = planner.Errors.Count <= MaxErrors ? planner.Errors
                : [.. planner.Errors.Take(MaxErrors), new ImportError("", null, null, $"{planner.Errors.Count - MaxErrors} more errors are not listed.")];
            var apply = !command.DryRun && errors.Count == 0;
            if (apply)
            {
                await planner.ApplyAsync(db, command.Actor, cancellationToken);
            }
            return new Plan(command.DryRun, apply, planner.Sheets(), errors);
        }
    }

    /// <summary>A change to write: to which list, the entry (or day) after, and what the log records.</summary>
    private sealed record Change(ReferenceList? List, string Entity, string Key, string Action, object? Before, object Record);

    private sealed class Tally(string sheet)
    {
        public int Rows;
        public int Unchanged;
        public readonly List<string> Added = [], Changed = [], Moved = [], Retired = [], Reinstated = [], Removed = [];

        public SheetPlan Plan() => new(sheet, Rows, Entries.Of(Added), Entries.Of(Changed), Entries.Of(Moved), Entries.Of(Retired),
            Entries.Of(Reinstated), Entries.Of(Removed), Unchanged);
    }

    private sealed partial class Planner(ReferenceSet set, Dictionary<DateOnly, CalendarDay> days, DateTimeOffset now, List<ImportError> errors)
    {
        public List<ImportError> Errors => errors;
        private readonly Dictionary<string, Tally> _tallies = [];
        private readonly List<Change> _changes = [];
        // Where each touched entry was read, so a rule it breaks is reported at its row.
        private readonly Dictionary<(ReferenceList, string), (string Sheet, int Row)> _rows = [];
        private readonly Dictionary<string, int> _retiredDepartments = new(StringComparer.Ordinal);
        private long _newEntry;

        public IReadOnlyList<SheetPlan> Sheets() => All.Where(s => _tallies.ContainsKey(s.Name)).Select(s => _tallies[s.Name].Plan()).ToList();

        public void Read(IReadOnlyList<RawSheet> raw)
        {
            var bySheet = new Dictionary<Sheet, RawSheet>();
            foreach (var sheet in raw)
            {
                var known = All.FirstOrDefault(s => s.Matches(sheet.Name));
                if (known is null)
                {
                    if (sheet.Rows.Count > 0 || sheet.Headers.Count > 0)
                    {
                        errors.Add(new(sheet.Name, null, null, $"No list is called '{sheet.Name}'; the sheets are {string.Join(", ", All.Select(s => s.Name))}."));
                    }
                }
                else if (!bySheet.TryAdd(known, sheet))
                {
                    errors.Add(new(sheet.Name, null, null, $"The file holds the list {known.Name} twice (as '{bySheet[known].Name}' and '{sheet.Name}')."));
                }
            }
            foreach (var sheet in All)
            {
                if (!bySheet.TryGetValue(sheet, out var rawSheet))
                {
                    continue;
                }
                var tally = _tallies[sheet.Name] = new Tally(sheet.Name) { Rows = rawSheet.Rows.Count };
                if (Columns(sheet, rawSheet) is not { } columns)
                {
                    continue;
                }
                var rows = rawSheet.Rows.Select(r => new RowReader(sheet.Name, r, columns, errors)).ToList();
                if (sheet == ReferenceSheets.Calendar)
                {
                    Days(rows, tally);
                }
                else if (sheet == ReferenceSheets.Catalogue)
                {
                    CatalogueEntries(rows, tally);
                }
                else
                {
                    Places(sheet, rows, tally);
                }
            }
            var touched = _rows.Keys.ToList();
            foreach (var failure in ReferenceRules.Check(set, touched))
            {
                var (sheet, row) = _rows[(failure.List, failure.Key)];
                var bracket = failure.Field.IndexOf('[', StringComparison.Ordinal);
                errors.Add(new(sheet, row, bracket < 0 ? failure.Field : failure.Field[..bracket], failure.Message));
            }
        }

        /// <summary>Each header's column, or null (with the errors) when a column is unknown, twice or missing.</summary>
        private Dictionary<string, int>? Columns(Sheet sheet, RawSheet raw)
        {
            var columns = new Dictionary<string, int>(StringComparer.Ordinal);
            var ok = true;
            for (var i = 0; i < raw.Headers.Count; i++)
            {
                var header = raw.Headers[i];
                if (header.Length == 0)
                {
                    continue;
                }
                var column = sheet.Columns.FirstOrDefault(c => c.Matches(header));
                if (column is null)
                {
                    errors.Add(new(sheet.Name, 1, header, $"Column {SheetReader.ColumnLetters(i)}: no column of {sheet.Name} is called '{header}'; " +
                        $"the columns are {string.Join(", ", sheet.Columns.Select(c => c.Header))}."));
                    ok = false;
                }
                else if (!columns.TryAdd(column.Name, i))
                {
                    errors.Add(new(sheet.Name, 1, column.Name, $"The column {column.Header} is there twice."));
                    ok = false;
                }
            }
            foreach (var missing in sheet.Columns.Where(c => !columns.ContainsKey(c.Name)))
            {
                errors.Add(new(sheet.Name, 1, missing.Name, $"The column {missing.Header} is missing."));
                ok = false;
            }
            return ok ? columns : null;
        }

        private void Places(Sheet sheet, List<RowReader> rows, Tally tally)
        {
            var list = Enum.Parse<ReferenceList>(sheet.Name, ignoreCase: true);
            var seen = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var row in rows)
            {
                var code = row.Text("code");
                var existing = code.Length == 0 ? null : set.Find(list, code);
                var proposed = Proposed(list, row, code, existing);
                if (proposed is null || row.Failed)
                {
                    continue;
                }
                if (seen.TryGetValue(code, out var first))
                {
                    row.Error("code", $"The code '{code}' is on row {first} already.");
                    continue;
                }
                seen[code] = row.Number;
                if (existing is null)
                {
                    if (ReferenceRules.NewCode(set, list, code) is { } bad)
                    {
                        row.Error("code", bad.Message);
                        continue;
                    }
                    proposed.Version = 1;
                    tally.Added.Add(code);
                    Touch(list, code, sheet.Name, row.Number, proposed, "create", null);
                    continue;
                }
                var bucket = existing.RetiredAt is null && proposed.RetiredAt is not null ? tally.Retired
                    : existing.RetiredAt is not null && proposed.RetiredAt is null ? tally.Reinstated
                    : Parent(existing) != Parent(proposed) ? tally.Moved
                    : !Same(existing, proposed) ? tally.Changed
                    : null;
                if (bucket is null)
                {
                    tally.Unchanged++;
                    continue;
                }
                bucket.Add(code);
                proposed.Version = existing.Version + 1;
                var action = bucket == tally.Retired ? "retire" : bucket == tally.Reinstated ? "reinstate" : "update";
                if (list == ReferenceList.Departments && action == "retire")
                {
                    _retiredDepartments[code] = row.Number;
                }
                Touch(list, code, sheet.Name, row.Number, proposed, action, ReferenceResponses.Of(set, list, existing));
            }
        }

        private void Touch(ReferenceList list, string code, string sheet, int row, IReferenceEntry after, string action, object? before)
        {
            set.Put(list, after);
            _rows[(list, code)] = (sheet, row);
            _changes.Add(new(list, ReferenceRules.Name(list), code, action, before, after));
        }

        /// <summary>The row as an entry of its list; retired keeps the stored time of an entry already retired.</summary>
        private IReferenceEntry? Proposed(ReferenceList list, RowReader row, string code, IReferenceEntry? existing)
        {
            var name = row.Text("name");
            var retired = row.Retired(existing?.RetiredAt, now);
            return list switch
            {
                ReferenceList.Streets => new Street { Code = code, Name = name, RetiredAt = retired },
                ReferenceList.Communities => new Community { Code = code, Name = name, StreetCode = row.Text("streetCode"), RetiredAt = retired },
                ReferenceList.Grids => new Grid { Code = code, Name = name, CommunityCode = row.Text("communityCode"), RetiredAt = retired },
                ReferenceList.Departments => new Department { Code = code, Name = name, RetiredAt = retired },
                _ => new Category
                {
                    Code = code,
                    Name = name,
                    DepartmentCode = row.Text("departmentCode"),
                    AcknowledgeWithinHours = row.Hours("acknowledgeWithinHours"),
                    ResolveWithinHours = row.Hours("resolveWithinHours"),
                    UrgentAcknowledgeWithinHours = row.Hours("urgentAcknowledgeWithinHours"),
                    UrgentResolveWithinHours = row.Hours("urgentResolveWithinHours"),
                    ResolveInWorkingDays = row.Flag("resolveInWorkingDays"),
                    RequiresResolutionPhoto = row.Flag("requiresResolutionPhoto"),
                    RetiredAt = retired,
                },
            };
        }

        private static string? Parent(IReferenceEntry entry) => entry switch
        {
            Community c => c.StreetCode,
            Grid g => g.CommunityCode,
            _ => null,
        };

        private static bool Same(IReferenceEntry a, IReferenceEntry b) => a.Name == b.Name && a.RetiredAt == b.RetiredAt && (a, b) switch
        {
            (Category x, Category y) => x.DepartmentCode == y.DepartmentCode && x.AcknowledgeWithinHours == y.AcknowledgeWithinHours
                && x.ResolveWithinHours == y.ResolveWithinHours && x.UrgentAcknowledgeWithinHours == y.UrgentAcknowledgeWithinHours
                && x.UrgentResolveWithinHours == y.UrgentResolveWithinHours && x.ResolveInWorkingDays == y.ResolveInWorkingDays
                && x.RequiresResolutionPhoto == y.RequiresResolutionPhoto,
            _ => Parent(a) == Parent(b),
        };

        private void CatalogueEntries(List<RowReader> rows, Tally tally)
        {
            var seen = new Dictionary<long, int>();
            foreach (var row in rows)
            {
                var id = row.Id("id");
                var remove = row.Flag("remove");
                var entry = new DutyEntry
                {
                    CategoryCode = row.Text("categoryCode"),
                    StreetCode = row.Optional("streetCode"),
                    CommunityCode = row.Optional("communityCode"),
                    DepartmentCode = row.Text("departmentCode"),
                    CoDepartmentCodes = [.. row.Text("coDepartmentCodes").Split(ListSeparators, StringSplitOptions.RemoveEmptyEntries)],
                };
                if (row.Failed)
                {
                    continue;
                }
                DutyEntry? existing = null;
                if (id is { } known)
                {
                    if (!set.Catalogue.TryGetValue(known, out existing))
                    {
                        row.Error("id", $"No catalogue entry has the id {known}; leave id empty to add one.");
                        continue;
                    }
                    if (!seen.TryAdd(known, row.Number))
                    {
                        row.Error("id", $"The entry {known} is on row {seen[known]} already.");
                        continue;
                    }
                }
                if (remove)
                {
                    if (existing is null)
                    {
                        row.Error("remove", "Only an entry that exists (with its id) can be removed.");
                        continue;
                    }
                    set.Catalogue.Remove(existing.Id);
                    tally.Removed.Add(DutyCatalogueEndpoints.Key(existing.Id));
                    _changes.Add(new(ReferenceList.Catalogue, "catalogue", DutyCatalogueEndpoints.Key(existing.Id), "delete",
                        DutyCatalogueEndpoints.EntryResponse.From(existing), existing));
                    continue;
                }
                if (existing is not null && existing.CategoryCode == entry.CategoryCode && existing.StreetCode == entry.StreetCode
                    && existing.CommunityCode == entry.CommunityCode && existing.DepartmentCode == entry.DepartmentCode
                    && existing.CoDepartmentCodes.SequenceEqual(entry.CoDepartmentCodes))
                {
                    tally.Unchanged++;
                    continue;
                }
                // A new entry has a stand-in id below zero until it is written (the store numbers it).
                entry.Id = existing?.Id ?? --_newEntry;
                entry.Version = (existing?.Version ?? 0) + 1;
                var key = DutyCatalogueEndpoints.Key(entry.Id);
                set.Catalogue[entry.Id] = entry;
                _rows[(ReferenceList.Catalogue, key)] = (ReferenceSheets.Catalogue.Name, row.Number);
                (existing is null ? tally.Added : tally.Changed).Add(existing is null ? $"{entry.CategoryCode}@{entry.CommunityCode ?? entry.StreetCode}" : key);
                _changes.Add(new(ReferenceList.Catalogue, "catalogue", key, existing is null ? "create" : "update",
                    existing is null ? null : DutyCatalogueEndpoints.EntryResponse.From(existing), entry));
            }
        }

        private void Days(List<RowReader> rows, Tally tally)
        {
            // Each year's days as the file names them, with their rows, for the calendar's own rules.
            var years = new SortedDictionary<int, List<(CalendarDay Day, RowReader Row)>>();
            foreach (var row in rows)
            {
                var date = row.Date("date");
                var remove = row.Flag("remove");
                var kind = remove ? CalendarDayKind.Holiday : row.Kind("kind");
                var name = row.Optional("name");
                if (row.Failed || date is not { } day)
                {
                    continue;
                }
                if (day.Year is < 2000 or > 2100)
                {
                    row.Error("date", "The calendar takes the years 2000 to 2100.");
                    continue;
                }
                if (name?.Length > 200)
                {
                    row.Error("name", "name is at most 200 characters.");
                    continue;
                }
                var key = ReferenceSheets.Date(day);
                var existing = days.GetValueOrDefault(day);
                if (remove)
                {
                    if (existing is null)
                    {
                        tally.Unchanged++;
                        continue;
                    }
                    tally.Removed.Add(key);
                    _changes.Add(new(null, "calendar", key, "delete", CalendarEndpoints.DayResponse.From(existing), existing));
                    continue;
                }
                var proposed = new CalendarDay { Date = day, Kind = kind, Name = name };
                if (!years.TryGetValue(day.Year, out var year))
                {
                    years[day.Year] = year = [];
                }
                year.Add((proposed, row));
                if (existing is not null && existing.Kind == kind && existing.Name == name)
                {
                    tally.Unchanged++;
                    continue;
                }
                (existing is null ? tally.Added : tally.Changed).Add(key);
                _changes.Add(new(null, "calendar", key, existing is null ? "create" : "update",
                    existing is null ? null : CalendarEndpoints.DayResponse.From(existing), proposed));
            }
            foreach (var (number, year) in years)
            {
                foreach (var failure in CalendarEndpoints.Rules(number, [.. year.Select(d => d.Day)]))
                {
                    // days[i].date → the i-th day's row, column date.
                    var field = failure.PropertyName;
                    var index = int.Parse(field[(field.IndexOf('[', StringComparison.Ordinal) + 1)..field.IndexOf(']', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
                    year[index].Row.Error(field[(field.LastIndexOf('.') + 1)..], failure.ErrorMessage);
                }
            }
        }
    }
}
