using Points.Domain.Primitives;
using Points.Functions.Settings;
using Points.Functions.Storage;

namespace Points.Functions.Ranks;

/// <summary>
/// Members above the base rank, listed under their rank (<c>rank|{name}</c>): the members the monthly evaluation may
/// downgrade and the monthly allocation grants points to. A member is listed before the commit that raises their rank
/// (the ledger's commit path calls <see cref="ListOnRankChangeAsync"/>); the jobs remove the entry after a downgrade.
/// </summary>
public sealed class RankIndex(MemberLists lists, ProgramSettingsStore settingsStore)
{
    public static string ListOf(string rank) => $"rank|{rank}";

    /// <summary>The rank every member starts at (threshold 0): never listed, since it would be every member.</summary>
    public static Points.Domain.Earning.RankDefinition BaseRank(ProgramSettings settings) => settings.Ranks.MinBy(r => r.ThresholdYen)!;

    public static bool IsAboveBase(ProgramSettings settings, string rank) =>
        settings.Ranks.FirstOrDefault(r => r.Name == rank) is { } defined && defined.ThresholdYen > BaseRank(settings).ThresholdYen;

    /// <summary>The lists of every rank above the base one, highest first.</summary>
    public static IEnumerable<string> ListsAboveBase(ProgramSettings settings) =>
        settings.Ranks.Where(r => IsAboveBase(settings, r.Name)).OrderByDescending(r => r.ThresholdYen).Select(r => ListOf(r.Name));

    /// <summary>Lists the member when a commit changes their rank to one above the base; nothing otherwise (no request).</summary>
    public Task ListOnRankChangeAsync(MemberId memberId, string rankBefore, string rankAfter, CancellationToken cancellationToken) =>
        rankBefore == rankAfter ? Task.CompletedTask : ListIfAboveBaseAsync(memberId, rankAfter, cancellationToken);

    public async Task ListIfAboveBaseAsync(MemberId memberId, string rank, CancellationToken cancellationToken)
    {
        if (IsAboveBase(await settingsStore.GetAsync(cancellationToken), rank))
        {
            await lists.AddAsync(ListOf(rank), memberId, cancellationToken);
        }
    }
}

/// <summary>
/// Members by join month and day (<c>anniversary|MM-dd</c>), written at registration, so the daily anniversary job reads
/// only the members whose anniversary is today.
/// </summary>
public sealed class AnniversaryIndex(MemberLists lists)
{
    public static string ListOf(DateOnly joinedOn) => $"anniversary|{joinedOn.Month:D2}-{joinedOn.Day:D2}";

    /// <summary>
    /// Lists the member under their join day before the profile that names it is committed (a registration that then
    /// fails leaves an entry the job drops). A profile update that keeps the join date writes nothing.
    /// </summary>
    public Task ListAsync(MemberId memberId, DateOnly joinedOn, DateOnly? listedOn, CancellationToken cancellationToken) =>
        joinedOn == listedOn ? Task.CompletedTask : lists.AddAsync(ListOf(joinedOn), memberId, cancellationToken);

    /// <summary>The lists whose members have their anniversary on <paramref name="day"/>: Feb 29 joiners on Feb 28 of common years.</summary>
    public static IEnumerable<string> ListsDueOn(DateOnly day)
    {
        yield return ListOf(day);
        if (day is { Month: 2, Day: 28 } && !DateTime.IsLeapYear(day.Year))
        {
            yield return ListOf(new DateOnly(2000, 2, 29));
        }
    }

    /// <summary>domain.md: the join date's month and day each year; a member who joined on Feb 29 gets it on Feb 28 in common years.</summary>
    public static DateOnly AnniversaryIn(int year, DateOnly joinedOn) =>
        joinedOn is { Month: 2, Day: 29 } && !DateTime.IsLeapYear(year) ? new DateOnly(year, 2, 28) : new DateOnly(year, joinedOn.Month, joinedOn.Day);
}
