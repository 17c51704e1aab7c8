using System.Collections.Immutable;
using Points.Domain.Earning;
using Points.Domain.Ledger;
using Points.Functions.Catalog;
using Points.Functions.Earning;
using Points.Functions.Ledger;
using Points.Functions.Settings;

namespace Points.Functions.Store;

public sealed record StoreTransactionRequest(string? QrToken, string? StoreId, long? PurchaseAmount, long? PointsToUse);

/// <param name="TransactionId">Reference of the spend entry (reverse it to give the points back on a return).</param>
/// <param name="Earned">Points awarded by the purchase rules; their entries carry the reference <c>store:{Idempotency-Key}</c>.</param>
public sealed record StoreTransactionResponse(string TransactionId, string MemberId, long Earned, long Spent, long Balance);

/// <summary>
/// One purchase at a store terminal (F14) as ONE member operation: spend <c>pointsToUse</c>, then earn on what was paid
/// in yen (<c>purchaseAmount − pointsToUse × yenPerPoint</c>), decided together and committed in one write, so the
/// two happen together or not at all and a retry with the same Idempotency-Key replays both.
/// <para>
/// The QR token pays for one transaction: its nonce is recorded in the member's account with the commit. A second,
/// different transaction with the same token is refused (401 <c>invalid_qr_token</c>), as is an expired token; the
/// same transaction retried with the same key is answered from the idempotency record before these checks, so it
/// replays even after the token lapsed.
/// </para>
/// </summary>
public static class StoreTransaction
{
    public const string Channel = "store";

    public static MemberOperation For(QrToken token, StoreTransactionRequest request, string idempotencyKey, IReadOnlyList<EarningRule> rules,
        IReadOnlyList<Campaign> campaigns, ProgramSettings settings, string actor, string requestHash)
    {
        var transactionId = "stx_" + Guid.CreateVersion7().ToString("N");
        var eventId = "store:" + idempotencyKey;
        return new MemberOperation(actor, eventId, requestHash,
            input => Decide(input, token, request, transactionId, eventId, rules, campaigns, settings));
    }

    internal static OperationDecision Decide(MemberOperationInput input, QrToken token, StoreTransactionRequest request, string transactionId,
        string eventId, IReadOnlyList<EarningRule> rules, IReadOnlyList<Campaign> campaigns, ProgramSettings settings)
    {
        var now = input.Context.Now;
        var spending = input.Account.Spending;
        if (now >= token.ExpiresAt) return new OperationDecision.Rejected("invalid_qr_token", "The QR token has expired; ask the member for a fresh one.");
        if (spending.HasUsedQrToken(token.Nonce)) return new OperationDecision.Rejected("invalid_qr_token", "The QR token already paid for another transaction.");
        if (spending.QrTokensUsed.Count(t => t.ExpiresAt > now) >= MemberSpending.QrTokensUsedMax)
            return new OperationDecision.Rejected("invalid_qr_token", $"The member used {MemberSpending.QrTokensUsedMax} QR tokens that are still valid; wait a few minutes.");

        var account = input.Account;
        var spent = request.PointsToUse ?? 0;
        var entries = ImmutableArray.CreateBuilder<JournalEntry>();
        if (spent > 0)
        {
            var debit = new LedgerCommand.Debit(EntryType.Spend, spent)
            {
                Details = new EntryDetails(transactionId, [], "store purchase", request.StoreId, Channel),
            };
            switch (LedgerDecider.Decide(account.Ledger, debit, input.Context))
            {
                case LedgerOutcome.Rejected rejected:
                    return OperationDecision.Rejected.Of(rejected);
                case LedgerOutcome.Accepted accepted:
                    account = account with { Ledger = accepted.State };
                    entries.AddRange(accepted.Entries);
                    break;
            }
        }

        // Points bought the part of the purchase they paid for: only the yen paid earns (api.md) and counts toward the rank.
        var paidYen = Math.Max(0, checked(request.PurchaseAmount!.Value - spent * settings.YenPerPoint));
        var purchase = new EarningOperation.Input(eventId, "purchase", now, paidYen, request.StoreId, Channel, null);
        if (EarningOperation.Decide(input with { Account = account }, purchase, rules, campaigns, settings) is not OperationDecision.Accepted earning)
            throw new InvalidOperationException("Earning on a purchase refuses nothing; a refusal here is a bug.");
        entries.AddRange(earning.Entries);
        var awarded = (EventResponse)earning.Response;
        var next = earning.Account with { Spending = earning.Account.Spending.WithQrTokenUsed(token.Nonce, token.ExpiresAt, now) };
        return new OperationDecision.Accepted(next, entries.ToImmutable(),
            new StoreTransactionResponse(transactionId, token.MemberId.Value, awarded.Awarded.Sum(a => a.Points), spent, awarded.Balance));
    }
}
