using Points.Domain.Earning;
using Points.Domain.Ledger;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Domain.Store;
using static Points.Domain.Tests.Members.MemberScenario;

namespace Points.Domain.Tests.Store;

/// <summary>F14: a store purchase spends and earns in one decision; only the yen actually paid earns; a token pays once.</summary>
public sealed class StoreDeciderTests
{
    private static readonly EarningConfig OnePointPer100Yen = new(
        [new EarningRule("buy", 1, Triggers.Purchase, new EarningFormula.Rate(100, 1, Rounding.Floor), Caps.None, Eligibility.Everyone, Grant.Regular,
            null, null, 0, true, ApplyRankMultiplier: false, false)], [], DefaultRanks);

    private static QrToken Token(string nonce = "n-1", int minutesLeft = 5) => new(MemberId.Parse("m-1"), Now.AddMinutes(-1), Now.AddMinutes(minutesLeft), nonce);

    private static StorePurchase Purchase(long yen, long points, int yenPerPoint = 1) => new("stx_1", "store:k1", "shop-1", yen, points, yenPerPoint);

    [Theory]
    [InlineData(10_000, 0, 1, 10_000)]
    [InlineData(10_000, 3_000, 1, 7_000)]
    [InlineData(10_000, 3_000, 2, 4_000)]
    [InlineData(10_000, 5_000, 2, 0)]
    public void PaidYen_IsThePurchaseLessWhatThePointsPaid(long yen, long points, int yenPerPoint, long paid) =>
        Assert.Equal(paid, Purchase(yen, points, yenPerPoint).PaidYen.Value);

    [Fact]
    public void Transaction_SpendsThenEarnsOnTheYenPaid_InOneDecision_AndRecordsTheToken()
    {
        var done = Accepted(StoreDecider.Transact(With(5_000), Token(), Purchase(10_000, 3_000), OnePointPer100Yen, Context()));

        var response = Assert.IsType<StoreTransactionResponse>(done.Result);
        Assert.Equal(("stx_1", 70L, 3_000L, 2_070L), (response.TransactionId, response.Earned, response.Spent, response.Balance));
        Assert.Equal([EntryType.Spend, EntryType.Earn], done.Entries.Select(e => e.Type));
        Assert.Equal(7_000, done.Member.Earning.Purchases.Single().AmountYen); // the rank metric counts the yen paid
        Assert.True(done.Member.Spending.HasUsedQrToken("n-1"));
    }

    public static TheoryData<string, Member, QrToken, StorePurchase, Enum> Refusals => new()
    {
        { "expired token", With(5_000), Token(minutesLeft: 0), Purchase(1_000, 0), StoreRejection.InvalidQrToken },
        { "token used before", With(5_000) with { Spending = MemberSpending.None.WithQrTokenUsed("n-1", Now.AddMinutes(5), Now) }, Token(), Purchase(1_000, 0), StoreRejection.InvalidQrToken },
        { "too many live tokens", With(5_000) with { Spending = ManyTokens(MemberSpending.QrTokensUsedMax) }, Token(), Purchase(1_000, 0), StoreRejection.InvalidQrToken },
        { "not enough points", With(100), Token(), Purchase(1_000, 101), LedgerRejection.InsufficientPoints },
    };

    private static MemberSpending ManyTokens(int count) =>
        Enumerable.Range(0, count).Aggregate(MemberSpending.None, (s, i) => s.WithQrTokenUsed($"old-{i}", Now.AddMinutes(3), Now));

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Transaction_IsRefusedWhole(string name, Member member, QrToken token, StorePurchase purchase, Enum expected) =>
        Assert.True(expected.Equals(Rejected(StoreDecider.Transact(member, token, purchase, OnePointPer100Yen, Context()))), name);
}
