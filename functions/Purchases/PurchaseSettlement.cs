using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Domain.Purchases;
using Points.Functions.Ledger;
using Points.Functions.PayPal;
using Points.Functions.Settings;

namespace Points.Functions.Purchases;

/// <summary>Why a capture did not settle the purchase: PayPal's refusals the caller is told about.</summary>
public enum CaptureRefusal
{
    /// <summary>The payer has not approved the order yet.</summary>
    NotApproved,
    /// <summary>The payer's funding source was declined; the payer may approve again with another.</summary>
    Declined,
    /// <summary>PayPal refused for another reason (its issue name is in the detail).</summary>
    Refused,
}

/// <summary>A capture's end: the member commit it led to, or PayPal's refusal.</summary>
public sealed record CaptureOutcome(OperationResult? Result, CaptureRefusal? Refusal = null, string? Detail = null);

/// <summary>
/// Settles purchases from what PayPal says, the same way whoever hears it first (the capture call, a webhook, the hourly
/// reconciliation): a completed capture credits (once per capture, in the member commit), a pending one waits, a declined
/// or denied one fails the purchase, a refund or reversal takes its share back. Every step is a member commit, so any
/// number of them in any order and concurrently come to the same member.
/// </summary>
public sealed partial class PurchaseSettlement(
    MemberLedger ledger, LedgerStore members, PurchaseRecords records, PayPalClient paypal, ProgramSettingsStore settingsStore, TimeProvider clock,
    ILogger<PurchaseSettlement> log)
{
    /// <summary>Who the settlement's entries are recorded as made by.</summary>
    public const string Actor = "paypal";
    /// <summary>PayPal expires an order nobody approved three hours after it was created (facts §3.3).</summary>
    public static readonly TimeSpan UnapprovedOrderLifetime = TimeSpan.FromHours(3);

    public static string CreateRequestId(string purchaseId) => "create-" + purchaseId;
    public static string CaptureRequestId(string orderId) => "capture-" + orderId;

    /// <summary>The order for a purchase, as created and as re-created with the same request id (which PayPal answers with the same order).</summary>
    public static PayPalOrderRequest OrderFor(string purchaseId, PointAmount points, Yen amount, PurchaseSettings settings) =>
        new(purchaseId, purchaseId, amount, $"{points.Value} points",
            settings is { ReturnUrl: { } back, CancelUrl: { } cancel } ? new PayPalExperience(new Uri(back), new Uri(cancel)) : null);

    public async Task<Purchase?> FindAsync(MemberId memberId, string purchaseId, CancellationToken cancellationToken) =>
        (await members.ReadAccountAsync(memberId, cancellationToken)).Account?.Member.Purchases.Find(purchaseId);

    /// <summary>Captures the purchase's order (the same request id each time, so PayPal captures once) and settles by its answer.</summary>
    public async Task<CaptureOutcome> CaptureAsync(MemberId memberId, Purchase purchase, CancellationToken cancellationToken)
    {
        if (!purchase.IsOpen) return new(await CommitAsync(memberId, input => PurchaseDecider.Show(input.Member, purchase.PurchaseId, input.Context)));
        switch (await paypal.CaptureOrderAsync(purchase.OrderId, CaptureRequestId(purchase.OrderId), cancellationToken))
        {
            case PayPalCaptureOutcome.Captured captured:
                return new(await ApplyCaptureAsync(memberId, purchase.PurchaseId, captured.Capture));
            case PayPalCaptureOutcome.Refused { Reason: PayPalCaptureRefusal.OrderAlreadyCaptured }:
                var order = await paypal.GetOrderAsync(purchase.OrderId, cancellationToken);
                return order is { Captures: [var capture, ..] }
                    ? new(await ApplyCaptureAsync(memberId, purchase.PurchaseId, capture))
                    : throw new PayPalProtocolException($"PayPal said order {purchase.OrderId} was captured but shows no capture.");
            case PayPalCaptureOutcome.Refused { Reason: PayPalCaptureRefusal.OrderNotFound }:
                return new(await CommitAsync(memberId, input => PurchaseDecider.Fail(input.Member, purchase.PurchaseId, input.Context)));
            case PayPalCaptureOutcome.Refused { Reason: PayPalCaptureRefusal.OrderNotApproved }:
                return new(null, CaptureRefusal.NotApproved, "The payer has not approved the order yet: send them to approveUrl.");
            case PayPalCaptureOutcome.Refused { Reason: PayPalCaptureRefusal.InstrumentDeclined }:
                return new(null, CaptureRefusal.Declined, "PayPal declined the payer's funding source: send them to approveUrl to choose another.");
            case PayPalCaptureOutcome.Refused refused:
                return new(null, CaptureRefusal.Refused, $"PayPal refused the capture ({refused.Error.Issue ?? refused.Error.Name}).");
            default:
                throw new InvalidOperationException("A capture ends captured or refused.");
        }
    }

    /// <summary>What a capture's status means for the purchase.</summary>
    public Task<OperationResult> ApplyCaptureAsync(MemberId memberId, string purchaseId, PayPalCapture capture) => capture.Status switch
    {
        PayPalCaptureStatus.Completed or PayPalCaptureStatus.PartiallyRefunded or PayPalCaptureStatus.Refunded =>
            CommitAsync(memberId, input => PurchaseDecider.Complete(input.Member, purchaseId, capture.Id, input.Context)),
        PayPalCaptureStatus.Pending => CommitAsync(memberId, input => PurchaseDecider.MarkPending(input.Member, purchaseId, input.Context)),
        _ => CommitAsync(memberId, input => PurchaseDecider.Fail(input.Member, purchaseId, input.Context)),
    };

    /// <summary>A refund or reversal of <paramref name="captureId"/>: its share of the points goes back through the reversal rules.</summary>
    public Task<OperationResult> ApplyRefundAsync(MemberId memberId, string captureId, string refundId, Yen amount) =>
        ledger.ExecuteAsync(memberId, new MemberOperation(Actor, null, "", input =>
            PurchaseDecider.Refund(input.Member, captureId, refundId, amount, input.Related, input.Context)) { RelatedReference = captureId });

    public Task<OperationResult> FailAsync(MemberId memberId, string purchaseId) =>
        CommitAsync(memberId, input => PurchaseDecider.Fail(input.Member, purchaseId, input.Context));

    public static Func<CancellationToken, Task<PayPalOrder?>> Known(PayPalOrder? order) => _ => Task.FromResult(order);

    /// <summary>
    /// The member and the purchase of <paramref name="purchaseId"/>. When PayPal has an order the member's commit never
    /// recorded (the process stopped in between), it is recorded now from the terms noted before the order was made.
    /// Null when the id is not one of ours.
    /// </summary>
    /// <param name="orderOf">PayPal's order of the purchase, asked only when the member does not show the purchase; null when unknown.</param>
    public async Task<(MemberId Member, Purchase Purchase)?> ResolveAsync(string purchaseId, Func<CancellationToken, Task<PayPalOrder?>> orderOf,
        CancellationToken cancellationToken)
    {
        if (!RequestIdsAreOurs(purchaseId) || await records.OwnerAsync(purchaseId, cancellationToken) is not { } owner) return null;
        var memberId = MemberId.Parse(owner.MemberId);
        if (await FindAsync(memberId, purchaseId, cancellationToken) is { } purchase) return (memberId, purchase);
        if (await orderOf(cancellationToken) is not { } order || order.CustomId is { } named && named != purchaseId) return null;
        var settings = await settingsStore.GetAsync(cancellationToken);
        var result = await CommitAsync(memberId, input => PurchaseDecider.Recover(input.Member, purchaseId, owner.Points, new Yen(owner.AmountYen), order.Id,
            order.PayerUrl?.AbsoluteUri, owner.CreatedAt, settings.DateOf(owner.CreatedAt), input.Context));
        LogRecovered(purchaseId, order.Id);
        return result is OperationResult.Applied or OperationResult.Replayed && await FindAsync(memberId, purchaseId, cancellationToken) is { } recovered
            ? (memberId, recovered)
            : null;
    }

    /// <summary>The order PayPal has for a purchase whose commit may never have happened: asked again with the same request id.</summary>
    public async Task<PayPalOrder> OrderAgainAsync(PurchaseOwner owner, CancellationToken cancellationToken)
    {
        var settings = (await settingsStore.GetAsync(cancellationToken)).Purchases;
        return await paypal.CreateOrderAsync(OrderFor(owner.Id, owner.Points, new Yen(owner.AmountYen), settings), CreateRequestId(owner.Id), cancellationToken);
    }

    /// <summary>Our purchase ids (see <see cref="PurchasesFeature.PurchaseIdOf"/>); anything else in a custom_id is not ours.</summary>
    private static bool RequestIdsAreOurs(string purchaseId) => purchaseId.Length == PurchasesFeature.PurchaseIdLength && purchaseId[0] == 'B'
        && purchaseId.AsSpan(1).IndexOfAnyExcept("0123456789abcdef") < 0;

    private Task<OperationResult> CommitAsync(MemberId memberId, Func<MemberOperationInput, MemberDecision> decide) =>
        ledger.ExecuteAsync(memberId, new MemberOperation(Actor, null, "", decide));

    /// <summary>The time now (for the reconciliation's ages).</summary>
    public DateTimeOffset Now => clock.GetUtcNow();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Purchase {PurchaseId}: PayPal order {OrderId} was never recorded by its commit; recorded now")]
    private partial void LogRecovered(string purchaseId, string orderId);
}
