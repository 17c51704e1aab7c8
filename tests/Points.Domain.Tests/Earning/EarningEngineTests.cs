using System.Collections.Immutable;
using Points.Domain.Earning;
using Points.Domain.Ledger;

namespace Points.Domain.Tests.Earning;

public sealed class EarningEngineTests
{
    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);
    private static readonly RankDefinition Bronze = RankDefinition.Defaults[0];
    private static readonly RankDefinition Gold = RankDefinition.Defaults[2];

    private static EarningRule Rule(string id, string trigger, EarningFormula formula, Caps? caps = null, bool stackable = true,
        int priority = 0, Eligibility? eligibility = null, bool rankMultiplier = true) =>
        new(id, 1, trigger, formula, caps ?? Caps.None, eligibility ?? Eligibility.Everyone, Grant.Regular, null, null, priority, stackable, rankMultiplier, false);

    private static EarningEvent Event(string trigger, string localTime, long? amount = null, string? store = null)
    {
        var at = DateTimeOffset.Parse(localTime + "+09:00", System.Globalization.CultureInfo.InvariantCulture);
        return new EarningEvent(Guid.NewGuid().ToString(), trigger, at, DateOnly.FromDateTime(at.ToOffset(Jst).DateTime), amount, store, null)
        {
            LocalTime = TimeOnly.FromDateTime(at.ToOffset(Jst).DateTime),
        };
    }

    [Fact]
    public void Purchase12345Yen_OnePointPer100_GoldAndWeekendCampaign_Earns369()
    {
        var rule = Rule("buy", "purchase", new EarningFormula.Rate(100, 1, Rounding.Floor));
        var weekend = new Campaign("weekend", 2000, ["purchase"], [], [DayOfWeek.Saturday, DayOfWeek.Sunday],
            DateTimeOffset.MinValue, DateTimeOffset.MaxValue);
        var e = Event("purchase", "2026-11-22T15:00:00", amount: 12_345); // a Sunday

        var result = EarningEngine.Evaluate(e, new MemberFacts(Gold, Gold, []), [rule], [weekend], []);

        Assert.Equal(369, result.Awards.Single().Points); // floor(123 × 1.5 × 2.0)
    }

    [Theory]
    [InlineData(Rounding.Floor, 12_345, 123)]
    [InlineData(Rounding.HalfUp, 12_345, 123)]
    [InlineData(Rounding.HalfUp, 12_350, 124)]
    [InlineData(Rounding.Ceiling, 12_301, 124)]
    [InlineData(Rounding.Ceiling, 12_300, 123)]
    public void RateRule_RoundsOnceByItsMode(Rounding rounding, long amount, long expected) =>
        Assert.Equal(expected, EarningEngine.Compute(new EarningFormula.Rate(100, 1, rounding), amount, []));

    [Fact]
    public void LoginCappedOncePerDay_TwoLoginsOnOneJstDay_And_OneAfterMidnight()
    {
        var login = Rule("login", "login", new EarningFormula.Fixed(5), new Caps(new CapLimit(1, null), null, null));
        var counters = ImmutableArray<RuleCounter>.Empty;
        long total = 0;
        foreach (var time in new[] { "2026-11-23T09:00:00", "2026-11-23T23:30:00", "2026-11-24T00:10:00" })
        {
            var e = Event("login", time);
            var result = EarningEngine.Evaluate(e, new MemberFacts(Bronze, Bronze, []), [login], [], counters);
            counters = result.Counters;
            total += result.Awards.Sum(a => a.Points);
            if (time == "2026-11-23T23:30:00") Assert.Equal(5, total);
        }
        Assert.Equal(10, total);
    }

    [Fact]
    public void PointsCap_AppliesAfterMultipliers_AndTrimsTheLastAward()
    {
        var rule = Rule("buy", "purchase", new EarningFormula.Rate(100, 1, Rounding.Floor), new Caps(null, new CapLimit(null, 300), null));
        var counters = ImmutableArray<RuleCounter>.Empty;
        var awards = new List<long>();
        foreach (var _ in Enumerable.Range(0, 3))
        {
            var result = EarningEngine.Evaluate(Event("purchase", "2026-11-23T12:00:00", 10_000), new MemberFacts(Gold, Gold, []), [rule], [], counters);
            counters = result.Counters;
            awards.AddRange(result.Awards.Select(a => a.Points));
        }
        Assert.Equal([150L, 150L], awards); // 100 × 1.5 = 150, then the monthly cap of 300 is reached
    }

    [Fact]
    public void NonStackableRule_StopsTheRulesAfterIt_AndIneligibleRulesAreSkipped()
    {
        var vipOnly = Rule("vip", "post", new EarningFormula.Fixed(50), priority: 0, eligibility: new Eligibility([], ["vip"], [], []));
        var exclusive = Rule("main", "post", new EarningFormula.Fixed(10), priority: 1, stackable: false);
        var never = Rule("later", "post", new EarningFormula.Fixed(1), priority: 2);

        var result = EarningEngine.Evaluate(Event("post", "2026-11-23T12:00:00"), new MemberFacts(Bronze, Bronze, ["regular"]),
            [never, exclusive, vipOnly], [], []);

        Assert.Equal(["main"], result.Awards.Select(a => a.RuleId));
    }

    [Fact]
    public void RuleOutsideItsActiveWindow_OrForAnotherStore_GrantsNothing()
    {
        var from = new DateTimeOffset(2026, 12, 1, 0, 0, 0, Jst);
        var future = Rule("xmas", "post", new EarningFormula.Fixed(10)) with { ActiveFrom = from };
        var storeOnly = Rule("store", "post", new EarningFormula.Fixed(10), eligibility: new Eligibility([], [], ["S1"], []));

        var result = EarningEngine.Evaluate(Event("post", "2026-11-30T23:59:59", store: "S2"), new MemberFacts(Bronze, Bronze, []),
            [future, storeOnly], [], []);

        Assert.Empty(result.Awards);
    }
}
