using Points.Domain.Earning;
using Points.Domain.Members;
using Points.Domain.Primitives;

namespace Points.Domain.Ranks;

/// <summary>
/// Ranks (domain.md "Ranks", F18): the metric is the program's (by default the purchase amount of the trailing 12
/// program-zone months); an activity that raises it past a higher threshold upgrades at once; only the monthly
/// evaluation lowers a rank.
/// </summary>
public static class RankRules
{
    /// <summary>The rank every member starts at (threshold 0).</summary>
    public static RankDefinition Base(IReadOnlyList<RankDefinition> ranks) => ranks.MinBy(r => r.Reach)!;

    /// <summary>The member's rank by name; the base rank when the name is no longer defined (an admin removed it).</summary>
    public static RankDefinition Named(IReadOnlyList<RankDefinition> ranks, string name) =>
        ranks.FirstOrDefault(r => r.Name == name) ?? RankDefinition.For(ranks, 0);

    public static bool IsAboveBase(IReadOnlyList<RankDefinition> ranks, string rank) =>
        ranks.FirstOrDefault(r => r.Name == rank) is { } defined && defined.Reach > Base(ranks).Reach;

    /// <summary>The rank after an activity (a purchase, an earn) that brought the trailing metric to <paramref name="metric"/>: up, never down.</summary>
    public static RankDefinition AfterActivity(IReadOnlyList<RankDefinition> ranks, RankDefinition current, long metric)
    {
        var reached = RankDefinition.For(ranks, metric);
        return reached.Reach > current.Reach ? reached : current;
    }

    /// <summary>
    /// The rank a member keeps at the evaluation of <paramref name="month"/>. The metric is that of the complete months
    /// before it, or, when higher, the activity-time metric of today (the window ending with today's month): the
    /// evaluation never takes a rank away that the member's next activity would give back at once. It lowers or keeps,
    /// never raises.
    /// </summary>
    public static RankDefinition AtEvaluation(MemberEarning earning, IReadOnlyList<RankDefinition> ranks, RankMetric metric, string month, DateOnly today)
    {
        var current = Named(ranks, earning.Rank);
        var previousMonths = earning.Trailing(metric, CalendarText.FirstDayOf(month).AddMonths(-1));
        var untilToday = earning.Trailing(metric, today);
        var reached = RankDefinition.For(ranks, Math.Max(previousMonths, untilToday));
        return reached.Reach < current.Reach ? reached : current;
    }

    /// <summary>A commit that changes the member's rank lists them under the new one (the monthly jobs read those lists).</summary>
    public static (Member Member, IReadOnlyList<OutboxItem> Items) DeriveListing(Member? before, Member after, DateOnly today) =>
        (after, (before?.Earning.Rank ?? MemberEarning.New.Rank) == after.Earning.Rank ? [] : [new ListUnderRank(after.Earning.Rank)]);
}

/// <summary>List the member under <paramref name="Rank"/> when it is above the base rank (the evaluation and allocation lists).</summary>
public sealed record ListUnderRank(string Rank) : OutboxItem
{
    public override string Id => "rank|" + Rank;
}

/// <summary>Anniversaries (F19): the join date's month and day every year.</summary>
public static class Anniversaries
{
    /// <summary>domain.md: a member who joined on Feb 29 has the anniversary on Feb 28 in common years.</summary>
    public static DateOnly In(int year, DateOnly joinedOn) =>
        joinedOn is { Month: 2, Day: 29 } && !DateTime.IsLeapYear(year) ? new DateOnly(year, 2, 28) : new DateOnly(year, joinedOn.Month, joinedOn.Day);

    /// <summary>Whether <paramref name="day"/> is an anniversary of <paramref name="joinedOn"/> (not the join day itself).</summary>
    public static bool Falls(DateOnly joinedOn, DateOnly day) => day.Year > joinedOn.Year && In(day.Year, joinedOn) == day;

    /// <summary>A new member, or a changed join date, is listed under the join day (the daily job reads that list).</summary>
    public static (Member Member, IReadOnlyList<OutboxItem> Items) DeriveListing(Member? before, Member after, DateOnly today) =>
        (after, before?.Profile.JoinedOn == after.Profile.JoinedOn ? [] : [new ListForAnniversary(after.Profile.JoinedOn)]);
}

/// <summary>List the member under the month and day of <paramref name="JoinedOn"/>.</summary>
public sealed record ListForAnniversary(DateOnly JoinedOn) : OutboxItem
{
    public override string Id => $"anniversary|{CalendarText.DayOf(JoinedOn)}";
}

/// <summary>Birthdays: the birth date's month and day every year, and the birth month.</summary>
public static class Birthdays
{
    /// <summary>Whether <paramref name="day"/> is a birthday of <paramref name="birthDate"/> (Feb 29 on Feb 28 in common years).</summary>
    public static bool Falls(DateOnly birthDate, DateOnly day) => day.Year > birthDate.Year && Anniversaries.In(day.Year, birthDate) == day;

    /// <summary>Whether <paramref name="day"/> is the first day of the birth month of <paramref name="birthDate"/>.</summary>
    public static bool BeginsBirthMonth(DateOnly birthDate, DateOnly day) => day.Year > birthDate.Year && day.Day == 1 && day.Month == birthDate.Month;

    /// <summary>A birth date given or changed lists the member under it (the daily birthday job reads those lists).</summary>
    public static (Member Member, IReadOnlyList<OutboxItem> Items) DeriveListing(Member? before, Member after, DateOnly today) =>
        (after, after.Profile.BirthDate is { } born && before?.Profile.BirthDate != born ? [new ListForBirthday(born)] : []);
}

/// <summary>List the member under the month and day of <paramref name="BirthDate"/> and under its month.</summary>
public sealed record ListForBirthday(DateOnly BirthDate) : OutboxItem
{
    public override string Id => $"birthday|{CalendarText.DayOf(BirthDate)}";
}
