using System.Globalization;
using Points.Domain.Primitives;
using Points.Functions.Earning;
using Points.Functions.Settings;
using Points.Functions.Storage;

namespace Points.Functions.Ranks;

/// <summary>
/// A timer job that fans out: for each period due since its last completed one, it reads the index lists of the members
/// concerned page by page and sends them as shards to the <c>ledger-jobs</c> queue, then records the period in its
/// checkpoint (container <c>jobs</c>). Its cost follows the members listed, not all members. A rerun of a completed
/// period sends nothing; a run that stopped halfway is redone whole on the next run, which is harmless because every
/// member's processing is idempotent per period (<see cref="Points.Domain.Ranks.PeriodBookkeeping"/>).
/// </summary>
public abstract partial class FanOutJob(string name, MemberLists lists, LedgerJobQueue queue, JobCheckpoints checkpoints,
    ProgramSettingsStore settingsStore, TimeProvider clock, ILogger log)
{
    public sealed record Summary(IReadOnlyList<string> Periods, int Members, int Shards);

    public string Name { get; } = name;

    protected MemberLists Lists => lists;

    /// <summary>The periods to run now, oldest first, given the last completed one (null before the first run).</summary>
    protected abstract IEnumerable<string> DuePeriods(string? lastCompleted, DateOnly today);

    /// <summary>The index lists holding the members concerned by <paramref name="period"/>.</summary>
    protected abstract IEnumerable<string> ListsFor(string period, ProgramSettings settings);

    /// <summary>What <c>ProcessLedgerJobs</c> does with a shard of this job: the operation for each member, and the list's upkeep.</summary>
    public abstract Task<LedgerJobPlan> PlanAsync(LedgerJobShard shard, ProgramSettings settings, CancellationToken cancellationToken);

    public async Task<Summary> RunAsync(bool isPastDue, CancellationToken cancellationToken)
    {
        var settings = await settingsStore.GetAsync(cancellationToken);
        var today = ProgramCalendar.DateOf(clock.GetUtcNow(), settings.Zone);
        var periods = DuePeriods(await checkpoints.LastCompletedAsync(Name, cancellationToken), today).ToList();
        int members = 0, shards = 0;
        foreach (var period in periods)
        {
            foreach (var list in ListsFor(period, settings))
            {
                await foreach (var page in lists.ReadPagesAsync(list, cancellationToken))
                {
                    shards += await queue.EnqueueAsync(Name, period, list, page, cancellationToken);
                    members += page.Count;
                }
            }
            await checkpoints.CompleteAsync(Name, period, cancellationToken);
        }
        LogRun(log, Name, isPastDue, string.Join(", ", periods), members, shards);
        return new Summary(periods, members, shards);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Function} (past due: {IsPastDue}): periods [{Periods}], {Members} members in {Shards} shards")]
    private static partial void LogRun(ILogger log, string function, bool isPastDue, string periods, int members, int shards);
}

/// <summary>
/// A job done once a month, for the program-zone month. It is scheduled daily and acts on the first run of a month
/// whose checkpoint is behind: NCRONTAB (UTC) cannot say "03:00 JST on the 1st", which is 18:00 UTC on the last day of
/// the previous month (no <c>L</c>), and a daily schedule also catches up, the next day, a month whose first run was
/// missed or failed (timers do not retry; a missed run executes once as past due). A month missed entirely is not
/// granted afterwards: the job always works for the current month only.
/// </summary>
public abstract class MonthlyFanOutJob(string name, MemberLists lists, LedgerJobQueue queue, JobCheckpoints checkpoints,
    ProgramSettingsStore settingsStore, TimeProvider clock, ILogger log)
    : FanOutJob(name, lists, queue, checkpoints, settingsStore, clock, log)
{
    protected override IEnumerable<string> DuePeriods(string? lastCompleted, DateOnly today)
    {
        var month = CalendarText.MonthOf(today);
        if (lastCompleted is null || string.CompareOrdinal(lastCompleted, month) < 0) yield return month;
    }
}

/// <summary>
/// Monthly rank evaluation (F18), daily at 18:00 UTC = 03:00 JST, acting on the 1st (see <see cref="MonthlyFanOutJob"/>).
/// Reads the members above the base rank and, for each, keeps or lowers the rank by the trailing 12 months of
/// purchases. Downgrades happen only here; upgrades happen at purchase time.
/// </summary>
public sealed class EvaluateRanksJob(MemberLists lists, LedgerJobQueue queue, JobCheckpoints checkpoints, ProgramSettingsStore settings,
    TimeProvider clock, ILogger<EvaluateRanksJob> log, RankIndex rankIndex)
    : MonthlyFanOutJob(FunctionName, lists, queue, checkpoints, settings, clock, log)
{
    public const string FunctionName = "EvaluateRanks";

    protected override IEnumerable<string> ListsFor(string period, ProgramSettings settings) => RankIndex.ListsAboveBase(settings);

    public override Task<LedgerJobPlan> PlanAsync(LedgerJobShard shard, ProgramSettings settings, CancellationToken cancellationToken) =>
        Task.FromResult(LedgerJobPlan.ForRankList(PeriodicOperations.EvaluateRank(shard.Period, settings), shard.List, rankIndex));
}

/// <summary>
/// Monthly rank points (F19), daily at 18:30 UTC = 03:30 JST, acting on the 1st after the evaluation. Reads only the
/// ranks that grant monthly points; each member gets their evaluated rank's points once per month.
/// </summary>
public sealed class AllocateRankPointsJob(MemberLists lists, LedgerJobQueue queue, JobCheckpoints checkpoints, ProgramSettingsStore settings,
    TimeProvider clock, ILogger<AllocateRankPointsJob> log, RankIndex rankIndex)
    : MonthlyFanOutJob(FunctionName, lists, queue, checkpoints, settings, clock, log)
{
    public const string FunctionName = "AllocateRankPoints";

    protected override IEnumerable<string> ListsFor(string period, ProgramSettings settings) =>
        RankIndex.ListsAboveBase(settings).Where(list => settings.Ranks.Any(r => RankIndex.ListOf(r.Name) == list && r.MonthlyPoints > 0));

    public override Task<LedgerJobPlan> PlanAsync(LedgerJobShard shard, ProgramSettings settings, CancellationToken cancellationToken) =>
        Task.FromResult(LedgerJobPlan.ForRankList(PeriodicOperations.AllocateRankPoints(shard.Period, settings), shard.List, rankIndex));
}

/// <summary>
/// A job for each day: it catches up every day since its last completed one, at most <see cref="JobCheckpoints.CatchUpDaysMax"/>; a
/// first run does today only (it does not grant what passed before it existed).
/// </summary>
public abstract class DailyFanOutJob(string name, MemberLists lists, LedgerJobQueue queue, JobCheckpoints checkpoints,
    ProgramSettingsStore settingsStore, TimeProvider clock, ILogger log)
    : FanOutJob(name, lists, queue, checkpoints, settingsStore, clock, log)
{
    protected override IEnumerable<string> DuePeriods(string? lastCompleted, DateOnly today) =>
        JobCheckpoints.DaysDue(lastCompleted, today).Select(CalendarText.DayOf);
}

/// <summary>
/// Anniversary points (F19), daily at 15:15 UTC = 00:15 JST. Reads the members who joined on today's month and day
/// (and Feb 29 joiners on Feb 28 of common years).
/// </summary>
public sealed class GrantAnniversaryPointsJob(MemberLists lists, LedgerJobQueue queue, JobCheckpoints checkpoints, ProgramSettingsStore settings,
    TimeProvider clock, ILogger<GrantAnniversaryPointsJob> log, EarningConfigStore earningConfig)
    : DailyFanOutJob(FunctionName, lists, queue, checkpoints, settings, clock, log)
{
    public const string FunctionName = "GrantAnniversaryPoints";

    protected override IEnumerable<string> ListsFor(string period, ProgramSettings settings) => AnniversaryIndex.ListsDueOn(CalendarText.ParseDay(period));

    public override async Task<LedgerJobPlan> PlanAsync(LedgerJobShard shard, ProgramSettings settings, CancellationToken cancellationToken)
    {
        var config = await earningConfig.GetConfigAsync(settings, cancellationToken);
        return new LedgerJobPlan(PeriodicOperations.GrantAnniversary(CalendarText.ParseDay(shard.Period), config),
            member => AnniversaryIndex.ListOf(member.Profile.JoinedOn) == shard.List,
            (memberId, member, ct) => Lists.AddAsync(AnniversaryIndex.ListOf(member.Profile.JoinedOn), memberId, ct));
    }
}

/// <summary>
/// Birthday and birth-month points, daily at 15:25 UTC = 00:25 JST. Reads the members whose birthday is today (rules
/// with trigger <c>birthday</c>) and, on the 1st, those born in the month (trigger <c>birth_month</c>).
/// </summary>
public sealed class GrantBirthdayPointsJob(MemberLists lists, LedgerJobQueue queue, JobCheckpoints checkpoints, ProgramSettingsStore settings,
    TimeProvider clock, ILogger<GrantBirthdayPointsJob> log, EarningConfigStore earningConfig, BirthdayIndex birthdays)
    : DailyFanOutJob(FunctionName, lists, queue, checkpoints, settings, clock, log)
{
    public const string FunctionName = "GrantBirthdayPoints";

    protected override IEnumerable<string> ListsFor(string period, ProgramSettings settings) => BirthdayIndex.ListsDueOn(CalendarText.ParseDay(period));

    public override async Task<LedgerJobPlan> PlanAsync(LedgerJobShard shard, ProgramSettings settings, CancellationToken cancellationToken)
    {
        var config = await earningConfig.GetConfigAsync(settings, cancellationToken);
        var birthMonth = shard.List.StartsWith(BirthdayIndex.MonthListPrefix, StringComparison.Ordinal);
        return new LedgerJobPlan(PeriodicOperations.GrantBirthday(CalendarText.ParseDay(shard.Period), birthMonth, config),
            member => member.Profile.BirthDate is { } born && (birthMonth ? BirthdayIndex.MonthListOf(born) : BirthdayIndex.ListOf(born)) == shard.List,
            (memberId, member, ct) => member.Profile.BirthDate is { } born ? birthdays.ListAsync(memberId, born, ct) : Task.CompletedTask);
    }
}
