namespace Whistle.Api.Tests.Dashboard;

/// <summary>
/// A test that drives a real headless Chromium: Debian's <c>chromium</c> package, or the browser named
/// by <c>WHISTLE_CHROMIUM</c>. Without one the test is reported as skipped, with the reason, rather
/// than passing unseen.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public static string ExecutablePath =>
        Environment.GetEnvironmentVariable("WHISTLE_CHROMIUM") is { Length: > 0 } configured ? configured : "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(ExecutablePath))
        {
            Skip = $"No Chromium at {ExecutablePath}: install Debian's package (apt-get install chromium) " +
                "or set WHISTLE_CHROMIUM to a Chromium binary to run the dashboard's browser test.";
        }
    }
}
