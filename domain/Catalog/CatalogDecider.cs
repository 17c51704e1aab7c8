using Points.Domain.Ledger;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Domain.Redemptions;

namespace Points.Domain.Catalog;

/// <summary>Why a catalog redemption is refused, in the order checked (domain.md, api.md "Redemptions" with purpose catalog).</summary>
public enum CatalogRejection
{
    /// <summary>No such item, outside its window, or the member's rank or tags do not qualify.</summary>
    NotEligible,
    /// <summary>The member redeemed the item as often as its per-member limit allows.</summary>
    LimitReached,
    /// <summary>Every unit of the item's stock is taken (checked by the stock, after the member's own checks).</summary>
    OutOfStock,
}

/// <summary>
/// What a redemption needs to know of a catalog item: its cost, window <c>[ActiveFrom, ActiveUntil)</c>, who may
/// redeem it (any of <paramref name="Ranks"/> and any of <paramref name="Tags"/>; empty = no restriction), the
/// per-member limit over the item's life (null = none) and whether its stock is limited (a unit is then held for the
/// redemption before the member's commit).
/// </summary>
public sealed record CatalogTerms(
    string ItemId, long Cost, DateTimeOffset? ActiveFrom, DateTimeOffset? ActiveUntil, IReadOnlyList<string> Ranks, IReadOnlyList<string> Tags,
    int? PerMemberLimit, bool LimitedStock);

/// <summary>
/// One unit set aside for one redemption attempt before the member's commit. <see cref="RedemptionId"/> is the
/// reference of the spend entry that attempt writes, so the journal tells afterwards whether the unit was used.
/// </summary>
public sealed record StockHold(string RedemptionId, string MemberId, DateTimeOffset HeldAt);

/// <summary>A catalog redemption: a redemption plus the item redeemed.</summary>
public sealed record CatalogRedemptionResponse(string RedemptionId, long Points, IReadOnlyList<ConsumedLot> Consumed, long Balance, string CatalogItemId);

/// <summary>The unit held for <paramref name="RedemptionId"/> was used: the hold goes, the unit stays taken.</summary>
public sealed record SettleStockHold(string ItemId, string RedemptionId) : OutboxItem
{
    public override string Id => "stock|" + RedemptionId;
}

/// <summary>
/// The unit held for a redemption is older than <see cref="CatalogDecider.HoldCommitWindow"/>: it may be reclaimed, so
/// the redemption must not commit on it. Not a business outcome: the caller retries the request.
/// </summary>
public sealed class StockHoldLapsedException(string itemId)
    : Exception($"The stock reserved for a redemption of catalog item '{itemId}' lapsed before the member's commit; retry the request.");

/// <summary>The catalog (F12): who may redeem an item, and the redemption itself, decided against the member.</summary>
public static class CatalogDecider
{
    /// <summary>A member decision uses a stock hold only this long after it was taken (the stock reclaims older ones).</summary>
    public static readonly TimeSpan HoldCommitWindow = TimeSpan.FromMinutes(1);

    /// <summary>Whether the member may redeem the item now: its window, the member's rank and tags, then their own limit.</summary>
    public static (CatalogRejection Reason, string Detail)? Check(CatalogTerms item, Member member, DateTimeOffset now)
    {
        if ((item.ActiveFrom is { } from && now < from) || (item.ActiveUntil is { } until && now >= until))
            return (CatalogRejection.NotEligible, $"Catalog item '{item.ItemId}' cannot be redeemed at this time.");
        if ((item.Ranks.Count > 0 && !item.Ranks.Contains(member.Earning.Rank, StringComparer.Ordinal))
            || (item.Tags.Count > 0 && !item.Tags.Any(t => member.Profile.Tags.Contains(t, StringComparer.Ordinal))))
            return (CatalogRejection.NotEligible, $"The member's rank or tags do not qualify for catalog item '{item.ItemId}'.");
        if (RemainingFor(item, member) is 0)
            return (CatalogRejection.LimitReached, $"The member has redeemed catalog item '{item.ItemId}' {item.PerMemberLimit} times, its limit per member.");
        return null;
    }

    /// <summary>Units the member may still redeem; null when the item has no per-member limit.</summary>
    public static int? RemainingFor(CatalogTerms item, Member member) =>
        item.PerMemberLimit is { } limit ? Math.Max(0, limit - member.Spending.RedeemedOf(item.ItemId)) : null;

    /// <summary>
    /// The member's side of a catalog redemption, against the member as committed: eligibility and limit exactly, then
    /// the spend. A limited item's unit must have been held for this redemption within <see cref="HoldCommitWindow"/>;
    /// the accepted redemption settles the hold after the commit (<see cref="SettleStockHold"/>).
    /// </summary>
    /// <exception cref="StockHoldLapsedException">The hold is missing or too old to commit on.</exception>
    public static MemberDecision Redeem(Member member, CatalogTerms item, string redemptionId, StockHold? hold, EntryDetails details, LedgerContext context)
    {
        var now = context.Now;
        // The lease that lets the stock reclaim a lapsed hold safely: never commit on a unit that may be given back.
        if (item.LimitedStock && (hold is null || now - hold.HeldAt > HoldCommitWindow))
            throw new StockHoldLapsedException(item.ItemId);
        if (Check(item, member, now) is { } refusal) return new MemberDecision.Rejected(refusal.Reason, refusal.Detail);

        var decision = MemberDecision.Of(
            LedgerDecider.Decide(member.Ledger, new LedgerCommand.Debit(EntryType.Spend, item.Cost) { Details = details }, context),
            member with { Spending = member.Spending.WithRedeemed(item.ItemId, now) },
            accepted => new CatalogRedemptionResponse(redemptionId, item.Cost, RedemptionDecider.ConsumedBy(accepted), accepted.State.Balance.Value, item.ItemId));
        return decision is MemberDecision.Accepted redeemed && hold is not null
            ? redeemed with { Outbox = [new SettleStockHold(item.ItemId, hold.RedemptionId)] }
            : decision;
    }
}
