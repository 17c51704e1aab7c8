using Points.Domain.Primitives;

namespace Points.Functions.PayPal;

/// <summary>
/// An order to create (Orders v2 <c>orders.create</c>, facts §3.3): intent CAPTURE, one purchase unit in JPY.
/// </summary>
/// <param name="PurchaseId">Our purchase id: the unit's <c>custom_id</c> and <c>reference_id</c> (1–127 characters).</param>
/// <param name="InvoiceId">Unique per purchase (PayPal may refuse a repeated one); shown to the payer (1–127 characters).</param>
/// <param name="Amount">At least ¥1; sent as an integer string without decimals (JPY has none: facts §3.3).</param>
/// <param name="Description">What is bought, e.g. "1000 points" (at most 127 characters; shorter in Japanese).</param>
/// <param name="Experience">
/// With it the order carries <c>payment_source.paypal.experience_context</c> and PayPal answers a <c>payer-action</c>
/// link; without it, the legacy <c>approve</c> link (facts §3.3 "Approval link").
/// </param>
public sealed record PayPalOrderRequest(string PurchaseId, string InvoiceId, Yen Amount, string Description, PayPalExperience? Experience = null);

/// <summary>Where PayPal sends the payer back, and how its page looks (<c>experience_context</c>, facts §3.3).</summary>
public sealed record PayPalExperience(Uri ReturnUrl, Uri CancelUrl, string? BrandName = null, string Locale = "ja-JP");

/// <summary>Order statuses (facts §3.3).</summary>
public enum PayPalOrderStatus { Created, Saved, Approved, Voided, Completed, PayerActionRequired }

/// <summary>Capture statuses (facts §3.4). Credit points only on <see cref="Completed"/>.</summary>
public enum PayPalCaptureStatus { Completed, Declined, PartiallyRefunded, Pending, Refunded, Failed }

/// <summary>Refund statuses (payments v2 refund schema).</summary>
public enum PayPalRefundStatus { Cancelled, Failed, Pending, Completed }

/// <summary>
/// An order as PayPal shows it. <see cref="PayerActionUrl"/> and <see cref="ApproveUrl"/> are the <c>payer-action</c>
/// and <c>approve</c> links, each when present (send the payer to whichever is there, <c>payer-action</c> first).
/// </summary>
/// <param name="CustomId">The first purchase unit's <c>custom_id</c> (our purchase id), when shown.</param>
/// <param name="Amount">The first purchase unit's amount, when shown.</param>
/// <param name="Captures">The first purchase unit's captures (none before capture).</param>
public sealed record PayPalOrder(
    string Id,
    PayPalOrderStatus Status,
    Uri? PayerActionUrl,
    Uri? ApproveUrl,
    string? CustomId,
    string? InvoiceId,
    Yen? Amount,
    IReadOnlyList<PayPalCapture> Captures)
{
    /// <summary>Where to send the payer: the <c>payer-action</c> link, else the <c>approve</c> link.</summary>
    public Uri? PayerUrl => PayerActionUrl ?? ApproveUrl;
}

/// <summary>A capture (payments v2). <see cref="OrderId"/> comes from <c>supplementary_data.related_ids.order_id</c> or the <c>up</c> link.</summary>
public sealed record PayPalCapture(string Id, PayPalCaptureStatus Status, Yen Amount, string? CustomId, string? InvoiceId, string? OrderId);

/// <summary>A refund (payments v2); <see cref="CaptureId"/> is read from its <c>up</c> link (facts §3.6: never the refund's own id).</summary>
public sealed record PayPalRefund(string Id, PayPalRefundStatus Status, Yen Amount, string CaptureId, string? CustomId, string? InvoiceId);

/// <summary>The answer to a capture call: captured, or refused by PayPal for a reason the purchase flow handles.</summary>
public abstract record PayPalCaptureOutcome
{
    private PayPalCaptureOutcome() { }

    /// <summary>PayPal captured (201) or answered the same capture again (200, same <c>PayPal-Request-Id</c>).</summary>
    /// <param name="OrderStatus">Usually <see cref="PayPalOrderStatus.Completed"/>.</param>
    /// <param name="Capture">Its status says whether to credit (<see cref="PayPalCaptureStatus.Completed"/>) or wait (<see cref="PayPalCaptureStatus.Pending"/>).</param>
    public sealed record Captured(PayPalOrderStatus OrderStatus, PayPalCapture Capture) : PayPalCaptureOutcome;

    /// <summary>PayPal answered 422 (or 404 for an unknown or expired order) with a known issue.</summary>
    public sealed record Refused(PayPalCaptureRefusal Reason, PayPalError Error) : PayPalCaptureOutcome;
}

/// <summary>Why PayPal refused a capture; the issue names are PayPal's (Orders v2 errors).</summary>
public enum PayPalCaptureRefusal
{
    /// <summary><c>ORDER_NOT_APPROVED</c>: the payer has not approved yet.</summary>
    OrderNotApproved,
    /// <summary><c>ORDER_ALREADY_CAPTURED</c>: captured under another request id; read the order for its capture.</summary>
    OrderAlreadyCaptured,
    /// <summary><c>INSTRUMENT_DECLINED</c>: the payer's funding source was declined.</summary>
    InstrumentDeclined,
    /// <summary>404 <c>RESOURCE_NOT_FOUND</c>: no such order (or it expired unapproved).</summary>
    OrderNotFound,
    /// <summary>Another 422 issue (<see cref="PayPalError.Issue"/> names it).</summary>
    Unprocessable,
}

/// <summary>
/// PayPal's error body (<c>name</c>, <c>details[].issue</c>, <c>message</c>, <c>debug_id</c>), reduced to what is safe to
/// log: no descriptions with request values.
/// </summary>
public sealed record PayPalError(int Status, string Name, string? Issue, string? DebugId)
{
    public override string ToString() => $"{Status} {Name}{(Issue is null ? "" : "/" + Issue)}{(DebugId is null ? "" : " debug_id " + DebugId)}";
}

/// <summary>Webhook event types the purchase flow subscribes to (facts §3.6).</summary>
public static class PayPalEventTypes
{
    public const string CheckoutOrderApproved = "CHECKOUT.ORDER.APPROVED";
    public const string CaptureCompleted = "PAYMENT.CAPTURE.COMPLETED";
    public const string CapturePending = "PAYMENT.CAPTURE.PENDING";
    public const string CaptureDenied = "PAYMENT.CAPTURE.DENIED";
    public const string CaptureDeclined = "PAYMENT.CAPTURE.DECLINED";
    public const string CaptureRefunded = "PAYMENT.CAPTURE.REFUNDED";
    public const string CaptureReversed = "PAYMENT.CAPTURE.REVERSED";
}
