using Points.Domain.Expiry;
using Points.Domain.Ledger;
using Points.Domain.Primitives;
using Points.Domain.Tests.Ledger;
using static Points.Domain.Tests.Ledger.LedgerScenario;

namespace Points.Domain.Tests.Expiry;

/// <summary>domain.md "Expiry policies", <c>rolling(n)</c>: every earn or spend sets the expiry of all open regular lots to activity date + n months.</summary>
public sealed class RollingExpiryTests
{
    private static readonly ExpiryPolicy.Rolling TwelveMonths = new(12, OnEarn: true, OnSpend: true);

    [Theory]
    [InlineData("2026-01-31", 1, "2026-02-28")] // clamped to the month's end, as fixedMonths
    [InlineData("2026-11-23", 12, "2027-11-23")]
    public void Rolling_ExpiryFor(string earnedOn, int months, string expected) =>
        Assert.Equal(D(expected), new ExpiryPolicy.Rolling(months, true, true).ExpiryFor(D(earnedOn)));

    /// <summary>One member under rolling(12), step by step: day, what happens, and the open lots after it.</summary>
    [Fact]
    public void Activity_MovesEveryOpenRegularLot_SpecialLotsKeepTheirDate()
    {
        var scenario = new LedgerScenario { Policy = TwelveMonths };
        (string Day, LedgerCommand Command, string LotsAfter)[] steps =
        [
            ("2026-01-10", Earn(100), "regular 100 2027-01-10"),
            ("2026-03-05", Earn(50), "regular 150 2027-03-05"), // the January lot moved and merged with March's
            ("2026-03-05", Earn(30, LotKind.Special, D("2026-06-30")), "special 30 2026-06-30, regular 150 2027-03-05"),
            ("2026-05-20", Spend(40), "regular 140 2027-05-20"), // special first (consumption order), then the rest moved
            ("2026-05-20", Spend(40), "regular 100 2027-05-20"), // the same day again: nothing left to move
            ("2026-09-01", new LedgerCommand.Credit(EntryType.Adjust, 5, LotKind.Regular, null), "regular 100 2027-05-20, regular 5 2027-09-01"), // an adjustment is no activity
            ("2026-12-24", Spend(5), "regular 100 2027-12-24"),
        ];
        foreach (var (day, command, lotsAfter) in steps)
        {
            scenario.Today = D(day);
            scenario.Accept(command);
            Assert.Equal(lotsAfter, scenario.LotsText());
        }
        Assert.Equal(3, scenario.Journal.Count(e => e.Type == EntryType.Extend)); // March 5, May 20, December 24
    }

    [Fact]
    public void TheExtendEntry_MovesNoPoints_SaysWhichLotsMoved_AndReplaysToTheSameState()
    {
        var scenario = new LedgerScenario { Policy = TwelveMonths, Today = D("2026-01-10") };
        scenario.Accept(Earn(100));
        scenario.Today = D("2026-02-10");

        var entries = scenario.Accept(Earn(20));

        var extend = Assert.Single(entries, e => e.Type == EntryType.Extend);
        Assert.Equal((0L, 120L), (extend.Points.Value, extend.BalanceAfter.Value));
        // January's lot and the new one merge into January's, which keeps its id and earn date.
        Assert.Equal(["L1 -100 2027-01-10", "L2 -20 2027-02-10", "L1 120 2027-02-10"], extend.Lots.Select(p => $"{p.LotId} {p.Points} {p.ExpiresOn:yyyy-MM-dd}"));
        scenario.Today = D("2026-04-01");
        scenario.Accept(Spend(30));
        var replayed = scenario.Journal.Aggregate(MemberAccount.Open(scenario.State.MemberId), (state, entry) => state.Evolve(entry));
        Assert.Equal(scenario.State.Lots.AsEnumerable(), replayed.Lots.AsEnumerable());
        Assert.Equal(("L1", D("2026-01-10"), D("2027-04-01")), (replayed.Lots[0].LotId, replayed.Lots[0].EarnedOn, replayed.Lots[0].ExpiresOn));
    }

    /// <summary>domain.md: a member active every 11 months never loses points; one idle 13 months loses exactly the regular points.</summary>
    [Theory]
    [InlineData(11, 0)]
    [InlineData(13, 100)]
    public void AYearOfSimulatedActivity(int monthsBetweenActivities, long regularPointsLost)
    {
        var start = D("2026-01-15");
        var scenario = new LedgerScenario { Policy = TwelveMonths, Today = start };
        scenario.Accept(Earn(100));
        scenario.Accept(Earn(50, LotKind.Special, start.AddYears(5)));
        // Every day for five years: the daily expiry job runs; the member acts on its schedule with a 1-point spend.
        var nextActivity = start.AddMonths(monthsBetweenActivities);
        for (var day = start.AddDays(1); day <= start.AddYears(4); day = day.AddDays(1))
        {
            scenario.Today = day;
            scenario.Accept(new LedgerCommand.ExpireDue());
            if (day == nextActivity && scenario.State.Lots.Any(l => l.Kind == LotKind.Regular))
            {
                scenario.Accept(Spend(1));
                nextActivity = day.AddMonths(monthsBetweenActivities);
            }
        }

        var expired = scenario.Journal.Where(e => e.Type == EntryType.Expire).ToList();
        Assert.Equal(regularPointsLost, -expired.Sum(e => e.Points.Value));
        Assert.All(expired, e => Assert.Equal(LotKind.Regular, e.Kind));
        Assert.Equal(50, scenario.State.Lots.Where(l => l.Kind == LotKind.Special).Sum(l => l.Remaining.Value));
    }

    [Fact]
    public void AnExtension_NeverShortensALot_GrantedUnderALongerPolicy()
    {
        var scenario = new LedgerScenario { Policy = new ExpiryPolicy.FixedMonths(24, EndOfMonth: true), Today = D("2026-11-23") };
        scenario.Accept(Earn(100));
        scenario.Policy = TwelveMonths;
        scenario.Today = D("2026-12-01");

        var entries = scenario.Accept(Spend(10));

        Assert.DoesNotContain(entries, e => e.Type == EntryType.Extend);
        Assert.Equal("regular 90 2028-11-30", scenario.LotsText());
    }

    [Theory]
    [InlineData(true, false, "regular 90 2027-01-10")] // spends do not count: the lot keeps its date
    [InlineData(false, true, "regular 90 2027-03-01")]
    public void OnlyTheActivitiesTheProgramCounts_Extend(bool onEarn, bool onSpend, string lotsAfterSpend)
    {
        var scenario = new LedgerScenario { Policy = new ExpiryPolicy.Rolling(12, onEarn, onSpend), Today = D("2026-01-10") };
        scenario.Accept(Earn(100));
        scenario.Today = D("2026-03-01");

        scenario.Accept(Spend(10));

        Assert.Equal(lotsAfterSpend, scenario.LotsText());
    }

    [Theory]
    [InlineData(false, "regular 100 2027-03-01, purchased 100 none")] // purchased points under none (the default) stay as they are
    [InlineData(true, "regular 100 2027-03-01, purchased 100 2027-03-01")] // under their own rolling policy they move too
    public void PurchasedLots_FollowTheirOwnPolicy(bool purchasedRolling, string lotsAfter)
    {
        var scenario = new LedgerScenario { Policy = TwelveMonths, Today = D("2026-01-10") };
        if (purchasedRolling) scenario.PurchasedPolicy = TwelveMonths;
        scenario.Accept(new LedgerCommand.Credit(EntryType.Purchase, 100, LotKind.Purchased, null));
        scenario.Accept(Earn(100));
        scenario.Today = D("2026-03-01");

        scenario.Accept(Earn(1));
        scenario.Accept(Spend(1));

        Assert.Equal(lotsAfter, scenario.LotsText());
    }

    [Theory]
    [InlineData(0, true, true)]
    [InlineData(121, true, true)]
    [InlineData(12, false, false)]
    public void Validate_RefusesRollingOutOfRange(int months, bool onEarn, bool onSpend) =>
        Assert.NotNull(ExpiryPolicy.Validate(new ExpiryPolicy.Rolling(months, onEarn, onSpend)));
}
