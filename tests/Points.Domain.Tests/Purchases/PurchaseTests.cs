using Points.Domain.Ledger;
using Points.Domain.Members;
using Points.Domain.Purchases;
using static Points.Domain.Tests.Members.MemberScenario;

namespace Points.Domain.Tests.Purchases;

/// <summary>domain.md "Purchased points": the price, one credit per capture, refunds through the reversal rules.</summary>
public sealed class PurchaseTests
{
    private static readonly PurchasePolicy Policy = new() { Enabled = true, MinimumPoints = 100, MaximumPoints = 10_000, DailyPointsMax = 15_000 };

    private static Member Bought(Member member, string id, long points, string capture)
    {
        var created = Accepted(PurchaseDecider.Create(member, id, points, "ORDER-" + id, null, Policy, Context()));
        return Accepted(PurchaseDecider.Complete(created.Member, id, capture, Context())).Member;
    }

    public static TheoryData<string, PurchasePolicy, Member, long, PurchaseRejection> Refusals => new()
    {
        { "disabled", Policy with { Enabled = false }, With(), 1_000, PurchaseRejection.PurchasesDisabled },
        { "below minimum", Policy, With(), 99, PurchaseRejection.BelowMinimum },
        { "above maximum", Policy, With(), 10_001, PurchaseRejection.AboveMaximum },
        { "daily limit", Policy, Bought(With(), "p-0", 10_000, "C-0"), 5_001, PurchaseRejection.DailyLimitReached },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Create_IsRefusedInTheDocumentedOrder(string name, PurchasePolicy policy, Member member, long points, PurchaseRejection expected) =>
        Assert.True(expected.Equals(Rejected(PurchaseDecider.Create(member, "p-1", points, "ORDER-1", null, policy, Context()))), name);

    [Fact]
    public void AnOrderFor1000Points_Costs1000Yen_AtOneYenAPoint() =>
        Assert.Equal(1_000, PurchaseDecider.PriceOf(1_000, Policy).Value);

    [Fact]
    public void Completion_CreditsAPurchasedLot_OncePerCapture_HoweverOftenItIsSaid()
    {
        var created = Accepted(PurchaseDecider.Create(With(), "p-1", 1_000, "ORDER-1", null, Policy, Context()));
        var first = Accepted(PurchaseDecider.Complete(created.Member, "p-1", "CAPTURE-1", Context()));
        var again = Accepted(PurchaseDecider.Complete(first.Member, "p-1", "CAPTURE-1", Context()));

        Assert.Equal(EntryType.Purchase, Assert.Single(first.Entries).Type);
        Assert.Empty(again.Entries);
        Assert.Empty(again.Outbox);
        var lot = Assert.Single(again.Member.Ledger.Lots);
        Assert.Equal((LotKind.Purchased, 1_000L, (DateOnly?)null), (lot.Kind, lot.Remaining.Value, lot.ExpiresOn));
        Assert.Equal(new PurchaseResponse("p-1", "ORDER-1", null, 1_000, 1_000, PurchaseStatus.Completed, 1_000, 1_000), again.Result);
        Assert.Equal(0, again.Member.Ledger.LifetimeEarned); // bought, not earned
    }

    [Theory]
    [InlineData(new long[] { 500 }, 500)]           // half of a 1,000-point purchase
    [InlineData(new long[] { 333, 333 }, 666)]      // partial refunds add up
    [InlineData(new long[] { 1, 1, 1 }, 3)]
    [InlineData(new long[] { 999, 999 }, 1_000)]    // never more than the purchase credited
    public void Refund_DebitsItsShareOfThePoints_RoundedDown_OncePerRefund(long[] refunds, long debited)
    {
        var member = Bought(With(), "p-1", 1_000, "CAPTURE-1");
        var journal = JournalOf(member);
        for (var i = 0; i < refunds.Length; i++)
        {
            var refunded = Accepted(PurchaseDecider.Refund(member, "CAPTURE-1", $"REFUND-{i}", refunds[i], journal, Context()));
            journal = [.. journal, .. refunded.Entries];
            member = refunded.Member;
            member = Accepted(PurchaseDecider.Refund(member, "CAPTURE-1", $"REFUND-{i}", refunds[i], journal, Context())).Member; // PayPal's retry
        }
        Assert.Equal(1_000 - debited, member.Ledger.Balance.Value);
    }

    [Fact]
    public void RefundAfterSpending_LeavesDebt_AsTheReversalRulesSay()
    {
        var member = Bought(With(), "p-1", 1_000, "CAPTURE-1");
        var journal = JournalOf(member);
        var spent = (LedgerOutcome.Accepted)LedgerDecider.Decide(member.Ledger, new LedgerCommand.Debit(EntryType.Spend, 800), Context());
        member = member with { Ledger = spent.State };

        var refunded = Accepted(PurchaseDecider.Refund(member, "CAPTURE-1", "REFUND-1", 1_000, journal, Context()));

        Assert.Equal((-800L, 800L), (refunded.Member.Ledger.Balance.Value, refunded.Member.Ledger.Debt.Value));
    }

    [Fact]
    public void ALateDenial_OfACompletedPurchase_ChangesNothing()
    {
        var member = Bought(With(), "p-1", 1_000, "CAPTURE-1");
        Assert.Equal(PurchaseStatus.Completed, ((PurchaseResponse)Accepted(PurchaseDecider.Fail(member, "p-1", Context())).Result).Status);
        var created = Accepted(PurchaseDecider.Create(With(), "p-2", 1_000, "ORDER-2", null, Policy, Context()));
        Assert.Equal(PurchaseStatus.Failed, ((PurchaseResponse)Accepted(PurchaseDecider.Fail(created.Member, "p-2", Context())).Result).Status);
    }

    [Fact]
    public void APendingCapture_CreditsNothing_UntilPayPalSaysCompleted()
    {
        var created = Accepted(PurchaseDecider.Create(With(), "p-1", 1_000, "ORDER-1", null, Policy, Context()));
        var pending = Accepted(PurchaseDecider.MarkPending(created.Member, "p-1", Context()));
        var completed = Accepted(PurchaseDecider.Complete(pending.Member, "p-1", "CAPTURE-1", Context()));
        var latePending = Accepted(PurchaseDecider.MarkPending(completed.Member, "p-1", Context()));

        Assert.Equal((PurchaseStatus.Pending, 0L), (((PurchaseResponse)pending.Result).Status, pending.Member.Ledger.Balance.Value));
        Assert.Equal((PurchaseStatus.Completed, 1_000L), (((PurchaseResponse)latePending.Result).Status, latePending.Member.Ledger.Balance.Value));
        Assert.Empty(latePending.Outbox);
    }

    [Fact]
    public void PurchasedPoints_ExpireOnlyWhenTheProgramGivesThemAPolicy()
    {
        var created = Accepted(PurchaseDecider.Create(With(), "p-1", 1_000, "ORDER-1", null, Policy, Context()));
        var context = Context() with { PurchasedExpiry = Context().RegularExpiry };

        var lot = Assert.Single(Accepted(PurchaseDecider.Complete(created.Member, "p-1", "CAPTURE-1", context)).Member.Ledger.Lots);

        Assert.Equal(Context().RegularExpiry.ExpiryFor(Context().Today), lot.ExpiresOn);
        Assert.NotNull(lot.ExpiresOn);
    }

    /// <summary>The purchase's entries, as the commit path hands a refund the entries recorded under the capture.</summary>
    private static IReadOnlyList<JournalEntry> JournalOf(Member member)
    {
        var created = Accepted(PurchaseDecider.Create(With(), "p-1", 1_000, "ORDER-p-1", null, Policy, Context()));
        return Accepted(PurchaseDecider.Complete(created.Member, "p-1", "CAPTURE-1", Context())).Entries;
    }
}
