using Points.Domain.Earning;

namespace Points.Domain.Tests.Earning;

/// <summary>Campaigns by time of day and weekday in the program zone (seed 002's idle-hours campaign): start inclusive, end exclusive.</summary>
public sealed class CampaignHoursTests
{
    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    private static Campaign Campaign(string from, string until, params DayOfWeek[] days) =>
        new("c", 2000, [], [], days, new DateTimeOffset(2026, 1, 1, 0, 0, 0, Jst), new DateTimeOffset(2027, 1, 1, 0, 0, 0, Jst))
        {
            HoursFrom = TimeOnly.Parse(from, System.Globalization.CultureInfo.InvariantCulture),
            HoursUntil = TimeOnly.Parse(until, System.Globalization.CultureInfo.InvariantCulture),
        };

    private static EarningEvent At(string localInstant)
    {
        var at = DateTimeOffset.Parse(localInstant + "+09:00", System.Globalization.CultureInfo.InvariantCulture);
        return new EarningEvent("e", Triggers.Purchase, at, DateOnly.FromDateTime(at.DateTime), 1000, null, null) { LocalTime = TimeOnly.FromDateTime(at.DateTime) };
    }

    private static readonly DayOfWeek[] Weekdays = [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday];

    [Theory] // "×2 on weekdays 14:00–17:00"; 2026-11-27 is a Friday, 2026-11-28 a Saturday
    [InlineData("2026-11-27T13:59:59", false)]
    [InlineData("2026-11-27T14:00:00", true)] // the start is in
    [InlineData("2026-11-27T16:59:59", true)]
    [InlineData("2026-11-27T17:00:00", false)] // the end is out
    [InlineData("2026-11-28T15:00:00", false)] // Saturday
    public void WeekdayAfternoons(string local, bool applies) => Assert.Equal(applies, Campaign("14:00", "17:00", Weekdays).AppliesTo(At(local)));

    [Theory] // "Friday 22:00–02:00": the hours after midnight belong to Friday
    [InlineData("2026-11-27T21:59:59", false)]
    [InlineData("2026-11-27T22:00:00", true)]
    [InlineData("2026-11-27T23:59:59", true)]
    [InlineData("2026-11-28T00:00:00", true)] // Saturday, but Friday's night
    [InlineData("2026-11-28T01:59:59", true)]
    [InlineData("2026-11-28T02:00:00", false)]
    [InlineData("2026-11-28T22:30:00", false)] // Saturday's own night is not in
    [InlineData("2026-11-27T01:00:00", false)] // Friday 01:00 belongs to Thursday's night
    public void AcrossMidnight(string local, bool applies) => Assert.Equal(applies, Campaign("22:00", "02:00", DayOfWeek.Friday).AppliesTo(At(local)));
}
