using Points.Domain.Ledger;
using Points.Domain.Members;
using Points.Domain.Primitives;

namespace Points.Domain.Redemptions;

/// <summary>Points taken from one lot by a redemption.</summary>
public sealed record ConsumedLot(string LotId, LotKind Kind, long Points);

/// <summary>A redemption: its id (the reference to reverse it by), the points, the lots they came from and the balance after.</summary>
public sealed record RedemptionResponse(string RedemptionId, long Points, IReadOnlyList<ConsumedLot> Consumed, long Balance);

/// <summary>A reversal: the sequence number of its (last) entry, the points moved (negative when taken back) and the balance after.</summary>
public sealed record ReversalResponse(long Seq, long Points, long Balance);

/// <summary>Spending points (F11) and reversing what was earned or spent (domain.md "Reversals").</summary>
public static class RedemptionDecider
{
    /// <summary>Spends <paramref name="points"/> in consumption order under <paramref name="redemptionId"/>.</summary>
    public static MemberDecision Redeem(Member member, string redemptionId, PointAmount points, EntryDetails details, LedgerContext context) =>
        MemberDecision.Of(LedgerDecider.Decide(member.Ledger, new LedgerCommand.Debit(EntryType.Spend, points) { Details = details }, context), member,
            accepted => new RedemptionResponse(redemptionId, points.Value, ConsumedBy(accepted), accepted.State.Balance.Value));

    /// <summary>The lots the spend entry of <paramref name="accepted"/> took points from.</summary>
    /// <summary>The reason on the reversal entries of a PayPal refund.</summary>
    public const string PurchaseRefundReason = "purchase refunded";

    public static IReadOnlyList<ConsumedLot> ConsumedBy(LedgerOutcome.Accepted accepted) =>
        [.. accepted.Entries.Single(e => e.Type == EntryType.Spend).Lots.Select(l => new ConsumedLot(l.LotId, l.Kind, -l.Points.Value))];

    /// <summary>
    /// Reverses the entries recorded under <paramref name="reference"/> (<paramref name="related"/>: every entry found
    /// under it, sealed or not). When they rewarded a purchase, the same share of the purchase's yen leaves the rank
    /// metric (domain.md: the metric is net of reversals), rounded down by <see cref="Yen.ShareFloor"/>.
    /// </summary>
    public static MemberDecision Reverse(Member member, string reference, PointAmount? points, IReadOnlyList<JournalEntry> related, LedgerContext context)
    {
        // Purchased points are taken back only by a PayPal refund (PurchaseDecider.Refund), never by a partner's reversal.
        related = [.. related.Where(e => e.Type != EntryType.Purchase && !(e.Type == EntryType.Reverse && e.Reason == PurchaseRefundReason))];
        var command = new LedgerCommand.Reverse(reference, points, related) { Details = new EntryDetails(reference, [], null, null, null) };
        var outcome = LedgerDecider.Decide(member.Ledger, command, context);
        if (outcome is LedgerOutcome.Rejected rejected)
        {
            return MemberDecision.Rejected.Of(rejected);
        }
        var accepted = (LedgerOutcome.Accepted)outcome;
        var reversals = accepted.Entries.Where(e => e.Type == EntryType.Reverse).ToList();
        var reversed = -reversals.Sum(e => e.Points).Value;
        var next = member with { Ledger = accepted.State };
        var rewarded = related.Where(e => e.Type == EntryType.Earn && e.ReversalOf is null).Sum(e => e.Points).Value;
        if (related.FirstOrDefault(e => e.PurchaseYen is not null) is { PurchaseYen: { } yen, PurchaseOn: { } on })
        {
            // The points reversed never exceed the points the purchase earned: the ledger refuses more. The reversal that
            // takes the last of them takes the purchase out of the month's count too.
            var reversedBefore = -related.Where(e => e.Type == EntryType.Reverse).Sum(e => e.Points).Value;
            next = next with { Earning = next.Earning.WithoutPurchaseYen(on, yen.ShareFloor(reversed, rewarded), wholly: reversedBefore + reversed >= rewarded) };
        }
        if (rewarded > 0)
        {
            // The points earned metric is net of reversals, taken from the month of the reversal.
            next = next with { Earning = next.Earning.WithEarned(context.Today, -Math.Min(reversed, rewarded)) };
        }
        return new MemberDecision.Accepted(next, accepted.Entries, new ReversalResponse(reversals[^1].Seq, -reversed, accepted.State.Balance.Value));
    }
}
