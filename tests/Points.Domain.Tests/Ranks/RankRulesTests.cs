using Points.Domain.Earning;
using Points.Domain.Ledger;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Domain.Ranks;
using static Points.Domain.Tests.Members.MemberScenario;

namespace Points.Domain.Tests.Ranks;

/// <summary>domain.md "Ranks": thresholds over the trailing 12 JST months (bronze 0, silver 50,000, gold 200,000 yen).</summary>
public sealed class RankRulesTests
{
    [Theory]
    [InlineData("bronze", 49_999, "bronze")]
    [InlineData("bronze", 50_000, "silver")]
    [InlineData("bronze", 200_000, "gold")]
    [InlineData("silver", 10_000, "silver")] // a purchase never lowers a rank
    [InlineData("gold", 60_000, "gold")]
    public void AfterPurchase_UpgradesAtOnce_NeverDowngrades(string current, long trailingYen, string expected) =>
        Assert.Equal(expected, RankRules.AfterActivity(DefaultRanks, RankRules.Named(DefaultRanks, current), trailingYen).Name);

    /// <summary>Evaluation of December 2026: the 12 complete months before (Dec 2025..Nov 2026), or today's purchase-time metric if higher.</summary>
    [Theory]
    [InlineData("gold", "2026-11", 250_000, "gold")]
    [InlineData("gold", "2026-11", 199_999, "silver")]
    [InlineData("gold", "2025-12", 60_000, "silver")]   // still inside the 12 months
    [InlineData("gold", "2025-11", 250_000, "bronze")]  // 13 months ago: out of the metric
    [InlineData("silver", "2026-06", 49_999, "bronze")]
    [InlineData("bronze", "2026-11", 500_000, "bronze")] // the evaluation never raises (purchases do)
    public void AtEvaluation_LowersOrKeeps_ByTheTwelveCompleteMonthsBefore(string current, string month, long yen, string expected)
    {
        var member = With(rank: current, purchases: Bought(month, yen));
        Assert.Equal(expected, RankRules.AtEvaluation(member.Earning, DefaultRanks, RankMetric.Default, "2026-12", new DateOnly(2026, 12, 1)).Name);
    }

    [Fact]
    public void AtEvaluation_KeepsARank_ThatTodaysPurchasesWouldGiveBackAtOnce()
    {
        // Nothing in the 12 months before December, but 60,000 yen bought on December 1st before the job ran.
        var member = With(rank: "silver", purchases: Bought("2026-12", 60_000));
        Assert.Equal("silver", RankRules.AtEvaluation(member.Earning, DefaultRanks, RankMetric.Default, "2026-12", new DateOnly(2026, 12, 1)).Name);
    }

    [Fact]
    public void EvaluateRank_OncePerMonth_SecondRunChangesNothing()
    {
        var member = With(rank: "gold", purchases: Bought("2026-10", 60_000));
        var first = Accepted(PeriodDecider.EvaluateRank(member, "2026-12", DefaultRanks, Context()));
        Assert.Equal(new PeriodicOutcome("silver", "gold", 0), first.Result);

        var again = Accepted(PeriodDecider.EvaluateRank(first.Member, "2026-12", DefaultRanks, Context()));
        Assert.Same(first.Member, again.Member);
        Assert.Equal(new PeriodicOutcome("silver", "silver", 0), again.Result);
    }

    [Theory]
    [InlineData("gold", 500)]
    [InlineData("silver", 100)]
    [InlineData("bronze", 0)]
    public void AllocateRankPoints_GrantsTheEvaluatedRanksPoints_OncePerMonth(string rank, long expected)
    {
        var member = With(rank: rank, purchases: Bought("2026-11", 250_000));
        var granted = Accepted(PeriodDecider.AllocateRankPoints(member, "2026-12", DefaultRanks, Context()));
        Assert.Equal(expected, granted.Member.Ledger.Balance.Value);
        Assert.Equal(expected, ((PeriodicOutcome)granted.Result).PointsGranted);

        var again = Accepted(PeriodDecider.AllocateRankPoints(granted.Member, "2026-12", DefaultRanks, Context()));
        Assert.Empty(again.Entries);
        Assert.Equal(expected, again.Member.Ledger.Balance.Value);
    }

    [Fact]
    public void RankChange_IsListedUnderTheNewRank_AndNoChangeListsNothing()
    {
        var bronze = With(rank: "bronze");
        var gold = bronze with { Earning = bronze.Earning with { Rank = "gold" } };
        Assert.Equal([new ListUnderRank("gold")], RankRules.DeriveListing(bronze, gold, Today).Items);
        Assert.Empty(RankRules.DeriveListing(gold, gold, Today).Items);
        Assert.Empty(RankRules.DeriveListing(null, bronze, Today).Items); // a new member starts at the base rank
    }

    [Theory]
    [InlineData("2024-02-29", "2025-02-28", true)]
    [InlineData("2024-02-29", "2025-03-01", false)]
    [InlineData("2024-02-29", "2028-02-28", false)]
    [InlineData("2024-02-29", "2028-02-29", true)]
    [InlineData("2024-02-29", "2024-02-29", false)] // the join day itself
    [InlineData("2026-11-23", "2027-11-23", true)]
    [InlineData("2026-02-28", "2028-02-28", true)]
    [InlineData("2026-02-28", "2028-02-29", false)]
    public void AnniversaryDay_FollowsTheJoinDate_WithFeb29OnFeb28InCommonYears(string joinedOn, string day, bool expected) =>
        Assert.Equal(expected, Anniversaries.Falls(DateOnly.Parse(joinedOn), DateOnly.Parse(day)));

    [Fact]
    public void Registration_AndAChangedJoinDate_AreListedForTheAnniversary()
    {
        var member = With();
        Assert.Equal([new ListForAnniversary(member.Profile.JoinedOn)], Anniversaries.DeriveListing(null, member, Today).Items);
        Assert.Empty(Anniversaries.DeriveListing(member, member, Today).Items);
        var moved = member with { Profile = member.Profile with { JoinedOn = new DateOnly(2025, 5, 5) } };
        Assert.Equal([new ListForAnniversary(new DateOnly(2025, 5, 5))], Anniversaries.DeriveListing(member, moved, Today).Items);
    }

    [Fact]
    public void GrantAnniversary_OncePerYear_ByTheAnniversaryRules()
    {
        var rule = new EarningRule("anniv", 1, Triggers.Anniversary, new EarningFormula.Fixed(300), Caps.None, Eligibility.Everyone, Grant.Regular,
            null, null, 0, true, false, false);
        var config = new EarningConfig([rule], [], DefaultRanks);
        var member = With() with { Profile = With().Profile with { JoinedOn = new DateOnly(2025, 11, 23) } };

        var granted = Accepted(PeriodDecider.GrantAnniversary(member, Today, config, Context()));
        Assert.Equal((300L, 2026), (granted.Member.Ledger.Balance.Value, granted.Member.Periods.AnniversaryGrantedFor));
        Assert.Empty(Accepted(PeriodDecider.GrantAnniversary(granted.Member, Today, config, Context())).Entries);
        Assert.Empty(Accepted(PeriodDecider.GrantAnniversary(member, Today.AddDays(1), config, Context())).Entries); // not the anniversary
    }

    /// <summary>Seed 002: ranks by the number of purchases or by points earned (regular 0, silver 3, gold 10 over 6 months).</summary>
    private static readonly IReadOnlyList<RankDefinition> CountedRanks =
    [
        new("regular", 0, 1000, 0) { Threshold = 0 },
        new("silver", 0, 1200, 0) { Threshold = 3 },
        new("gold", 0, 1500, 0) { Threshold = 10 },
    ];

    private static EarningRule Fixed(string trigger, long points) =>
        new($"r-{trigger}", 1, trigger, new EarningFormula.Fixed(points), Caps.None, Eligibility.Everyone, Grant.Regular, null, null, 0, true, false, false);

    private static (Member Member, IReadOnlyList<JournalEntry> Entries) EarnWithEntries(Member member, EarningConfig config, string trigger, long? yen = null)
    {
        var e = new EarningEvent(Guid.NewGuid().ToString("N"), trigger, Now, Today, yen is { } y ? new Yen(y) : null, null, null);
        var accepted = Accepted(EarningDecider.Decide(member, new EarnCommand(e, null), config, Context()));
        return (accepted.Member, accepted.Entries);
    }

    private static Member Earn(Member member, EarningConfig config, string trigger, long? yen = null) => EarnWithEntries(member, config, trigger, yen).Member;

    private static LedgerContext On(int year, int month, int day) => Context(new DateTimeOffset(year, month, day, 12, 0, 0, Jst));

    [Fact]
    public void ByPurchaseCount_TheThirdPurchaseUpgradesAtOnce_AndOnlyTheMonthlyEvaluationLowers()
    {
        var config = new EarningConfig([Fixed(Triggers.Purchase, 1)], [], CountedRanks) { RankMetric = new RankMetric(RankMetricKind.PurchaseCount, 6) };
        var member = With(rank: "regular");
        member = Earn(Earn(member, config, Triggers.Purchase, 100), config, Triggers.Purchase, 100);
        Assert.Equal("regular", member.Earning.Rank);

        member = Earn(member, config, Triggers.Purchase, 100);
        Assert.Equal("silver", member.Earning.Rank);
        member = Earn(member, config, "login"); // not a purchase: no change
        Assert.Equal(3, member.Earning.Trailing(config.RankMetric, Today));

        // November's purchases are inside the 6 months evaluated in January (July–December), out of those of June 2027.
        var january = Accepted(PeriodDecider.EvaluateRank(member, "2027-01", CountedRanks, On(2027, 1, 1), config.RankMetric));
        Assert.Equal(new PeriodicOutcome("silver", "silver", 0), january.Result);
        var june = Accepted(PeriodDecider.EvaluateRank(member, "2027-06", CountedRanks, On(2027, 6, 1), config.RankMetric));
        Assert.Equal(new PeriodicOutcome("regular", "silver", 0), june.Result);
    }

    [Fact]
    public void ByPointsEarned_AnEarnThatCrossesTheThresholdUpgrades_AndReversalsCountAgainstIt_TheEvaluationLowers()
    {
        var config = new EarningConfig([Fixed("login", 4)], [], CountedRanks) { RankMetric = new RankMetric(RankMetricKind.PointsEarned, 12) };
        var member = With(rank: "regular");
        member = Earn(Earn(member, config, "login"), config, "login");
        Assert.Equal(("silver", 8L), (member.Earning.Rank, member.Earning.Trailing(config.RankMetric, Today))); // silver from the first 4

        var (gold, entries) = EarnWithEntries(member, config, "login");
        Assert.Equal(("gold", 12L, 12L), (gold.Earning.Rank, gold.Earning.Trailing(config.RankMetric, Today), gold.Ledger.Balance.Value)); // 4 at ×1.0

        var earn = Assert.Single(entries);
        var reversed = Accepted(Points.Domain.Redemptions.RedemptionDecider.Reverse(gold, earn.Reference!, null, entries, Context()));
        Assert.Equal(("gold", 8L), (reversed.Member.Earning.Rank, reversed.Member.Earning.Trailing(config.RankMetric, Today))); // only the evaluation lowers
        var evaluated = Accepted(PeriodDecider.EvaluateRank(reversed.Member, "2026-12", CountedRanks, On(2026, 12, 1), config.RankMetric));
        Assert.Equal(new PeriodicOutcome("silver", "gold", 0), evaluated.Result);
    }

    [Fact]
    public void ByPurchaseAmount_ByDefault_CountsYenAsBefore()
    {
        var config = new EarningConfig([Fixed(Triggers.Purchase, 1)], [], DefaultRanks);
        var member = Earn(With(rank: "bronze"), config, Triggers.Purchase, 50_000);
        Assert.Equal(("silver", 50_000L), (member.Earning.Rank, member.Earning.Trailing(RankMetric.Default, Today)));
    }
}
