using System.Collections.Immutable;
using Points.Domain.Ledger;
using Points.Domain.Members;
using Points.Domain.Primitives;

namespace Points.Domain.Purchases;

/// <summary>Why a purchase is refused, in the order checked (api.md "Buying points").</summary>
public enum PurchaseRejection
{
    PurchasesDisabled,
    BelowMinimum,
    AboveMaximum,
    /// <summary>The member would buy more points today (program zone) than the daily limit.</summary>
    DailyLimitReached,
    PurchaseNotFound,
}

/// <summary>What the administrator sets for buying points (F20). Amounts in whole yen.</summary>
public sealed record PurchasePolicy
{
    public bool Enabled { get; init; }
    /// <summary>Price of one point; an order for 1,000 points at 1 yen is 1,000 JPY (domain.md).</summary>
    public int YenPerPoint { get; init; } = 1;
    public long MinimumPoints { get; init; } = 100;
    public long MaximumPoints { get; init; } = 100_000;
    /// <summary>Points one member may buy per program-zone day (orders created that day, unless they failed); null: no limit.</summary>
    public long? DailyPointsMax { get; init; } = 300_000;
}

/// <summary>
/// Where a purchase is: created (an order waits for the payer), pending (captured, PayPal still clearing the payment),
/// completed (captured and credited), failed (declined, denied or expired), refunded (in full or in part).
/// </summary>
public enum PurchaseStatus { Created, Pending, Completed, Failed, Refunded }

/// <summary>A purchase of the member: the points, their price, PayPal's order, and the capture that paid for it.</summary>
public sealed record Purchase(string PurchaseId, PointAmount Points, Yen AmountYen, string OrderId, PurchaseStatus Status, DateTimeOffset CreatedAt, DateOnly CreatedOn)
{
    /// <summary>Where the payer approves the order (PayPal's payer-action or approve link).</summary>
    public string? ApproveUrl { get; init; }
    /// <summary>Not settled yet: the order waits for the payer, or the capture for PayPal.</summary>
    public bool IsOpen => Status is PurchaseStatus.Created or PurchaseStatus.Pending;
    public string? CaptureId { get; init; }
    /// <summary>Yen refunded so far (partial refunds add up), and the refunds counted, by PayPal's refund id.</summary>
    public Yen RefundedYen { get; init; } = Yen.Zero;
    public ImmutableArray<string> RefundIds { get; init; } = [];
    public PointAmount RefundedPoints { get; init; } = PointAmount.Zero;
}

/// <summary>
/// The purchase slice of a member: recent purchases (bounded; older ones live in their records beside the member), so
/// credits and refunds are decided against it exactly once per capture and per refund id.
/// </summary>
public sealed record MemberPurchases(ImmutableArray<Purchase> Recent)
{
    /// <summary>Purchases kept in the member: a refund of an older one is refused as not found (PayPal refunds within 180 days).</summary>
    public const int RecentMax = 100;
    public static readonly MemberPurchases None = new([]);

    public Purchase? Find(string purchaseId) => Recent.FirstOrDefault(p => p.PurchaseId == purchaseId);
    public Purchase? ByCapture(string captureId) => Recent.FirstOrDefault(p => p.CaptureId == captureId);

    public MemberPurchases With(Purchase purchase) => new([.. Recent.Where(p => p.PurchaseId != purchase.PurchaseId).Prepend(purchase).Take(RecentMax)]);

    public long BoughtOn(DateOnly day) => Recent.Where(p => p.CreatedOn == day && p.Status != PurchaseStatus.Failed).Sum(p => p.Points.Value);
}

/// <summary>What the caller is told about a purchase; <paramref name="PointsCredited"/> is what it credited, less refunds.</summary>
public sealed record PurchaseResponse(string PurchaseId, string PaypalOrderId, string? ApproveUrl, long Points, long AmountYen, PurchaseStatus Status,
    long PointsCredited, long? Balance);

/// <summary>The record of a purchase beside the member, written after each commit that changes it (outbox).</summary>
public sealed record RecordPurchase(Purchase Purchase, DateTimeOffset At) : OutboxItem
{
    public override string Id => $"purchase|{Purchase.PurchaseId}|{Purchase.Status}|{Purchase.RefundIds.Length}";
}

/// <summary>
/// Buying points (F20, F21; domain.md "Purchased points"): an order is recorded when PayPal created it; the points are
/// credited as purchased lots once per capture, whichever of the capture call and the webhook comes first; a refund
/// takes back its share of the points (rounded down) through the reversal rules, once per refund.
/// </summary>
public static class PurchaseDecider
{
    /// <summary>The checks before an order is created (the edge runs them first, the commit again).</summary>
    public static MemberDecision.Rejected? Check(Member member, PointAmount points, PurchasePolicy policy, DateOnly today)
    {
        if (!policy.Enabled) return new(PurchaseRejection.PurchasesDisabled, "The program does not sell points.");
        if (points.Value < policy.MinimumPoints) return new(PurchaseRejection.BelowMinimum, $"At least {policy.MinimumPoints} points per purchase.");
        if (points.Value > policy.MaximumPoints) return new(PurchaseRejection.AboveMaximum, $"At most {policy.MaximumPoints} points per purchase.");
        if (policy.DailyPointsMax is { } max && member.Purchases.BoughtOn(today) + points.Value > max)
            return new(PurchaseRejection.DailyLimitReached, $"At most {max} points a day; {member.Purchases.BoughtOn(today)} bought today.");
        return null;
    }

    public static Yen PriceOf(PointAmount points, PurchasePolicy policy) => Yen.ForPoints(points, policy.YenPerPoint);

    /// <summary>Records the order PayPal created for <paramref name="purchaseId"/>.</summary>
    public static MemberDecision Create(Member member, string purchaseId, PointAmount points, string orderId, string? approveUrl, PurchasePolicy policy,
        LedgerContext context)
    {
        if (member.Purchases.Find(purchaseId) is { } existing) return Accepted(member, existing, [], changed: false, context);
        if (Check(member, points, policy, context.Today) is { } refusal) return refusal;
        var purchase = new Purchase(purchaseId, points, PriceOf(points, policy), orderId, PurchaseStatus.Created, context.Now, context.Today)
        {
            ApproveUrl = approveUrl,
        };
        return Accepted(member with { Purchases = member.Purchases.With(purchase) }, purchase, [], changed: true, context);
    }

    /// <summary>
    /// Records an order PayPal has that the member's commit never recorded (the process stopped between PayPal's answer and
    /// the commit) once the payer approved or paid it: on the terms the order was made for, without the checks, which held
    /// when it was made.
    /// </summary>
    public static MemberDecision Recover(Member member, string purchaseId, PointAmount points, Yen amount, string orderId, string? approveUrl,
        DateTimeOffset createdAt, DateOnly createdOn, LedgerContext context)
    {
        if (member.Purchases.Find(purchaseId) is { } existing) return Accepted(member, existing, [], changed: false, context);
        var purchase = new Purchase(purchaseId, points, amount, orderId, PurchaseStatus.Created, createdAt, createdOn) { ApproveUrl = approveUrl };
        return Accepted(member with { Purchases = member.Purchases.With(purchase) }, purchase, [], changed: true, context);
    }

    /// <summary>
    /// PayPal says the capture completed: the points come in as a purchased lot, once per capture id (the capture call
    /// and the webhook may both say it, in either order, many times).
    /// </summary>
    public static MemberDecision Complete(Member member, string purchaseId, string captureId, LedgerContext context)
    {
        if (member.Purchases.Find(purchaseId) is not { } purchase)
            return new MemberDecision.Rejected(PurchaseRejection.PurchaseNotFound, $"The member has no purchase '{purchaseId}'.");
        if (purchase.CaptureId is not null) return Accepted(member, purchase, [], changed: false, context); // credited before: once per capture
        var credit = new LedgerCommand.Credit(EntryType.Purchase, purchase.Points, LotKind.Purchased, null)
        {
            Details = new EntryDetails(captureId, [purchaseId, purchase.OrderId], "purchase", null, null),
        };
        switch (LedgerDecider.Decide(member.Ledger, credit, context))
        {
            case LedgerOutcome.Rejected rejected:
                return MemberDecision.Rejected.Of(rejected);
            case LedgerOutcome.Accepted accepted:
                var completed = purchase with { Status = PurchaseStatus.Completed, CaptureId = captureId };
                return Accepted(member with { Ledger = accepted.State, Purchases = member.Purchases.With(completed) }, completed, accepted.Entries,
                    changed: true, context);
            default:
                throw new InvalidOperationException();
        }
    }

    /// <summary>
    /// PayPal captured but is still clearing the payment (e.g. an eCheck): nothing is credited until it says completed.
    /// Only an order still waiting moves to pending; anything further along stays as it is.
    /// </summary>
    public static MemberDecision MarkPending(Member member, string purchaseId, LedgerContext context) =>
        member.Purchases.Find(purchaseId) is not { } purchase
            ? new MemberDecision.Rejected(PurchaseRejection.PurchaseNotFound, $"The member has no purchase '{purchaseId}'.")
            : purchase.Status != PurchaseStatus.Created
                ? Accepted(member, purchase, [], changed: false, context)
                : Accepted(member with { Purchases = member.Purchases.With(purchase with { Status = PurchaseStatus.Pending }) },
                    purchase with { Status = PurchaseStatus.Pending }, [], changed: true, context);

    /// <summary>PayPal denied or declined the payment: nothing was credited, the purchase failed (and no longer counts toward the daily limit).</summary>
    public static MemberDecision Fail(Member member, string purchaseId, LedgerContext context) =>
        member.Purchases.Find(purchaseId) is not { } purchase
            ? new MemberDecision.Rejected(PurchaseRejection.PurchaseNotFound, $"The member has no purchase '{purchaseId}'.")
            : !purchase.IsOpen
                ? Accepted(member, purchase, [], changed: false, context) // completed, refunded or failed already: a late denial changes nothing
                : Accepted(member with { Purchases = member.Purchases.With(purchase with { Status = PurchaseStatus.Failed }) },
                    purchase with { Status = PurchaseStatus.Failed }, [], changed: true, context);

    /// <summary>
    /// A refund (or reversal) of <paramref name="refundYen"/> of the capture: its share of the points, rounded down, is
    /// taken back through the reversal rules (from the purchased lot first, then other lots, then as debt), once per
    /// refund id. Partial refunds add up; the points taken back never pass what the purchase credited.
    /// </summary>
    public static MemberDecision Refund(Member member, string captureId, string refundId, Yen refundYen, IReadOnlyList<JournalEntry> related, LedgerContext context)
    {
        if (member.Purchases.ByCapture(captureId) is not { } purchase)
            return new MemberDecision.Rejected(PurchaseRejection.PurchaseNotFound, $"The member has no purchase paid by capture '{captureId}'.");
        if (purchase.RefundIds.Contains(refundId)) return Accepted(member, purchase, [], changed: false, context);
        var refunded = purchase.RefundedYen.PlusCapped(refundYen);
        if (refunded > purchase.AmountYen) refunded = purchase.AmountYen;
        var pointsDue = purchase.AmountYen.Value == 0 ? purchase.Points.Value
            : (long)((Int128)purchase.Points.Value * refunded.Value / purchase.AmountYen.Value); // floor (domain.md)
        var points = pointsDue - purchase.RefundedPoints.Value;
        var next = purchase with
        {
            Status = PurchaseStatus.Refunded, RefundedYen = refunded, RefundIds = purchase.RefundIds.Add(refundId),
            RefundedPoints = purchase.RefundedPoints + points,
        };
        if (points <= 0) return Accepted(member with { Purchases = member.Purchases.With(next) }, next, [], changed: true, context);
        var reverse = new LedgerCommand.Reverse(captureId, points, related)
        {
            Details = new EntryDetails(refundId, [captureId], Redemptions.RedemptionDecider.PurchaseRefundReason, null, null),
        };
        return LedgerDecider.Decide(member.Ledger, reverse, context) switch
        {
            LedgerOutcome.Accepted accepted => Accepted(member with { Ledger = accepted.State, Purchases = member.Purchases.With(next) }, next,
                accepted.Entries, changed: true, context),
            LedgerOutcome.Rejected rejected => MemberDecision.Rejected.Of(rejected),
            _ => throw new InvalidOperationException(),
        };
    }

    /// <summary>The purchase as it stands (a decision that changes nothing): the answer to a capture of a settled purchase.</summary>
    public static MemberDecision Show(Member member, string purchaseId, LedgerContext context) =>
        member.Purchases.Find(purchaseId) is { } purchase
            ? Accepted(member, purchase, [], changed: false, context)
            : new MemberDecision.Rejected(PurchaseRejection.PurchaseNotFound, $"The member has no purchase '{purchaseId}'.");

    /// <summary>The decision and its answer; a purchase this decision changed is recorded beside the member after the commit.</summary>
    private static MemberDecision.Accepted Accepted(Member member, Purchase purchase, ImmutableArray<JournalEntry> entries, bool changed, LedgerContext context) =>
        new(member, entries, new PurchaseResponse(purchase.PurchaseId, purchase.OrderId, purchase.ApproveUrl, purchase.Points.Value, purchase.AmountYen.Value, purchase.Status,
            purchase.CaptureId is null ? 0 : purchase.Points.Value - purchase.RefundedPoints.Value, member.Ledger.Balance.Value))
        {
            Outbox = changed ? [new RecordPurchase(purchase, context.Now)] : [],
        };
}
