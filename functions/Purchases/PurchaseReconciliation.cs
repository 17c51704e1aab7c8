using Points.Domain.Primitives;
using Points.Domain.Purchases;
using Points.Functions.PayPal;
using Points.Functions.Settings;

namespace Points.Functions.Purchases;

/// <summary>
/// <c>ReconcilePurchases</c> (timer, hourly): applies webhook events whose application failed, and settles purchases
/// still open some time after they were created by asking PayPal for their order: a capture there is applied, an
/// approved order is captured, an order PayPal no longer knows, voided or never approved within its three hours fails
/// the purchase. This is also what heals a stop between PayPal's answer and the commit. Each purchase and event alone:
/// one that fails is counted and tried again next hour.
/// </summary>
public sealed partial class PurchaseReconciliation(
    PurchaseRecords records, PayPalEventLog events, PayPalEventHandler handler, PurchaseSettlement settlement, PayPalClient paypal,
    ProgramSettingsStore settingsStore, TimeProvider clock, ILogger<PurchaseReconciliation> log)
{
    public const string FunctionName = "ReconcilePurchases";
    public const int PurchasesPerRunMax = 1_000;
    public const int EventsPerRunMax = 1_000;
    /// <summary>An event is left to the request that recorded it this long before the reconciliation applies it.</summary>
    public static readonly TimeSpan EventGrace = TimeSpan.FromMinutes(5);

    public async Task<string> RunAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var settings = (await settingsStore.GetAsync(cancellationToken)).Purchases;
        var (eventsApplied, eventsFailed) = (0, 0);
        var pending = await events.PendingBeforeAsync(now - EventGrace, EventsPerRunMax, cancellationToken);
        foreach (var (eventId, body) in pending)
        {
            try
            {
                if (body is not null) await handler.ApplyAsync(PayPalWebhookEvent.Parse(System.Text.Encoding.UTF8.GetBytes(body)), cancellationToken);
                await events.AppliedAsync(eventId, cancellationToken); // a marker without its record: PayPal was not answered 200 and sends it again
                eventsApplied++;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                eventsFailed++;
                LogEventFailed(e, eventId);
            }
        }

        var (settled, failed) = (0, 0);
        var open = await records.OpenBeforeAsync(now - TimeSpan.FromMinutes(settings.ReconcileAfterMinutes), PurchasesPerRunMax, cancellationToken);
        foreach (var purchase in open)
        {
            try
            {
                if (await ReconcileAsync(purchase, now, cancellationToken)) settled++;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                failed++;
                LogPurchaseFailed(e, purchase.Id);
            }
        }
        return $"events applied {eventsApplied} of {pending.Count} ({eventsFailed} failed); purchases settled {settled} of {open.Count} ({failed} failed)";
    }

    /// <summary>Settles one open purchase by its order at PayPal; true when it is no longer open.</summary>
    private async Task<bool> ReconcileAsync(OpenPurchase open, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var memberId = MemberId.Parse(open.MemberId);
        var purchase = await settlement.FindAsync(memberId, open.Id, cancellationToken);
        if (purchase is null)
        {
            if (await records.OwnerAsync(open.Id, cancellationToken) is not { } owner) return await records.CloseAsync(open.Id, cancellationToken);
            // The commit never recorded the order (or it was refused after PayPal made it): ask for it again by the same request id.
            var order = await settlement.OrderAgainAsync(owner, cancellationToken);
            if (order.Status is PayPalOrderStatus.Created or PayPalOrderStatus.PayerActionRequired or PayPalOrderStatus.Saved)
            {
                // Nobody paid: nothing to record. Past PayPal's three hours the order is gone and the marker with it.
                return now - owner.CreatedAt > PurchaseSettlement.UnapprovedOrderLifetime && await records.CloseAsync(open.Id, cancellationToken);
            }
            purchase = (await settlement.ResolveAsync(open.Id, PurchaseSettlement.Known(order), cancellationToken))?.Purchase;
            if (purchase is null) return false;
        }

        if (purchase.IsOpen)
        {
            var order = await paypal.GetOrderAsync(purchase.OrderId, cancellationToken);
            if (order is null || order.Status == PayPalOrderStatus.Voided
                || order is { Status: PayPalOrderStatus.Created or PayPalOrderStatus.PayerActionRequired or PayPalOrderStatus.Saved }
                    && now - purchase.CreatedAt > PurchaseSettlement.UnapprovedOrderLifetime)
                await settlement.FailAsync(memberId, purchase.PurchaseId);
            else if (order.Captures is [var capture, ..])
                await settlement.ApplyCaptureAsync(memberId, purchase.PurchaseId, capture);
            else if (order.Status == PayPalOrderStatus.Approved)
                await settlement.CaptureAsync(memberId, purchase, cancellationToken);
            purchase = await settlement.FindAsync(memberId, purchase.PurchaseId, cancellationToken) ?? purchase;
        }
        if (purchase.IsOpen) return false;
        await records.CloseAsync(open.Id, cancellationToken);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "ReconcilePurchases: PayPal event {EventId} still not applied; next run tries again")]
    private partial void LogEventFailed(Exception error, string eventId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ReconcilePurchases: purchase {PurchaseId} not settled; next run tries again")]
    private partial void LogPurchaseFailed(Exception error, string purchaseId);
}
