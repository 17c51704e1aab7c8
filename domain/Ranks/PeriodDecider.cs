using System.Collections.Immutable;
using Points.Domain.Earning;
using Points.Domain.Ledger;
using Points.Domain.Members;
using Points.Domain.Primitives;

namespace Points.Domain.Ranks;

/// <summary>What a periodic job did to one member: the rank now, the rank before (null when not evaluated) and points granted.</summary>
public sealed record PeriodicOutcome(string Rank, string? RankBefore, long PointsGranted);

/// <summary>
/// The per-member decisions of the periodic jobs (F18, F19). Each is checked against <see cref="PeriodBookkeeping"/>
/// first and changes nothing when its period is done, so reruns and redelivered shards grant nothing twice.
/// </summary>
public static class PeriodDecider
{
    /// <summary>The monthly evaluation for <paramref name="month"/>: downgrades or confirms, never upgrades (purchases do).</summary>
    public static MemberDecision EvaluateRank(Member member, string month, IReadOnlyList<RankDefinition> ranks, LedgerContext context,
        RankMetric? metric = null) =>
        DecideMonth(member, month, ranks, metric ?? RankMetric.Default, grantPoints: false, context);

    /// <summary>
    /// The monthly rank points for <paramref name="month"/>, after that month's evaluation (done here when the evaluation
    /// job has not reached the member yet), so the points always follow the evaluated rank whichever job runs first.
    /// </summary>
    public static MemberDecision AllocateRankPoints(Member member, string month, IReadOnlyList<RankDefinition> ranks, LedgerContext context,
        RankMetric? metric = null) =>
        DecideMonth(member, month, ranks, metric ?? RankMetric.Default, grantPoints: true, context);

    private static MemberDecision DecideMonth(Member member, string month, IReadOnlyList<RankDefinition> ranks, RankMetric metric, bool grantPoints,
        LedgerContext context)
    {
        var periods = member.Periods;
        var earning = member.Earning;
        if (!periods.IsRankEvaluatedFor(month))
        {
            earning = earning with { Rank = RankRules.AtEvaluation(earning, ranks, metric, month, context.Today).Name };
            periods = periods with { RankEvaluatedFor = month };
        }

        var rank = RankRules.Named(ranks, earning.Rank);
        var grant = grantPoints && !periods.AreRankPointsGrantedFor(month) && rank.MonthlyPoints > 0;
        if (!grant && periods == member.Periods)
        {
            return new MemberDecision.Accepted(member, [], new PeriodicOutcome(earning.Rank, earning.Rank, 0)); // done before: nothing to commit
        }

        var ledger = member.Ledger;
        var entries = ImmutableArray<JournalEntry>.Empty;
        if (grant)
        {
            var credit = new LedgerCommand.Credit(EntryType.Earn, rank.MonthlyPoints, LotKind.Regular, null)
            {
                Details = new EntryDetails($"rank-allocation:{month}", [], $"monthly points of rank {rank.Name}", null, null),
            };
            switch (LedgerDecider.Decide(ledger, credit, context))
            {
                case LedgerOutcome.Accepted accepted:
                    (ledger, entries) = (accepted.State, accepted.Entries);
                    periods = periods with { RankPointsGrantedFor = month };
                    break;
                case LedgerOutcome.Rejected rejected:
                    return MemberDecision.Rejected.Of(rejected);
            }
        }
        return new MemberDecision.Accepted(member with { Ledger = ledger, Earning = earning, Periods = periods }, entries,
            new PeriodicOutcome(earning.Rank, member.Earning.Rank, grant ? rank.MonthlyPoints : 0));
    }

    /// <summary>
    /// Anniversary points for the anniversary falling on <paramref name="day"/>, by the rules with trigger
    /// <c>anniversary</c>, once per member per year. A member whose anniversary is not that day (the join date changed
    /// since they were listed) or who joined this year gets nothing. When no rule grants anything, nothing is recorded,
    /// so a rule added later that day still applies on a rerun.
    /// </summary>
    public static MemberDecision GrantAnniversary(Member member, DateOnly day, EarningConfig config, LedgerContext context) =>
        GrantYearly(member, day, Triggers.Anniversary, Anniversaries.Falls(member.Profile.JoinedOn, day) && !member.Periods.IsAnniversaryGrantedFor(day.Year),
            periods => periods with { AnniversaryGrantedFor = day.Year }, config, context);

    /// <summary>
    /// Birthday points (rules with trigger <c>birthday</c>) on the birthday falling on <paramref name="day"/>, or
    /// birth-month points (trigger <c>birth_month</c>) on the first day of the birth month: each once per member and
    /// year, so a birth date changed after the grant does not grant again that year. A member without a birth date, or
    /// whose birthday is not that day, gets nothing.
    /// </summary>
    public static MemberDecision GrantBirthday(Member member, DateOnly day, bool birthMonth, EarningConfig config, LedgerContext context)
    {
        var born = member.Profile.BirthDate;
        return birthMonth
            ? GrantYearly(member, day, Triggers.BirthMonth, born is { } b && Birthdays.BeginsBirthMonth(b, day) && !(member.Periods.BirthMonthGrantedFor >= day.Year),
                periods => periods with { BirthMonthGrantedFor = day.Year }, config, context)
            : GrantYearly(member, day, Triggers.Birthday, born is { } d && Birthdays.Falls(d, day) && !(member.Periods.BirthdayGrantedFor >= day.Year),
                periods => periods with { BirthdayGrantedFor = day.Year }, config, context);
    }

    /// <summary>A yearly grant by the rules of <paramref name="trigger"/>, recorded in the member's periods when it granted anything.</summary>
    private static MemberDecision GrantYearly(Member member, DateOnly day, string trigger, bool due, Func<PeriodBookkeeping, PeriodBookkeeping> done,
        EarningConfig config, LedgerContext context)
    {
        var unchanged = new MemberDecision.Accepted(member, [], new PeriodicOutcome(member.Earning.Rank, null, 0));
        if (!due)
        {
            return unchanged;
        }
        var yearly = new EarnCommand(new EarningEvent($"{trigger}:{day.Year}", trigger, context.Now, context.Today, null, member.Profile.StoreId, null) { LocalTime = context.LocalTime }, null);
        var outcome = EarningDecider.Earn(member, yearly, config, context);
        if (outcome is not EarningOutcome.Earned granted)
        {
            return outcome.ToDecision();
        }
        if (granted.Entries.IsEmpty)
        {
            return unchanged;
        }
        return new MemberDecision.Accepted(granted.Member with { Periods = done(granted.Member.Periods) },
            granted.Entries, new PeriodicOutcome(member.Earning.Rank, null, granted.Entries.Where(e => e.Type == EntryType.Earn).Sum(e => e.Points).Value));
    }
}
