using System.Collections.Immutable;
using Points.Domain.Earning;
using Points.Domain.Ledger;
using Points.Domain.Members;
using Points.Domain.Primitives;

namespace Points.Domain.Store;

/// <summary>Why an in-store transaction is refused (besides the ledger's own reasons for the spend).</summary>
public enum StoreRejection
{
    /// <summary>The member's QR token has expired, already paid for another transaction, or too many are in use.</summary>
    InvalidQrToken,
}

/// <summary>A member's QR token as verified by its signature: whose it is, its nonce (one use) and when it expires.</summary>
public sealed record QrToken(MemberId MemberId, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt, string Nonce);

/// <summary>
/// One purchase at a store terminal: <paramref name="PurchaseAmount"/> yen, of which <paramref name="PointsToUse"/>
/// points pay <c>PointsToUse × YenPerPoint</c>. <paramref name="TransactionId"/> is the spend's reference,
/// <paramref name="EventId"/> the purchase event's id (the earn entries' reference).
/// </summary>
public sealed record StorePurchase(string TransactionId, string EventId, string StoreId, Yen PurchaseAmount, PointAmount PointsToUse, int YenPerPoint)
{
    /// <summary>Only the yen actually paid earns points and counts toward the rank (api.md): what the points did not pay.</summary>
    public Yen PaidYen => PurchaseAmount.Less(Yen.ForPoints(PointsToUse, YenPerPoint));
}

/// <param name="TransactionId">Reference of the spend entry (reverse it to give the points back on a return).</param>
/// <param name="Earned">Points awarded by the purchase rules; their entries carry the purchase event's id as reference.</param>
public sealed record StoreTransactionResponse(string TransactionId, string MemberId, long Earned, long Spent, long Balance);

/// <summary>
/// One purchase at a store terminal (F14) as ONE member decision: spend the points, then earn on the yen paid, so the
/// two happen together or not at all. The QR token pays for one transaction: its nonce is recorded with the commit.
/// </summary>
public static class StoreDecider
{
    public const string Channel = "store";

    public static MemberDecision Transact(Member member, QrToken token, StorePurchase purchase, EarningConfig earning, LedgerContext context)
    {
        var now = context.Now;
        var spending = member.Spending;
        if (now >= token.ExpiresAt)
            return new MemberDecision.Rejected(StoreRejection.InvalidQrToken, "The QR token has expired; ask the member for a fresh one.");
        if (spending.HasUsedQrToken(token.Nonce))
            return new MemberDecision.Rejected(StoreRejection.InvalidQrToken, "The QR token already paid for another transaction.");
        if (spending.QrTokensUsed.Count(t => t.ExpiresAt > now) >= MemberSpending.QrTokensUsedMax)
            return new MemberDecision.Rejected(StoreRejection.InvalidQrToken,
                $"The member used {MemberSpending.QrTokensUsedMax} QR tokens that are still valid; wait a few minutes.");

        var entries = ImmutableArray.CreateBuilder<JournalEntry>();
        if (purchase.PointsToUse.IsPositive)
        {
            var debit = new LedgerCommand.Debit(EntryType.Spend, purchase.PointsToUse)
            {
                Details = new EntryDetails(purchase.TransactionId, [], "store purchase", purchase.StoreId, Channel),
            };
            switch (LedgerDecider.Decide(member.Ledger, debit, context))
            {
                case LedgerOutcome.Rejected rejected:
                    return MemberDecision.Rejected.Of(rejected);
                case LedgerOutcome.Accepted accepted:
                    member = member with { Ledger = accepted.State };
                    entries.AddRange(accepted.Entries);
                    break;
            }
        }

        var earn = new EarnCommand(new EarningEvent(purchase.EventId, Triggers.Purchase, now, context.Today, purchase.PaidYen.Value, purchase.StoreId, Channel) { LocalTime = context.LocalTime }, null);
        var outcome = EarningDecider.Earn(member, earn, earning, context);
        if (outcome is not EarningOutcome.Earned earned)
        {
            return outcome.ToDecision();
        }
        entries.AddRange(earned.Entries);
        var awarded = earned.Response;
        return new MemberDecision.Accepted(
            earned.Member with { Spending = earned.Member.Spending.WithQrTokenUsed(token.Nonce, token.ExpiresAt, now) },
            entries.ToImmutable(),
            new StoreTransactionResponse(purchase.TransactionId, token.MemberId.Value, awarded.Awarded.Sum(a => a.Points), purchase.PointsToUse.Value, awarded.Balance))
        {
            Outbox = earned.Outbox,
        };
    }
}
