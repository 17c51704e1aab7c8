using Points.Domain.Purchases;
using Points.Functions.Ledger;
using Points.Functions.PayPal;

namespace Points.Functions.Purchases;

/// <summary>
/// Applies a verified PayPal event to the purchase it names (facts §3.6): an approved order is captured if it was not
/// yet, a completed capture credits, a pending one waits, a denied or declined one fails the purchase, a refund or
/// reversal takes its share back. Events of other purchases (not ours) and other types are recorded and ignored.
/// </summary>
public sealed partial class PayPalEventHandler(PurchaseSettlement settlement, PayPalClient paypal, ILogger<PayPalEventHandler> log)
{
    /// <summary>What applying an event came to, for the log.</summary>
    public enum Applied { Settled, Ignored, NotOurs }

    public async Task<Applied> ApplyAsync(PayPalWebhookEvent paypalEvent, CancellationToken cancellationToken)
    {
        switch (paypalEvent)
        {
            case { EventType: PayPalEventTypes.CheckoutOrderApproved, Order: { } order }:
                if (order.CustomId is null || await settlement.ResolveAsync(order.CustomId, PurchaseSettlement.Known(order), cancellationToken) is not { } approved)
                    return NotOurs(paypalEvent);
                if (approved.Purchase.Status == PurchaseStatus.Created)
                    Checked(await settlement.CaptureAsync(approved.Member, approved.Purchase, cancellationToken), paypalEvent);
                return Applied.Settled;

            case { EventType: PayPalEventTypes.CaptureCompleted or PayPalEventTypes.CapturePending or PayPalEventTypes.CaptureDenied
                or PayPalEventTypes.CaptureDeclined, Capture: { } capture }:
                Func<CancellationToken, Task<PayPalOrder?>> orderOf = token => capture.OrderId is { } orderId ? paypal.GetOrderAsync(orderId, token) : Task.FromResult<PayPalOrder?>(null);
                var purchaseId = capture.CustomId ?? (await orderOf(cancellationToken))?.CustomId; // PayPal copies custom_id to the capture; older ones may lack it
                if (purchaseId is null || await settlement.ResolveAsync(purchaseId, orderOf, cancellationToken) is not { } captured) return NotOurs(paypalEvent);
                // The event type says what happened even when the resource's status is already further along.
                var status = paypalEvent.EventType switch
                {
                    PayPalEventTypes.CaptureCompleted => PayPalCaptureStatus.Completed,
                    PayPalEventTypes.CapturePending => PayPalCaptureStatus.Pending,
                    _ => PayPalCaptureStatus.Declined,
                };
                Checked(new(await settlement.ApplyCaptureAsync(captured.Member, purchaseId, capture with { Status = status })), paypalEvent);
                return Applied.Settled;

            case { EventType: PayPalEventTypes.CaptureRefunded or PayPalEventTypes.CaptureReversed, Refund: { } refund }:
                if (refund.Status is PayPalRefundStatus.Cancelled or PayPalRefundStatus.Failed) return Applied.Ignored; // no money moved back
                var refundOf = refund.CustomId ?? (await paypal.GetCaptureAsync(refund.CaptureId, cancellationToken))?.CustomId;
                if (refundOf is null || await settlement.ResolveAsync(refundOf, PurchaseSettlement.Known(null), cancellationToken) is not { } refunded) return NotOurs(paypalEvent);
                if (refunded.Purchase.CaptureId is null)
                {
                    // The refund came before the capture's news: the capture is credited first, so the refund has points to take back.
                    var capture = await paypal.GetCaptureAsync(refund.CaptureId, cancellationToken)
                        ?? throw new PayPalProtocolException($"PayPal refunded capture {refund.CaptureId} but does not show it.");
                    await settlement.ApplyCaptureAsync(refunded.Member, refundOf, capture with { Status = PayPalCaptureStatus.Completed });
                }
                Checked(new(await settlement.ApplyRefundAsync(refunded.Member, refund.CaptureId, refund.Id, refund.Amount)), paypalEvent);
                return Applied.Settled;

            default:
                return Applied.Ignored;
        }
    }

    /// <summary>A purchase the event names but the member no longer shows (e.g. past the recent ones) is logged for a person.</summary>
    private void Checked(CaptureOutcome outcome, PayPalWebhookEvent paypalEvent)
    {
        if (outcome.Result is OperationResult.Rejected rejected) LogRejected(paypalEvent.Id, paypalEvent.EventType, rejected.Reason.ToString(), rejected.Detail);
        else if (outcome.Refusal is { } refusal) LogRejected(paypalEvent.Id, paypalEvent.EventType, refusal.ToString(), outcome.Detail ?? "");
    }

    private Applied NotOurs(PayPalWebhookEvent paypalEvent)
    {
        LogNotOurs(paypalEvent.Id, paypalEvent.EventType);
        return Applied.NotOurs;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "PayPal event {EventId} ({EventType}) names no purchase of ours; ignored")]
    private partial void LogNotOurs(string eventId, string eventType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "PayPal event {EventId} ({EventType}) could not be applied: {Reason} {Detail}")]
    private partial void LogRejected(string eventId, string eventType, string reason, string detail);
}
