using Points.Domain.Ledger;
using static Points.Domain.Tests.Ledger.LedgerScenario;

namespace Points.Domain.Tests.Ledger;

public sealed class LedgerRulesTests
{
    [Theory]
    // given lots (kind points expiry), spend → consumed in order, balance after
    [InlineData("regular 100 2027-03-31; special 50 2026-12-31; purchased 200 -", 180, "special -50; regular -100; purchased -30", 170)]
    [InlineData("purchased 10 -; regular 10 2027-01-31", 15, "regular -10; purchased -5", 5)]
    [InlineData("regular 10 2026-12-31; special 10 2026-12-31", 15, "special -10; regular -5", 5)]
    [InlineData("special 10 2027-01-31; special 10 2026-12-31", 12, "special -10; special -2", 8)]
    [InlineData("regular 5 2026-12-31", 5, "regular -5", 0)]
    public void Spend_TakesLotsInConsumptionOrder(string lots, long spend, string consumed, long balanceAfter)
    {
        var ledger = Given(lots);

        var entry = ledger.Accept(Spend(spend)).Single();

        Assert.Equal(consumed, string.Join("; ", entry.Lots.Select(p => $"{p.Kind.ToString().ToLowerInvariant()} {p.Points}")));
        Assert.Equal(balanceAfter, entry.BalanceAfter.Value);
    }

    [Theory]
    [InlineData("regular 100 2027-03-31", 101, LedgerRejection.InsufficientPoints)]
    [InlineData("", 1, LedgerRejection.InsufficientPoints)]
    public void Spend_MoreThanTheBalance_IsRejectedAndChangesNothing(string lots, long spend, LedgerRejection expected)
    {
        var ledger = Given(lots);
        var before = ledger.State;

        Assert.Equal(expected, ledger.Reject(Spend(spend)));
        Assert.Same(before, ledger.State);
    }

    [Theory]
    [InlineData(LotKind.Special, null, LedgerRejection.ExpiryRequired)]
    [InlineData(LotKind.Special, "2026-11-22", LedgerRejection.ExpiryInPast)]
    [InlineData(LotKind.Regular, "2027-01-01", LedgerRejection.ExpiryNotAllowed)]
    [InlineData(LotKind.Purchased, "2027-01-01", LedgerRejection.ExpiryNotAllowed)]
    public void Credit_WithWrongExpiry_IsRejected(LotKind kind, string? expiresOn, LedgerRejection expected)
    {
        var ledger = new LedgerScenario();
        Assert.Equal(expected, ledger.Reject(Earn(10, kind, expiresOn is null ? null : D(expiresOn))));
    }

    [Fact]
    public void Credit_SameKindAndExpiry_MergesIntoOneLot()
    {
        var ledger = new LedgerScenario();
        var first = ledger.Accept(Earn(10)).Single().Lots[0].LotId;
        ledger.Today = D("2026-11-30");
        var second = ledger.Accept(Earn(5)).Single().Lots[0].LotId;

        Assert.Equal(first, second);
        Assert.Equal("regular 15 2027-11-30", ledger.LotsText());
    }

    [Fact]
    public void Lot_ExpiringOnADate_CanBeSpentThatDay_AndIsGoneTheNext()
    {
        var ledger = new LedgerScenario();
        ledger.Accept(Earn(20, LotKind.Special, D("2026-12-31")));
        ledger.Today = D("2026-12-31");
        ledger.Accept(Spend(5));

        ledger.Today = D("2027-01-01");
        Assert.Equal(LedgerRejection.InsufficientPoints, ledger.Reject(Spend(1)));
        var expired = ledger.Accept(new LedgerCommand.ExpireDue()).Single();

        Assert.Equal(EntryType.Expire, expired.Type);
        Assert.Equal(-15, expired.Points.Value);
        Assert.Equal(0, expired.BalanceAfter.Value);
        Assert.Empty(ledger.Accept(new LedgerCommand.ExpireDue()));
    }

    [Fact]
    public void Hold_ReleasedOrSettled_RestoresTheSameLotsOrLeavesForGood()
    {
        var ledger = Given("regular 100 2027-03-31; purchased 50 -");
        var regularOnly = new HashSet<LotKind> { LotKind.Regular, LotKind.Special };

        Assert.Equal(LedgerRejection.InsufficientPoints, ledger.Reject(new LedgerCommand.PlaceHold("W-1", 120, regularOnly)));
        var hold = ledger.Accept(new LedgerCommand.PlaceHold("W-1", 60, regularOnly)).Single();
        Assert.Equal((-60L, 90L, 60L), (hold.Points.Value, hold.BalanceAfter.Value, hold.HeldAfter.Value));

        var release = ledger.Accept(new LedgerCommand.ReleaseHold("W-1")).Single();
        Assert.Equal((60L, 150L, 0L), (release.Points.Value, release.BalanceAfter.Value, release.HeldAfter.Value));
        Assert.Equal("regular 100 2027-03-31, purchased 50 none", ledger.LotsText());

        ledger.Accept(new LedgerCommand.PlaceHold("W-2", 30, regularOnly));
        var settle = ledger.Accept(new LedgerCommand.SettleHold("W-2")).Single();
        Assert.Equal((EntryType.Withdraw, -30L, 120L, 0L), (settle.Type, settle.Points.Value, settle.BalanceAfter.Value, settle.HeldAfter.Value));
        Assert.Equal(LedgerRejection.HoldNotFound, ledger.Reject(new LedgerCommand.SettleHold("W-2")));
    }

    [Fact]
    public void Deduction_ByAdmin_TakesLotsInOrder_AndIsRejectedBeyondTheBalance()
    {
        var ledger = Given("regular 100 2027-03-31");
        Assert.Equal(LedgerRejection.InsufficientPoints, ledger.Reject(new LedgerCommand.Debit(EntryType.Adjust, 101)));
        var entry = ledger.Accept(new LedgerCommand.Debit(EntryType.Adjust, 40)).Single();
        Assert.Equal((EntryType.Adjust, -40L, 60L), (entry.Type, entry.Points.Value, entry.BalanceAfter.Value));
    }

    [Fact]
    public void ReferencedGrant_ReversedAfterSpending_LeavesDebt_AndUnreferencedAdjustmentsAreNotReversible()
    {
        var ledger = new LedgerScenario();
        ledger.Accept(new LedgerCommand.Credit(EntryType.Adjust, 100, LotKind.Regular, null) { Details = new EntryDetails("G-1", [], "grant", null, null) });
        ledger.Accept(new LedgerCommand.Credit(EntryType.Adjust, 10, LotKind.Regular, null));
        ledger.Accept(Spend(90));

        var reversal = ledger.Accept(ledger.Reverse("G-1")).Single();

        Assert.Equal((-100L, 80L, -80L), (reversal.Points.Value, reversal.DebtChange.Value, reversal.BalanceAfter.Value));
        Assert.Equal(LedgerRejection.MemberInDebt, ledger.Reject(Spend(1)));
        Assert.Equal(LedgerRejection.NothingToReverse, ledger.Reject(ledger.Reverse("G-2")));
    }

    /// <summary>Found by the property test: a spend emptied lot A, a later earn opened its twin B (same kind and expiry),
    /// and reversing the spend recreated A next to B. Restored points now merge into the open twin.</summary>
    [Fact]
    public void Regression_ReversalRestoringAnEmptiedLot_MergesIntoItsOpenTwin()
    {
        var ledger = new LedgerScenario();
        ledger.Accept(Earn(1));
        ledger.Accept(Spend(1, "R-1"));
        var twin = ledger.Accept(Earn(1)).Single().Lots[0].LotId;

        var reversal = ledger.Accept(ledger.Reverse("R-1")).Single();

        Assert.Equal([(twin, 1L)], reversal.Lots.Select(p => (p.LotId, p.Points.Value)));
        Assert.Equal("regular 2 2027-11-30", ledger.LotsText());
    }

    /// <summary>Builds lots from "kind points expiry; …" (expiry "-" for none) by crediting them on 2026-11-23.</summary>
    internal static LedgerScenario Given(string lots)
    {
        var ledger = new LedgerScenario { Policy = new Points.Domain.Expiry.ExpiryPolicy.None() };
        foreach (var lot in lots.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = lot.Split(' ');
            var kind = Enum.Parse<LotKind>(parts[0], ignoreCase: true);
            var points = long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
            DateOnly? expiry = parts[2] == "-" ? null : D(parts[2]);
            // A regular lot with a given expiry is earned 12 months before it under a 12-month policy.
            if (kind == LotKind.Regular && expiry is { } e)
            {
                var today = ledger.Today;
                (ledger.Policy, ledger.Today) = (new Points.Domain.Expiry.ExpiryPolicy.FixedMonths(12, EndOfMonth: false), e.AddMonths(-12));
                ledger.Accept(Earn(points));
                (ledger.Policy, ledger.Today) = (new Points.Domain.Expiry.ExpiryPolicy.None(), today);
            }
            else
            {
                ledger.Accept(new LedgerCommand.Credit(kind == LotKind.Purchased ? EntryType.Purchase : EntryType.Earn, points, kind, kind == LotKind.Special ? expiry : null));
            }
        }
        return ledger;
    }
}
