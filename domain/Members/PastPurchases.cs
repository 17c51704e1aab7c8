using System.Collections.Immutable;
using Points.Domain.Primitives;
using Points.Domain.SpecialPoints;

namespace Points.Domain.Members;

/// <summary>An order from the old system, for the purchase history (issue 17): no points, only what segments and rank metrics read.</summary>
public sealed record PastPurchase(string OrderId, DateOnly Day, Yen Amount, ImmutableArray<string> Skus);

/// <summary>What recording a past purchase answered.</summary>
public sealed record PastPurchaseResponse(string OrderId);

/// <summary>
/// Past purchases (issue 17): an order counts in its month's purchases (the rank metric, for the 13 months the member
/// keeps) and goes to the purchase history pages (segments, for as long as the program keeps history). No points.
/// </summary>
public static class PastPurchases
{
    /// <summary>The history's event id of an imported order: apart from the event ids of purchases posted to the API.</summary>
    public static string EventIdOf(string orderId) => "order:" + orderId;

    public static MemberDecision Record(Member member, PastPurchase purchase) =>
        new MemberDecision.Accepted(member with { Earning = member.Earning.WithPurchase(purchase.Day, purchase.Amount, purchase.Skus) }, [],
            new PastPurchaseResponse(purchase.OrderId))
        {
            Outbox = [new RecordPurchase(new PurchaseRecord(EventIdOf(purchase.OrderId), purchase.Day, purchase.Amount, purchase.Skus))],
        };
}
