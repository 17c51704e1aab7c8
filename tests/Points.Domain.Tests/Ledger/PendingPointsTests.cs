using Points.Domain.Ledger;
using static Points.Domain.Tests.Ledger.LedgerScenario;

namespace Points.Domain.Tests.Ledger;

/// <summary>F38: pending points are shown but unusable until their activation date; a reversal before then cancels them.</summary>
public sealed class PendingPointsTests
{
    private static LedgerCommand.Credit PendingEarn(long points, string activatesOn, string reference) =>
        Earn(points, reference: reference) with { PendingUntil = D(activatesOn) };

    [Fact]
    public void PendingGrant_IsNotSpendable_UntilItsActivationDay_ThenJoinsTheBalance()
    {
        var ledger = new LedgerScenario();
        var grant = ledger.Accept(PendingEarn(100, "2026-12-07", "E-1")).Single();

        Assert.Equal((true, 0L, 100L), (grant.Pending, grant.BalanceAfter.Value, grant.PendingAfter.Value));
        Assert.Equal(LedgerRejection.InsufficientPoints, ledger.Reject(Spend(1)));

        ledger.Today = D("2026-12-07");
        var activation = ledger.Accept(new LedgerCommand.ExpireDue()).Single();
        Assert.Equal((EntryType.Activate, 100L, 100L, 0L), (activation.Type, activation.Points.Value, activation.BalanceAfter.Value, activation.PendingAfter.Value));
        Assert.Equal("regular 100 2027-11-30", ledger.LotsText());
        ledger.Accept(Spend(100));
    }

    [Fact]
    public void ReversalBeforeActivation_CancelsThePendingPoints_AndNothingActivatesLater()
    {
        var ledger = new LedgerScenario();
        ledger.Accept(PendingEarn(100, "2026-12-07", "E-1"));

        var partial = ledger.Accept(ledger.Reverse("E-1", 30)).Single();
        Assert.Equal((EntryType.Reverse, -30L, true, 0L, 70L), (partial.Type, partial.Points.Value, partial.Pending, partial.BalanceAfter.Value, partial.PendingAfter.Value));
        ledger.Accept(ledger.Reverse("E-1"));

        ledger.Today = D("2026-12-08");
        Assert.Empty(ledger.Accept(new LedgerCommand.ExpireDue()));
        Assert.Equal((0L, 0L), (ledger.State.Balance.Value, ledger.State.PendingTotal.Value));
    }

    [Fact]
    public void ReversalAfterActivation_TakesThePointsFromTheBalance()
    {
        var ledger = new LedgerScenario();
        ledger.Accept(PendingEarn(100, "2026-12-07", "E-1"));
        ledger.Today = D("2026-12-10");

        var entries = ledger.Accept(ledger.Reverse("E-1", 40));

        Assert.Equal([EntryType.Activate, EntryType.Reverse], entries.Select(e => e.Type));
        Assert.Equal(60, ledger.State.Balance.Value);
    }
}
