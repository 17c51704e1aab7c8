using Points.Domain.Ledger;
using static Points.Domain.Tests.Ledger.LedgerScenario;

namespace Points.Domain.Tests.Ledger;

/// <summary>The worked examples of domain.md "Lots, consumption and holds" and "Reversals and debt", written out literally.</summary>
public sealed class WorkedExamplesTests
{
    /// <summary>Lots A regular 100 expiring 2027-03-31, B special 50 expiring 2026-12-31, C purchased 200 no expiry.</summary>
    private static (LedgerScenario Ledger, string A, string B, string C) ThreeLots()
    {
        var ledger = new LedgerScenario { Today = D("2026-03-31") };
        // A regular lot earned 2026-03-31 under "12 months, end of month" expires 2027-03-31.
        var a = ledger.Accept(Earn(100))[0].Lots[0].LotId;
        ledger.Today = D("2026-11-01");
        var b = ledger.Accept(Earn(50, LotKind.Special, D("2026-12-31")))[0].Lots[0].LotId;
        var c = ledger.Accept(new LedgerCommand.Credit(EntryType.Purchase, 200, LotKind.Purchased, null))[0].Lots[0].LotId;
        return (ledger, a, b, c);
    }

    [Fact]
    public void Spend180_FromThreeLots_ConsumesSpecialThenRegularThenPurchased()
    {
        var (ledger, a, b, c) = ThreeLots();
        Assert.Equal("special 50 2026-12-31, regular 100 2027-03-31, purchased 200 none", ledger.LotsText());

        var spend = ledger.Accept(Spend(180, "R-1")).Single();

        Assert.Equal([(b, -50L), (a, -100L), (c, -30L)], spend.Lots.Select(p => (p.LotId, p.Points.Value)));
        Assert.Equal(170, spend.BalanceAfter.Value);
        Assert.Equal(170, ledger.State.Balance.Value);
        Assert.True(spend.LimitedTime);
        Assert.Null(spend.Kind);
    }

    [Fact]
    public void ReverseSpend_RestoresTheSameLotsWithTheirOriginalExpiry()
    {
        var (ledger, a, b, c) = ThreeLots();
        ledger.Accept(Spend(180, "R-1"));

        var reversal = ledger.Accept(ledger.Reverse("R-1")).Single();

        Assert.Equal(EntryType.Reverse, reversal.Type);
        Assert.Equal(180, reversal.Points.Value);
        Assert.Equal(350, reversal.BalanceAfter.Value);
        Assert.Equal([(c, 30L), (a, 100L), (b, 50L)], reversal.Lots.Select(p => (p.LotId, p.Points.Value)));
        Assert.Equal("special 50 2026-12-31, regular 100 2027-03-31, purchased 200 none", ledger.LotsText());
    }

    [Fact]
    public void ReverseSpend_AfterLotBExpired_RestoresBThenExpiresIt_BothJournaled()
    {
        var (ledger, _, b, _) = ThreeLots();
        ledger.Accept(Spend(180, "R-1"));
        ledger.Today = D("2027-01-05");

        var entries = ledger.Accept(ledger.Reverse("R-1"));

        Assert.Equal([EntryType.Reverse, EntryType.Expire], entries.Select(e => e.Type));
        Assert.Contains(entries[0].Lots, p => p.LotId == b && p.Points.Value == 50);
        Assert.Equal([(b, -50L)], entries[1].Lots.Select(p => (p.LotId, p.Points.Value)));
        Assert.True(entries[1].LimitedTime);
        Assert.Equal(300, ledger.State.Balance.Value);
        Assert.Equal("regular 100 2027-03-31, purchased 200 none", ledger.LotsText());
    }

    [Fact]
    public void ReverseEarn_PartlySpent_TakesOtherLotsThenRunsIntoDebt_AndCreditsRepayDebtFirst()
    {
        var ledger = new LedgerScenario();
        ledger.Accept(Earn(100, reference: "E-1"));
        ledger.Accept(Spend(80));

        var reversal = ledger.Accept(ledger.Reverse("E-1")).Single();

        Assert.Equal(-100, reversal.Points.Value);
        Assert.Equal(80, reversal.DebtChange.Value);
        Assert.Equal(-80, ledger.State.Balance.Value);
        Assert.Equal(LedgerRejection.MemberInDebt, ledger.Reject(Spend(1)));

        var repay = ledger.Accept(Earn(50)).Single();
        Assert.Equal(-50, repay.DebtChange.Value);
        Assert.Empty(repay.Lots);
        Assert.Equal(-30, ledger.State.Balance.Value);

        var after = ledger.Accept(Earn(50)).Single();
        Assert.Equal(-30, after.DebtChange.Value);
        Assert.Equal(20, after.Lots.Single().Points.Value);
        Assert.Equal(20, ledger.State.Balance.Value);
    }

    [Fact]
    public void ReverseEarn_Unspent_DebitsTheLotItCreatedFirst()
    {
        var ledger = new LedgerScenario();
        ledger.Accept(Earn(30, LotKind.Special, D("2026-12-01")));
        var earned = ledger.Accept(Earn(100, reference: "E-2")).Single().Lots[0].LotId;

        var reversal = ledger.Accept(ledger.Reverse("E-2", 40)).Single();

        Assert.Equal([(earned, -40L)], reversal.Lots.Select(p => (p.LotId, p.Points.Value)));
        Assert.Equal(90, ledger.State.Balance.Value);
    }

    [Fact]
    public void ReverseEvent_ThatTwoRulesRewarded_ReversesBothAwards()
    {
        var ledger = new LedgerScenario();
        ledger.Accept(Earn(100, reference: "E-7"));
        ledger.Accept(Earn(30, LotKind.Special, D("2026-12-31"), reference: "E-7"));

        Assert.Equal(LedgerRejection.ReversalExceedsRemaining, ledger.Reject(ledger.Reverse("E-7", 131)));
        var reversal = ledger.Accept(ledger.Reverse("E-7")).Single();

        Assert.Equal(-130, reversal.Points.Value);
        Assert.Equal(0, ledger.State.Balance.Value);
        Assert.Equal(LedgerRejection.NothingToReverse, ledger.Reject(ledger.Reverse("E-7")));
    }

    [Fact]
    public void PartialReversals_NeverExceedTheOriginal()
    {
        var ledger = new LedgerScenario();
        ledger.Accept(Earn(500));
        ledger.Accept(Spend(100, "R-9"));

        ledger.Accept(ledger.Reverse("R-9", 60));
        Assert.Equal(LedgerRejection.ReversalExceedsRemaining, ledger.Reject(ledger.Reverse("R-9", 41)));
        ledger.Accept(ledger.Reverse("R-9", 40));
        Assert.Equal(LedgerRejection.NothingToReverse, ledger.Reject(ledger.Reverse("R-9", 1)));
        Assert.Equal(LedgerRejection.NothingToReverse, ledger.Reject(ledger.Reverse("unknown")));
        Assert.Equal(500, ledger.State.Balance.Value);
    }
}
