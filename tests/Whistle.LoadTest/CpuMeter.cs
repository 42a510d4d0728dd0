using System.Globalization;

namespace Whistle.LoadTest;

/// <summary>CPU seconds spent so far, per party; subtract two readings for a phase.</summary>
internal sealed record CpuReading(double Seconds, double Api, double? Postgres, double LoadGenerator, double MachineBusy, double MachineSteal)
{
    public static CpuReading operator -(CpuReading end, CpuReading start) => new(
        end.Seconds - start.Seconds, end.Api - start.Api, end.Postgres - start.Postgres,
        end.LoadGenerator - start.LoadGenerator, end.MachineBusy - start.MachineBusy, end.MachineSteal - start.MachineSteal);
}

/// <summary>
/// Reads CPU time from /proc, so the report can say where the cores went: the service, PostgreSQL
/// (the postmaster and every child: backends, WAL writer, checkpointer, autovacuum), the load
/// generator, and the rest of the machine, which is shared and noisy.
/// </summary>
internal sealed class CpuMeter(int apiPid, int? postmasterPid)
{
    // USER_HZ: /proc reports CPU time in these ticks; it is 100 on every Linux user ABI.
    private const double TicksPerSecond = 100;

    public CpuReading Read()
    {
        var api = Stat(apiPid.ToString(CultureInfo.InvariantCulture))?.OwnSeconds ?? 0;
        // Our reaped children (pgbench) count as load generator through cutime/cstime.
        var self = Stat("self")!;
        return new CpuReading(Environment.TickCount64 / 1000.0, api, Postgres(), self.OwnSeconds + self.ChildrenSeconds, MachineBusy(out var steal), steal);
    }

    public static int? ParentOf(int pid) => Stat(pid.ToString(CultureInfo.InvariantCulture))?.ParentPid;

    private double? Postgres()
    {
        if (postmasterPid is not { } postmaster || Stat(postmaster.ToString(CultureInfo.InvariantCulture)) is not { } main)
        {
            return null;
        }
        // Backends that exited are in the postmaster's cutime (it reaps them); live ones are summed here.
        var total = main.OwnSeconds + main.ChildrenSeconds;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(directory);
            if (char.IsAsciiDigit(name[0]) && Stat(name) is { } child && child.ParentPid == postmaster)
            {
                total += child.OwnSeconds;
            }
        }
        return total;
    }

    /// <summary>Busy time of all cores from /proc/stat; steal is time the hypervisor gave to other guests.</summary>
    private static double MachineBusy(out double steal)
    {
        // cpu  user nice system idle iowait irq softirq steal guest guest_nice
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        double Field(int i) => double.Parse(fields[i], CultureInfo.InvariantCulture) / TicksPerSecond;
        steal = Field(8);
        return Field(1) + Field(2) + Field(3) + Field(6) + Field(7);
    }

    private sealed record ProcessStat(int ParentPid, double OwnSeconds, double ChildrenSeconds);

    private static ProcessStat? Stat(string pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
        // The command name is in parentheses and may hold spaces; the fields after it are fixed:
        // state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        double Ticks(int i) => long.Parse(fields[i], CultureInfo.InvariantCulture) / TicksPerSecond;
        return new ProcessStat(int.Parse(fields[1], CultureInfo.InvariantCulture), Ticks(11) + Ticks(12), Ticks(13) + Ticks(14));
    }
}
