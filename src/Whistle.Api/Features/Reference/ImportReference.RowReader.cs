using System.Globalization;
using Whistle.Domain.Reference;

namespace Whistle.Api.Features.Reference;

public static partial class ImportReference
{
    /// <summary>One row's cells by column name, read with the errors each cell's value has.</summary>
    private sealed class RowReader(string sheet, RawRow row, Dictionary<string, int> columns, List<ImportError> errors)
    {
        public int Number => row.Number;
        public bool Failed { get; private set; }

        public void Error(string column, string message)
        {
            errors.Add(new(sheet, row.Number, column, message));
            Failed = true;
        }

        /// <summary>The cell's text, trimmed; "" when empty. A formula is an error: nothing in a file is evaluated.</summary>
        public string Text(string column)
        {
            var index = columns[column];
            var cell = index < row.Cells.Count ? row.Cells[index] : null;
            if (cell is null)
            {
                return "";
            }
            if (cell.Formula)
            {
                Error(column, "The cell holds a formula; formulas are never evaluated: type the value itself.");
                return "";
            }
            var text = cell.Text.Trim();
            // The apostrophe the export put before text a spreadsheet would take for a formula (against CSV injection).
            return text.Length > 1 && text[0] == '\'' && text[1] is '=' or '+' or '-' or '@' ? text[1..] : text;
        }

        public string? Optional(string column) => Text(column) is { Length: > 0 } text ? text : null;

        public int Hours(string column)
        {
            var text = Text(column);
            if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var hours))
            {
                return hours;
            }
            // A spreadsheet may store 24 as 24.0.
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && number == Math.Floor(number) && Math.Abs(number) < int.MaxValue)
            {
                return (int)number;
            }
            Error(column, $"'{text}' is not a whole number of hours.");
            return 0;
        }

        public long? Id(string column)
        {
            var text = Text(column);
            if (text.Length == 0)
            {
                return null;
            }
            if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0)
            {
                return id;
            }
            Error(column, $"'{text}' is not a catalogue entry's id; leave it empty for a new entry.");
            return null;
        }

        private static readonly string[] Yes = ["是", "yes", "y", "true", "1", "√"];
        private static readonly string[] No = ["", "否", "no", "n", "false", "0"];

        public bool Flag(string column)
        {
            var text = Text(column);
            if (Yes.Contains(text, StringComparer.OrdinalIgnoreCase))
            {
                return true;
            }
            if (!No.Contains(text, StringComparer.OrdinalIgnoreCase))
            {
                Error(column, $"'{text}' is neither yes (是, yes, true, 1) nor no (否, no, false, 0, or empty).");
            }
            return false;
        }

        /// <summary>Retired (是, yes, true, a date or time) or in use (empty, 否, no, false); an entry already retired keeps its time.</summary>
        public DateTimeOffset? Retired(DateTimeOffset? current, DateTimeOffset now)
        {
            var text = Text("retired");
            if (No.Contains(text, StringComparer.OrdinalIgnoreCase))
            {
                return null;
            }
            if (Yes.Contains(text, StringComparer.OrdinalIgnoreCase) || text == "停用"
                || DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _)
                || double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            {
                return current ?? now;
            }
            Error("retired", $"'{text}' says neither retired (是, yes, or the date) nor in use (empty, 否, no).");
            return null;
        }

        /// <summary>yyyy-MM-dd, or the day number a spreadsheet program stores for a date it recognised.</summary>
        public DateOnly? Date(string column)
        {
            var text = Text(column);
            if (DateOnly.TryParseExact(text, ["yyyy-MM-dd", "yyyy/M/d", "yyyy-M-d"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                return date;
            }
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var serial) && serial is > 36526 and < 73051)
            {
                return DateOnly.FromDateTime(DateTime.FromOADate(serial));
            }
            Error(column, $"'{text}' is not a date written yyyy-MM-dd.");
            return null;
        }

        public CalendarDayKind Kind(string column)
        {
            var text = Text(column);
            if (WireName.TryParse<CalendarDayKind>(text.ToLowerInvariant(), out var kind))
            {
                return kind;
            }
            switch (text)
            {
                case "节假日" or "假日" or "休":
                    return CalendarDayKind.Holiday;
                case "调休上班" or "工作日" or "班":
                    return CalendarDayKind.Workday;
                default:
                    Error(column, $"'{text}' is neither holiday (节假日) nor workday (调休上班).");
                    return CalendarDayKind.Holiday;
            }
        }
    }
}
