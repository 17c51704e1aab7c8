using System.Globalization;
using Microsoft.Net.Http.Headers;

namespace Points.Functions.AdminConsole;

/// <summary>The console's languages: Japanese first (the operators are Japanese businesses), English beside it.</summary>
public enum ConsoleLanguage { Ja, En }

/// <summary>
/// What every console page renders with: the operator, the language, and the program's formats (<c>1,234 pt</c>,
/// <c>¥1,234</c>, dates and times in the program's time zone). Texts are written where they are used, as a
/// Japanese–English pair (<see cref="T"/>): with two languages a page reads whole, and no key can go missing.
/// </summary>
public sealed class ConsoleUi(ConsoleLanguage language, ConsoleOperator? signedIn, TimeZoneInfo zone, DateOnly today, string path)
{
    public const string LanguageCookie = "points-console-lang";

    public ConsoleLanguage Language { get; } = language;
    public ConsoleOperator? Operator { get; } = signedIn;
    public TimeZoneInfo Zone { get; } = zone;
    public DateOnly Today { get; } = today;
    /// <summary>The path of the page (for the language switch's way back).</summary>
    public string Path { get; } = path;
    public string Lang => Language == ConsoleLanguage.Ja ? "ja" : "en";

    public string T(string japanese, string english) => Language == ConsoleLanguage.Ja ? japanese : english;

    public static string Pt(long points) => points.ToString("#,0", CultureInfo.InvariantCulture) + " pt";
    public static string Yen(long yen) => (yen < 0 ? "-¥" : "¥") + Math.Abs(yen).ToString("#,0", CultureInfo.InvariantCulture);
    public static string Count(long count) => count.ToString("#,0", CultureInfo.InvariantCulture);
    public string Day(DateOnly day) => day.ToString(Language == ConsoleLanguage.Ja ? "yyyy/MM/dd" : "yyyy-MM-dd", CultureInfo.InvariantCulture);
    public string When(DateTimeOffset instant) =>
        TimeZoneInfo.ConvertTime(instant, Zone).ToString(Language == ConsoleLanguage.Ja ? "yyyy/MM/dd HH:mm" : "yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    /// <summary>The instant a program-zone day begins (what a date typed by an operator means as a start).</summary>
    public DateTimeOffset StartOf(DateOnly day) => Settings.ProgramCalendar.StartOf(day, Zone);

    /// <summary>The language of a request: the operator's choice (cookie), else the first of Accept-Language the console speaks, else Japanese.</summary>
    public static ConsoleLanguage LanguageOf(HttpRequest request)
    {
        if (request.Cookies[LanguageCookie] is { } chosen && TryParse(chosen, out var language)) return language;
        if (StringWithQualityHeaderValue.TryParseList(request.Headers.AcceptLanguage, out var accepted))
        {
            foreach (var candidate in accepted.OrderByDescending(a => a.Quality ?? 1))
            {
                var tag = candidate.Value.Value ?? "";
                if (tag.StartsWith("ja", StringComparison.OrdinalIgnoreCase)) return ConsoleLanguage.Ja;
                if (tag.StartsWith("en", StringComparison.OrdinalIgnoreCase)) return ConsoleLanguage.En;
            }
        }
        return ConsoleLanguage.Ja;
    }

    public static bool TryParse(string? text, out ConsoleLanguage language)
    {
        language = text switch { "ja" => ConsoleLanguage.Ja, "en" => ConsoleLanguage.En, _ => (ConsoleLanguage)(-1) };
        return Enum.IsDefined(language);
    }
}
