using Whistle.Domain.Reference;
using static Whistle.Api.Features.Reference.ReferenceSheets;

namespace Whistle.Api.Features.Reference;

/// <summary>The import's last steps, once the plan has no errors: the checks against open orders, and writing the plan.</summary>
public static partial class ImportReference
{
    private sealed partial class Planner
    {
        /// <summary>A department the file retires must hold no open orders (the API's retire hands them over with reassignTo; a file cannot).</summary>
        public async Task CheckOpenOrdersAsync(WhistleDbContext db, CancellationToken cancellationToken)
        {
            if (_retiredDepartments.Count == 0)
            {
                return;
            }
            var codes = _retiredDepartments.Keys.ToList();
            var open = await db.Orders.AsNoTracking()
                .Where(o => o.DepartmentCode != null && codes.Contains(o.DepartmentCode) && Order.OpenStates.Contains(o.State))
                .GroupBy(o => o.DepartmentCode!)
                .Select(g => new { Code = g.Key, Count = g.Count(), First = g.Min(o => o.Number) })
                .ToListAsync(cancellationToken);
            foreach (var department in open)
            {
                errors.Add(new(Departments.Name, _retiredDepartments[department.Code], "retired",
                    $"The department '{department.Code}' still holds {department.Count} open orders (the first {OrderCode.Format(department.First)}): " +
                    "reassign them first, or retire it over the API with reassignTo."));
            }
        }

        /// <summary>Writes the changes list by list (parents before children), each with its log row, then tells every instance.</summary>
        public async Task ApplyAsync(WhistleDbContext db, Actor actor, CancellationToken cancellationToken)
        {
            foreach (var group in _changes.GroupBy(c => c.Entity))
            {
                var created = new List<(Change Change, DutyEntry Entry)>();
                foreach (var change in group)
                {
                    switch (change.Record)
                    {
                        case DutyEntry entry when change.Action == "delete":
                            db.DutyCatalogue.Remove(entry);
                            Log(db, actor, change, change.Key, null);
                            break;
                        case DutyEntry entry when change.Action == "create":
                            entry.Id = 0;
                            db.DutyCatalogue.Add(entry);
                            created.Add((change, entry));
                            break;
                        case DutyEntry entry:
                            db.DutyCatalogue.Update(entry);
                            Log(db, actor, change, change.Key, DutyCatalogueEndpoints.EntryResponse.From(entry));
                            break;
                        case CalendarDay day when change.Action == "delete":
                            db.CalendarDays.Remove(day);
                            Log(db, actor, change, change.Key, null);
                            break;
                        case CalendarDay day:
                            if (change.Action == "create")
                            {
                                db.CalendarDays.Add(day);
                            }
                            else
                            {
                                db.CalendarDays.Update(day);
                            }
                            Log(db, actor, change, change.Key, CalendarEndpoints.DayResponse.From(day));
                            break;
                        case IReferenceEntry entry:
                            if (change.Action == "create")
                            {
                                db.Add(entry);
                            }
                            else
                            {
                                db.Update(entry);
                            }
                            Log(db, actor, change, change.Key, ReferenceResponses.Of(set, change.List!.Value, entry));
                            break;
                    }
                }
                await db.SaveChangesAsync(cancellationToken);
                // A new catalogue entry is logged under the number the store gave it.
                foreach (var (change, entry) in created)
                {
                    Log(db, actor, change, DutyCatalogueEndpoints.Key(entry.Id), DutyCatalogueEndpoints.EntryResponse.From(entry));
                }
                await db.SaveChangesAsync(cancellationToken);
            }
            db.ChangeTracker.Clear();
            await ReferenceStore.NotifyAsync(db, cancellationToken);
        }

        private void Log(WhistleDbContext db, Actor actor, Change change, string key, object? after) =>
            ReferenceStore.Log(db, actor, now, change.Entity, key, change.Action, change.Before, after);
    }
}
