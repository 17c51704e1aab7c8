using Points.Domain.Earning;
using Points.Domain.Ranks;
using Points.Functions.Ledger;
using Points.Functions.Settings;

namespace Points.Functions.Ranks;

/// <summary>
/// The per-member operations of the periodic jobs (F18, F19), decided by <see cref="PeriodDecider"/> inside the
/// member's commit: checked against the member's period bookkeeping first, so they change nothing when their period is done.
/// </summary>
public static class PeriodicOperations
{
    public static MemberOperation EvaluateRank(string month, ProgramSettings settings) =>
        new(EvaluateRanksJob.FunctionName, null, "", input => PeriodDecider.EvaluateRank(input.Member, month, settings.Ranks, input.Context, settings.RankMetric.ToMetric()));

    public static MemberOperation AllocateRankPoints(string month, ProgramSettings settings) =>
        new(AllocateRankPointsJob.FunctionName, null, "", input => PeriodDecider.AllocateRankPoints(input.Member, month, settings.Ranks, input.Context, settings.RankMetric.ToMetric()));

    public static MemberOperation GrantBirthday(DateOnly day, bool birthMonth, EarningConfig config) =>
        new(GrantBirthdayPointsJob.FunctionName, null, "", input => PeriodDecider.GrantBirthday(input.Member, day, birthMonth, config, input.Context));

    public static MemberOperation GrantAnniversary(DateOnly day, EarningConfig config) =>
        new(GrantAnniversaryPointsJob.FunctionName, null, "", input => PeriodDecider.GrantAnniversary(input.Member, day, config, input.Context));
}
