using System.Globalization;

namespace Points.Domain.Primitives;

/// <summary>
/// Program-zone days and months as stored text (index partitions, checkpoints, purchase months): <c>yyyy-MM-dd</c> and
/// <c>yyyy-MM</c>, culture-free, so they sort as text in date order.
/// </summary>
public static class CalendarText
{
    public static string DayOf(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static DateOnly ParseDay(string day) => DateOnly.ParseExact(day, "yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>A day given as text (a form, a query): null unless it is exactly <c>yyyy-MM-dd</c>.</summary>
    public static DateOnly? TryParseDay(string? day) =>
        DateOnly.TryParseExact(day, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed) ? parsed : null;

    public static string MonthOf(DateOnly day) => day.ToString("yyyy-MM", CultureInfo.InvariantCulture);

    public static DateOnly FirstDayOf(string month) => ParseDay(month + "-01");
}
