using Points.Domain.Earning;
using Points.Domain.Ledger;
using Points.Domain.Members;
using Points.Domain.Primitives;
using static Points.Domain.Tests.Ledger.LedgerScenario;

namespace Points.Domain.Tests.Ledger;

/// <summary>
/// Regression (found by a hostile client): amounts and balances past the point bound threw and failed their whole
/// batch with 500. They are business refusals now, decided before anything moves.
/// </summary>
public sealed class BoundsTests
{
    private const long Bound = PointAmount.MaxMagnitude;
    private const long PerRequest = PointAmount.PerRequestMax;

    /// <summary>Fills a member to <paramref name="points"/> with adjustments within the per-request bound.</summary>
    private static LedgerScenario Holding(long points)
    {
        var ledger = new LedgerScenario();
        for (var left = points; left > 0; left -= PerRequest) ledger.Accept(new LedgerCommand.Credit(EntryType.Adjust, Math.Min(left, PerRequest), LotKind.Purchased, null));
        return ledger;
    }

    [Theory]
    [InlineData(0, PerRequest + 1, LedgerRejection.AmountTooLarge)]
    [InlineData(Bound, 1, LedgerRejection.BalanceLimitExceeded)]
    [InlineData(Bound - 10, 11, LedgerRejection.BalanceLimitExceeded)]
    public void Credit_PastABound_IsRefused_AndChangesNothing(long holding, long credit, LedgerRejection expected)
    {
        var ledger = Holding(holding);
        var before = ledger.State;
        Assert.Equal(expected, ledger.Reject(Earn(credit)));
        Assert.Same(before, ledger.State);
    }

    [Fact]
    public void Credit_UpToTheBound_IsAccepted()
    {
        var ledger = Holding(Bound - 10);
        ledger.Accept(Earn(10));
        Assert.Equal(Bound, ledger.State.Balance.Value);
    }

    [Fact]
    public void HeldAndPendingPoints_CountTowardTheBound_SoNoActivationCanPassIt()
    {
        var ledger = Holding(Bound - 100);
        ledger.Accept(Earn(60, reference: "E-1") with { PendingUntil = D("2026-12-01") });
        Assert.Equal(LedgerRejection.BalanceLimitExceeded, ledger.Reject(Earn(41)));
        ledger.Accept(Earn(40));
        ledger.Today = D("2026-12-01");
        ledger.Accept(new LedgerCommand.ExpireDue()); // the pending 60 activate within the bound
        Assert.Equal(Bound, ledger.State.Balance.Value);
    }

    [Fact]
    public void Debit_OfMoreThanOneRequestMayMove_IsRefused() =>
        Assert.Equal(LedgerRejection.AmountTooLarge, Holding(2 * PerRequest).Reject(Spend(PerRequest + 1)));

    [Fact]
    public void AwardPastTheBound_FromAValidRule_RefusesTheEvent_WithoutThrowing()
    {
        // A valid rule (1,000,000 points per yen) on a valid purchase (10^10 yen) under ten ×100 campaigns.
        var rule = new EarningRule("huge", 1, Triggers.Purchase, new EarningFormula.Rate(1, 1_000_000, Rounding.Floor), Caps.None,
            Eligibility.Everyone, Grant.Regular, null, null, 0, true, true, false);
        var campaigns = Enumerable.Range(0, 10).Select(i => new Campaign($"c{i}", 100_000, [], [], [], DateTimeOffset.MinValue, DateTimeOffset.MaxValue)).ToList();
        var member = Members.MemberScenario.With();
        var day = Members.MemberScenario.Today;
        var e = new EarningEvent("E-1", Triggers.Purchase, Members.MemberScenario.Now, day, 10_000_000_000, null, null);

        var outcome = EarningDecider.Decide(member, new EarnCommand(e, null), new EarningConfig([rule], campaigns, RankDefinition.Defaults),
            Members.MemberScenario.Context());

        var refused = Assert.IsType<MemberDecision.Rejected>(outcome);
        Assert.Equal(LedgerRejection.AmountTooLarge, refused.Reason);
        Assert.Equal(long.MaxValue, EarningEngine.Compute(rule.Formula, 10_000_000_000, [.. campaigns.Select(c => c.MultiplierPermille)]));
    }

    [Fact]
    public void ReversalIntoDebt_PastTheBound_IsRefused()
    {
        // Earn and spend the per-request maximum 1,001 times, then reverse the earns: the debt may not pass the bound.
        var ledger = new LedgerScenario();
        for (var i = 0; i <= 1_000; i++)
        {
            ledger.Accept(Earn(PerRequest, kind: LotKind.Regular, reference: $"E-{i}"));
            ledger.Accept(Spend(PerRequest));
        }
        for (var i = 0; i < 1_000; i++) ledger.Accept(ledger.Reverse($"E-{i}"));
        Assert.Equal(Bound, ledger.State.Debt.Value);

        Assert.Equal(LedgerRejection.BalanceLimitExceeded, ledger.Reject(ledger.Reverse("E-1000")));
    }
}
