using Points.Domain.Primitives;
using Points.Domain.Ranks;
using Points.Functions.Ledger.Outbox;
using Points.Functions.Settings;
using Points.Functions.Storage;

namespace Points.Functions.Ranks;

/// <summary>
/// Members above the base rank, listed under their rank (<c>rank|{name}</c>): the members the monthly evaluation may
/// downgrade and the monthly allocation grants points to. A commit that raises a member's rank lists them after it,
/// through its outbox (<see cref="ListUnderRank"/>); the jobs remove the entry after a downgrade. The jobs run monthly,
/// so a listing that follows its commit by seconds is in time.
/// </summary>
public sealed class RankIndex(MemberLists lists, ProgramSettingsStore settingsStore) : IOutboxHandler<ListUnderRank>
{
    public static string ListOf(string rank) => $"rank|{rank}";

    /// <summary>The lists of every rank above the base one, highest first.</summary>
    public static IEnumerable<string> ListsAboveBase(ProgramSettings settings) =>
        settings.Ranks.Where(r => RankRules.IsAboveBase(settings.Ranks, r.Name)).OrderByDescending(r => r.Reach).Select(r => ListOf(r.Name));

    public Task HandleAsync(MemberId memberId, ListUnderRank item, CancellationToken cancellationToken) =>
        ListIfAboveBaseAsync(memberId, item.Rank, cancellationToken);

    /// <summary>Lists the member under <paramref name="rank"/> when it is above the base rank (the base rank would be every member).</summary>
    public async Task ListIfAboveBaseAsync(MemberId memberId, string rank, CancellationToken cancellationToken)
    {
        if (RankRules.IsAboveBase((await settingsStore.GetAsync(cancellationToken)).Ranks, rank))
        {
            await lists.AddAsync(ListOf(rank), memberId, cancellationToken);
        }
    }
}

/// <summary>
/// Members by join month and day (<c>anniversary|MM-dd</c>), so the daily anniversary job reads only the members whose
/// anniversary is today. A registration (or a changed join date) lists the member through its commit's outbox
/// (<see cref="ListForAnniversary"/>); the job drops entries that no longer apply.
/// </summary>
public sealed class AnniversaryIndex(MemberLists lists) : IOutboxHandler<ListForAnniversary>
{
    public static string ListOf(DateOnly joinedOn) => $"anniversary|{joinedOn.Month:D2}-{joinedOn.Day:D2}";

    public Task HandleAsync(MemberId memberId, ListForAnniversary item, CancellationToken cancellationToken) =>
        lists.AddAsync(ListOf(item.JoinedOn), memberId, cancellationToken);

    /// <summary>The lists whose members have their anniversary on <paramref name="day"/>: Feb 29 joiners on Feb 28 of common years.</summary>
    public static IEnumerable<string> ListsDueOn(DateOnly day)
    {
        yield return ListOf(day);
        if (day is { Month: 2, Day: 28 } && !DateTime.IsLeapYear(day.Year))
        {
            yield return ListOf(new DateOnly(2000, 2, 29));
        }
    }
}

/// <summary>
/// Members by birth month and day (<c>birthday|MM-dd</c>) and by birth month (<c>birth-month|MM</c>), so the daily
/// birthday job reads only the members whose birthday is today, and on the 1st those born in the month. A birth date
/// given or changed lists the member through its commit's outbox (<see cref="ListForBirthday"/>); the job drops entries
/// that no longer apply, so a change moves the member between lists.
/// </summary>
public sealed class BirthdayIndex(MemberLists lists) : IOutboxHandler<ListForBirthday>
{
    public const string MonthListPrefix = "birth-month|";

    public static string ListOf(DateOnly birthDate) => $"birthday|{birthDate.Month:D2}-{birthDate.Day:D2}";

    public static string MonthListOf(DateOnly birthDate) => $"{MonthListPrefix}{birthDate.Month:D2}";

    public Task HandleAsync(MemberId memberId, ListForBirthday item, CancellationToken cancellationToken) => ListAsync(memberId, item.BirthDate, cancellationToken);

    public async Task ListAsync(MemberId memberId, DateOnly birthDate, CancellationToken cancellationToken)
    {
        await lists.AddAsync(ListOf(birthDate), memberId, cancellationToken);
        await lists.AddAsync(MonthListOf(birthDate), memberId, cancellationToken);
    }

    /// <summary>The lists read on <paramref name="day"/>: its birthdays (Feb 29 ones on Feb 28 of common years), and on the 1st the month's.</summary>
    public static IEnumerable<string> ListsDueOn(DateOnly day)
    {
        yield return ListOf(day);
        if (day is { Month: 2, Day: 28 } && !DateTime.IsLeapYear(day.Year)) yield return ListOf(new DateOnly(2000, 2, 29));
        if (day.Day == 1) yield return MonthListOf(day);
    }
}
