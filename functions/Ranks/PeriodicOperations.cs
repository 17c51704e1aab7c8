using System.Collections.Immutable;
using System.Globalization;
using Points.Domain.Earning;
using Points.Domain.Ledger;
using Points.Functions.Earning;
using Points.Functions.Ledger;
using Points.Functions.Settings;

namespace Points.Functions.Ranks;

/// <summary>What a periodic operation did to one member (the operation's response body).</summary>
public sealed record PeriodicOutcome(string Rank, string? RankBefore, long PointsGranted);

/// <summary>
/// The per-member decisions of the periodic jobs (F18, F19). Pure, like every member operation: they run inside the
/// member's commit, are checked against <see cref="PeriodBookkeeping"/> first, and change nothing when the period is done.
/// </summary>
public static class PeriodicOperations
{
    /// <summary>The monthly evaluation for <paramref name="month"/>: downgrades or confirms, never upgrades (purchases do).</summary>
    public static MemberOperation EvaluateRank(string month, ProgramSettings settings) =>
        new(EvaluateRanksJob.FunctionName, null, "", input => DecideMonth(input, month, settings, grantPoints: false), SuccessStatus: 200);

    /// <summary>
    /// The monthly rank points for <paramref name="month"/>, after that month's evaluation (done here when the evaluation
    /// job has not reached the member yet), so the points always follow the evaluated rank whichever job runs first.
    /// </summary>
    public static MemberOperation AllocateRankPoints(string month, ProgramSettings settings) =>
        new(AllocateRankPointsJob.FunctionName, null, "", input => DecideMonth(input, month, settings, grantPoints: true), SuccessStatus: 200);

    /// <summary>
    /// The rank a member keeps at the evaluation of <paramref name="month"/>. The metric is the purchases of the 12
    /// complete months before it, or, when higher, the purchase-time metric of today (the 12 months ending with today's
    /// month): the evaluation never takes a rank away that the member's next purchase would give back at once.
    /// </summary>
    public static RankDefinition RankAtEvaluation(MemberEarning earning, ProgramSettings settings, string month, DateOnly today)
    {
        var current = settings.RankNamed(earning.Rank);
        var metric = Math.Max(earning.TrailingYearYen(ProgramCalendar.FirstDayOf(month).AddMonths(-1)), earning.TrailingYearYen(today));
        var reached = RankDefinition.For(settings.Ranks, metric);
        return reached.ThresholdYen < current.ThresholdYen ? reached : current;
    }

    private static OperationDecision DecideMonth(MemberOperationInput input, string month, ProgramSettings settings, bool grantPoints)
    {
        var account = input.Account;
        var periods = account.Periods;
        var earning = account.Earning;
        if (!periods.IsRankEvaluatedFor(month))
        {
            earning = earning with { Rank = RankAtEvaluation(earning, settings, month, input.Context.Today).Name };
            periods = periods with { RankEvaluatedFor = month };
        }

        var rank = settings.RankNamed(earning.Rank);
        var grant = grantPoints && !periods.AreRankPointsGrantedFor(month) && rank.MonthlyPoints > 0;
        if (!grant && periods == account.Periods)
        {
            return new OperationDecision.Accepted(account, [], new PeriodicOutcome(earning.Rank, earning.Rank, 0)); // done before: nothing to commit
        }

        var ledger = account.Ledger;
        var entries = ImmutableArray<JournalEntry>.Empty;
        if (grant)
        {
            var credit = new LedgerCommand.Credit(EntryType.Earn, rank.MonthlyPoints, LotKind.Regular, null)
            {
                Details = new EntryDetails($"rank-allocation:{month}", [], $"monthly points of rank {rank.Name}", null, null),
            };
            switch (LedgerDecider.Decide(ledger, credit, input.Context))
            {
                case LedgerOutcome.Accepted accepted:
                    (ledger, entries) = (accepted.State, accepted.Entries);
                    periods = periods with { RankPointsGrantedFor = month };
                    break;
                case LedgerOutcome.Rejected rejected:
                    return OperationDecision.Rejected.Of(rejected);
            }
        }
        return new OperationDecision.Accepted(account with { Ledger = ledger, Earning = earning, Periods = periods }, entries,
            new PeriodicOutcome(earning.Rank, account.Earning.Rank, grant ? rank.MonthlyPoints : 0));
    }

    /// <summary>
    /// Anniversary points for the anniversary falling on <paramref name="day"/>, by the rules with trigger
    /// <c>anniversary</c>, once per member per year. A member whose anniversary is not that day (the join date changed
    /// since they were listed) or who joined this year gets nothing. When no rule grants anything, nothing is recorded,
    /// so a rule added later that day still applies on a rerun.
    /// </summary>
    public static MemberOperation GrantAnniversary(DateOnly day, IReadOnlyList<EarningRule> rules, IReadOnlyList<Campaign> campaigns,
        ProgramSettings settings) =>
        new(GrantAnniversaryPointsJob.FunctionName, null, "", input => DecideAnniversary(input, day, rules, campaigns, settings), SuccessStatus: 200);

    public static bool IsAnniversary(DateOnly joinedOn, DateOnly day) =>
        day.Year > joinedOn.Year && AnniversaryIndex.AnniversaryIn(day.Year, joinedOn) == day;

    private static OperationDecision DecideAnniversary(MemberOperationInput input, DateOnly day, IReadOnlyList<EarningRule> rules,
        IReadOnlyList<Campaign> campaigns, ProgramSettings settings)
    {
        var account = input.Account;
        var unchanged = new OperationDecision.Accepted(account, [], new PeriodicOutcome(account.Earning.Rank, null, 0));
        if (!IsAnniversary(account.Profile.JoinedOn, day) || account.Periods.IsAnniversaryGrantedFor(day.Year))
        {
            return unchanged;
        }
        var anniversary = new EarningOperation.Input($"anniversary:{day.Year}", Triggers.Anniversary, input.Context.Now, null,
            account.Profile.StoreId, null, null);
        if (EarningOperation.Decide(input, anniversary, rules, campaigns, settings) is not OperationDecision.Accepted { Entries.IsEmpty: false } granted)
        {
            return unchanged;
        }
        return granted with
        {
            Account = granted.Account with { Periods = granted.Account.Periods with { AnniversaryGrantedFor = day.Year } },
            Response = new PeriodicOutcome(account.Earning.Rank, null, granted.Entries.Where(e => e.Type == EntryType.Earn).Sum(e => e.Points.Value)),
        };
    }
}
