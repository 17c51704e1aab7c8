using Points.Domain.Earning;
using Points.Domain.Ledger;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Domain.Redemptions;
using static Points.Domain.Tests.Members.MemberScenario;

namespace Points.Domain.Tests.Redemptions;

/// <summary>domain.md: the rank metric is net of reversals — a reversed purchase reward takes its share of the purchase's yen out, rounded down.</summary>
public sealed class ReversalYenTests
{
    /// <summary>A purchase of <paramref name="yen"/> rewarded by two rules (base and bonus points), then reversed by <paramref name="reversed"/> points.</summary>
    [Theory]
    [InlineData(10_000, 100, 50, 60, 6_000)]   // 60 of 150 points → 40% of 10,000 yen leave
    [InlineData(10_000, 100, 50, 150, 0)]      // whole reversal
    [InlineData(10_000, 100, 50, 1, 9_934)]    // 1/150 of 10,000 = 66.67 → 66 leave (floor: never more than was returned)
    [InlineData(999, 3, 0, 1, 666)]            // 999/3 = 333 exactly
    [InlineData(1_000, 3, 0, 1, 667)]          // 1,000/3 = 333.33 → 333 leave
    public void ReversedShare_LeavesTheMonthsPurchases(long yen, long basePoints, long bonusPoints, long reversed, long monthAfter)
    {
        var member = With(purchases: Bought("2026-11", yen));
        var journal = new List<JournalEntry>();
        foreach (var (rule, points) in new[] { ("base", basePoints), ("bonus", bonusPoints) }.Where(a => a.Item2 > 0))
        {
            var earn = LedgerDecider.Decide(member.Ledger, new LedgerCommand.Credit(EntryType.Earn, points, LotKind.Regular, null)
            {
                Details = new EntryDetails("E-1", [], null, null, null) { RuleId = rule, PurchaseYen = journal.Count == 0 ? yen : null, PurchaseOn = journal.Count == 0 ? Today : null },
            }, Context());
            var accepted = (LedgerOutcome.Accepted)earn;
            member = member with { Ledger = accepted.State };
            journal.AddRange(accepted.Entries);
        }

        var reversal = Accepted(RedemptionDecider.Reverse(member, "E-1", reversed, journal, Context()));

        Assert.Equal(monthAfter, reversal.Member.Earning.Purchases.Single().AmountYen);
        Assert.Equal(new ReversalResponse(reversal.Entries[^1].Seq, -reversed, basePoints + bonusPoints - reversed), reversal.Result);
    }

    [Fact]
    public void Reversal_OfAnEarnWithoutAPurchase_LeavesTheMetricAlone()
    {
        var member = With(purchases: Bought("2026-11", 5_000));
        var earn = (LedgerOutcome.Accepted)LedgerDecider.Decide(member.Ledger,
            new LedgerCommand.Credit(EntryType.Earn, 10, LotKind.Regular, null) { Details = new EntryDetails("login-1", [], null, null, null) }, Context());
        member = member with { Ledger = earn.State };

        var reversal = Accepted(RedemptionDecider.Reverse(member, "login-1", null, earn.Entries, Context()));
        Assert.Equal(5_000, reversal.Member.Earning.Purchases.Single().AmountYen);
    }

    [Theory]
    [InlineData(10_000, 1, 3, 3_333)]
    [InlineData(10_000, 2, 3, 6_666)]
    [InlineData(10_000, 3, 3, 10_000)]
    [InlineData(0, 1, 1, 0)]
    public void ShareFloor_RoundsDown(long yen, long part, long whole, long share) =>
        Assert.Equal(share, new Yen(yen).ShareFloor(part, whole).Value);
}
