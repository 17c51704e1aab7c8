using Points.Domain.Catalog;
using Points.Domain.Ledger;
using Points.Domain.Members;
using Points.Domain.Redemptions;
using static Points.Domain.Tests.Members.MemberScenario;

namespace Points.Domain.Tests.Catalog;

/// <summary>The catalog's member-side rules: window, eligibility, per-member limit, then the ledger; the stock hold's lease.</summary>
public sealed class CatalogDeciderTests
{
    private static CatalogTerms Item(long cost = 100, string[]? ranks = null, string[]? tags = null, int? limit = null, bool limited = false,
        DateTimeOffset? from = null, DateTimeOffset? until = null) =>
        new("item-1", cost, from, until, ranks ?? [], tags ?? [], limit, limited);

    private static readonly EntryDetails Details = new("rdm_1", [], "catalog item item-1", null, null);

    private static MemberDecision Redeem(Member member, CatalogTerms item, StockHold? hold = null, DateTimeOffset? now = null) =>
        CatalogDecider.Redeem(member, item, "rdm_1", hold, Details, Context(now));

    public static TheoryData<string, CatalogTerms, Member, Enum> Refusals => new()
    {
        // name, item, member, expected refusal (in the documented order)
        { "before its window", Item(from: Now.AddMinutes(1)), With(500), CatalogRejection.NotEligible },
        { "at the end of its window (exclusive)", Item(until: Now), With(500), CatalogRejection.NotEligible },
        { "rank not eligible", Item(ranks: ["gold"]), With(500, rank: "silver"), CatalogRejection.NotEligible },
        { "no eligible tag", Item(tags: ["vip"]), With(500, tags: ["new"]), CatalogRejection.NotEligible },
        { "window before limit", Item(limit: 1, until: Now), With(500) with { Spending = MemberSpending.None.WithRedeemed("item-1", Now) }, CatalogRejection.NotEligible },
        { "limit reached", Item(limit: 1), With(500) with { Spending = MemberSpending.None.WithRedeemed("item-1", Now) }, CatalogRejection.LimitReached },
        { "not enough points", Item(cost: 501), With(500), LedgerRejection.InsufficientPoints },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Redeem_RefusesInTheDocumentedOrder(string name, CatalogTerms item, Member member, Enum expected) =>
        Assert.True(expected.Equals(Rejected(Redeem(member, item))), name);

    [Fact]
    public void Redeem_SpendsTheCost_CountsTowardTheLimit_AndAnswersWithTheItem()
    {
        var redeemed = Accepted(Redeem(With(500, tags: ["vip"]), Item(cost: 120, tags: ["vip", "gold"], limit: 2)));
        Assert.Equal((380L, 1), (redeemed.Member.Ledger.Balance.Value, redeemed.Member.Spending.RedeemedOf("item-1")));
        var response = Assert.IsType<CatalogRedemptionResponse>(redeemed.Result);
        Assert.Equal(("rdm_1", 120L, "item-1"), (response.RedemptionId, response.Points, response.CatalogItemId));
        Assert.Equal(1, CatalogDecider.RemainingFor(Item(limit: 2), redeemed.Member));
        Assert.Empty(redeemed.Outbox); // unlimited stock: nothing held, nothing to settle
    }

    [Fact]
    public void LimitedStock_SettlesItsHoldAfterTheCommit()
    {
        var hold = new StockHold("rdm_1", "m-1", Now.AddSeconds(-5));
        var redeemed = Accepted(Redeem(With(500), Item(limited: true), hold));
        Assert.Equal(new SettleStockHold("item-1", "rdm_1"), Assert.Single(redeemed.Outbox));
    }

    [Theory]
    [InlineData(59, false)]
    [InlineData(60, false)]
    [InlineData(61, true)]
    public void LimitedStock_WithAHoldOlderThanTheCommitWindow_IsNotCommitted(int holdAgeSeconds, bool lapsed)
    {
        var hold = new StockHold("rdm_1", "m-1", Now.AddSeconds(-holdAgeSeconds));
        var redeem = () => Redeem(With(500), Item(limited: true), hold);
        if (lapsed) Assert.Throws<StockHoldLapsedException>(redeem);
        else Accepted(redeem());
    }

    [Fact]
    public void LimitedStock_WithoutAHold_IsABug() =>
        Assert.Throws<StockHoldLapsedException>(() => Redeem(With(500), Item(limited: true), hold: null));
}
