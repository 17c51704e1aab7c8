using System.Buffers.Text;
using System.Net;
using System.Text;
using Points.Functions.Store;
using Points.Functions.Tests.Infrastructure;
using static Points.Functions.Tests.Infrastructure.Api;
using static Points.Functions.Tests.Platform.ErrorCodesTests;
using Reply = Points.Functions.Tests.Infrastructure.Api.Reply;

namespace Points.Functions.Tests.Store;

/// <summary>The app with its QR signing key set the way an operator sets it (not the development key).</summary>
public sealed class StoreFixture : AppFixture
{
    public const string SigningKey = "test-qr-signing-key-0123456789abcdef";

    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["Store:QrSigningKey"] = SigningKey;
        settings["Store:QrTokenMinutes"] = "5";
    }
}

/// <summary>In-store use through the real API: QR tokens, and purchases that spend and earn in one atomic, idempotent call.</summary>
public sealed class StoreTransactionApiTests(StoreFixture app) : IClassFixture<StoreFixture>
{
    /// <summary>A member with <paramref name="points"/> and a purchase rule (1 point per 100 yen) only they qualify for.</summary>
    private async Task<string> ShopperAsync(long points)
    {
        var tag = Unique("shop");
        var rule = await app.Client().SendAsync(HttpMethod.Put, $"/api/v1/admin/rules/{tag}-buy",
            new { trigger = "purchase", formula = new { type = "rate", unitYen = 100, pointsPerUnit = 1 }, eligibility = new { tags = new[] { tag } } });
        Assert.True(rule.Status == HttpStatusCode.OK, rule.Text);
        app.Clock.Advance(TimeSpan.FromSeconds(6)); // past the rule cache
        return await app.Client().NewMemberAsync(points, new { tags = new[] { tag } });
    }

    private async Task<(string Token, DateTimeOffset ExpiresAt)> QrTokenAsync(string memberId)
    {
        var reply = await app.Client(AppFixture.Keys["members:read"]).SendAsync(HttpMethod.Post, $"/api/v1/members/{memberId}/qr-token");
        Assert.True(reply.Status == HttpStatusCode.OK, reply.Text);
        return (reply.Body.GetProperty("token").GetString()!, reply.Body.GetProperty("expiresAt").GetDateTimeOffset());
    }

    private Task<Reply> TransactAsync(string token, long purchaseAmount, long pointsToUse, string? key = null, string storeId = "store-shibuya") =>
        app.Client(AppFixture.Keys["points:write"]).SendAsync(HttpMethod.Post, "/api/v1/store/transactions",
            new { qrToken = token, storeId, purchaseAmount, pointsToUse }, key ?? Guid.NewGuid().ToString("N"));

    private async Task<(long Balance, string History)> StateAsync(string memberId) =>
        ((await app.Client().GetMemberAsync(memberId)).Long("balance"), (await app.Client().TransactionsAsync(memberId)).Text);

    [Fact]
    public async Task Purchase_SpendsThenEarnsOnTheYenPaid_InOneCall_AndAReplayReturnsTheSameBody()
    {
        var member = await ShopperAsync(points: 1_000);
        var (token, expiresAt) = await QrTokenAsync(member);
        Assert.Equal(app.Clock.GetUtcNow().AddMinutes(5).ToUnixTimeSeconds(), expiresAt.ToUnixTimeSeconds());

        var reply = await TransactAsync(token, purchaseAmount: 10_000, pointsToUse: 500, key: "till-1-receipt-1");

        Assert.True(reply.Status == HttpStatusCode.Created, reply.Text);
        Assert.Equal((member, 95L, 500L, 595L), (reply.Body.GetProperty("memberId").GetString(), reply.Long("earned"), reply.Long("spent"), reply.Long("balance")));
        var replay = await TransactAsync(token, purchaseAmount: 10_000, pointsToUse: 500, key: "till-1-receipt-1");
        Assert.Equal((HttpStatusCode.Created, "true", reply.Text), (replay.Status, replay.Header("Idempotent-Replayed"), replay.Text));

        var items = (await app.Client().TransactionsAsync(member)).Body.GetProperty("items").EnumerateArray().Take(2).ToList();
        Assert.Equal([("earn", 95L), ("spend", -500L)], items.Select(i => (i.GetProperty("type").GetString(), i.GetProperty("points").GetInt64())));
        Assert.All(items, i => Assert.Equal(("store-shibuya", "store"), (i.GetProperty("storeId").GetString(), i.GetProperty("channel").GetString())));
        Assert.Equal(items[1].GetProperty("seq").GetInt64() + 1, items[0].GetProperty("seq").GetInt64());
        Assert.Equal(595, (await app.Client().GetMemberAsync(member)).Long("balance"));
    }

    [Fact]
    public async Task PurchaseWithoutPoints_OnlyEarns_AndPointsWorthMoreThanThePurchase_Are400()
    {
        var member = await ShopperAsync(points: 100);
        var (token, _) = await QrTokenAsync(member);

        var tooMany = await TransactAsync(token, purchaseAmount: 50, pointsToUse: 51);
        AssertProblem(tooMany, HttpStatusCode.BadRequest, "invalid_request");
        Assert.True(tooMany.Body.GetProperty("errors").TryGetProperty("pointsToUse", out _), tooMany.Text);

        var reply = await TransactAsync(token, purchaseAmount: 1_234, pointsToUse: 0);
        Assert.Equal((HttpStatusCode.Created, 12L, 0L, 112L), (reply.Status, reply.Long("earned"), reply.Long("spent"), reply.Long("balance")));
    }

    [Fact]
    public async Task NotEnoughPoints_Is422_NothingIsEarned_AndTheTokenStaysUsable()
    {
        var member = await ShopperAsync(points: 100);
        var (token, _) = await QrTokenAsync(member);
        var before = await StateAsync(member);

        AssertProblem(await TransactAsync(token, purchaseAmount: 5_000, pointsToUse: 101), HttpStatusCode.UnprocessableEntity, "insufficient_points");
        Assert.Equal(before, await StateAsync(member));

        var corrected = await TransactAsync(token, purchaseAmount: 5_000, pointsToUse: 100);
        Assert.Equal((HttpStatusCode.Created, 49L, 49L), (corrected.Status, corrected.Long("earned"), corrected.Long("balance")));
    }

    [Fact]
    public async Task ForgedToken_OneCharacterOfTheSignatureFlipped_Is401_AndNothingChanges()
    {
        var member = await ShopperAsync(points: 1_000);
        var (token, _) = await QrTokenAsync(member);
        var at = token.IndexOf('.', StringComparison.Ordinal) + 10;
        var forged = token[..at] + (token[at] == 'A' ? 'B' : 'A') + token[(at + 1)..];
        var before = await StateAsync(member);

        AssertProblem(await TransactAsync(forged, 10_000, 500), HttpStatusCode.Unauthorized, "invalid_qr_token");

        Assert.Equal(before, await StateAsync(member));
    }

    [Theory]
    [InlineData("not-a-token")]
    [InlineData("a.b.c")]
    [InlineData(".")]
    public async Task MalformedToken_Is401(string token)
    {
        AssertProblem(await TransactAsync(token, 1_000, 0), HttpStatusCode.Unauthorized, "invalid_qr_token");
    }

    [Fact]
    public async Task ExpiredToken_Is401_AndNothingChanges_ButARetryOfAnEarlierTransactionStillReplays()
    {
        var member = await ShopperAsync(points: 1_000);
        var (used, _) = await QrTokenAsync(member);
        var first = await TransactAsync(used, 2_000, 100, key: "receipt-before-expiry");
        Assert.Equal(HttpStatusCode.Created, first.Status);
        var (unused, expiresAt) = await QrTokenAsync(member);
        var before = await StateAsync(member);

        app.Clock.SetUtcNow(expiresAt);

        AssertProblem(await TransactAsync(unused, 10_000, 500), HttpStatusCode.Unauthorized, "invalid_qr_token");
        Assert.Equal(before, await StateAsync(member));
        var retry = await TransactAsync(used, 2_000, 100, key: "receipt-before-expiry");
        Assert.Equal((HttpStatusCode.Created, "true", first.Text), (retry.Status, retry.Header("Idempotent-Replayed"), retry.Text));
    }

    /// <summary>
    /// The token names its member and the terminal does not: "member A's token used for member B" can only mean a
    /// token whose member was rewritten, which breaks the signature; and A's token pays for one transaction only.
    /// </summary>
    [Fact]
    public async Task TokenOfMemberA_RewrittenForMemberB_OrUsedForASecondTransaction_Is401_AndNothingChanges()
    {
        var memberA = await ShopperAsync(points: 1_000);
        var memberB = await ShopperAsync(points: 1_000);
        var (token, _) = await QrTokenAsync(memberA);
        var dot = token.IndexOf('.', StringComparison.Ordinal);
        var payload = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token.AsSpan(0, dot)));
        Assert.Contains($"|{memberA}|", payload, StringComparison.Ordinal);
        var forB = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload.Replace($"|{memberA}|", $"|{memberB}|", StringComparison.Ordinal))) + token[dot..];
        var beforeB = await StateAsync(memberB);

        AssertProblem(await TransactAsync(forB, 10_000, 500), HttpStatusCode.Unauthorized, "invalid_qr_token");
        Assert.Equal(beforeB, await StateAsync(memberB));

        Assert.Equal(HttpStatusCode.Created, (await TransactAsync(token, 1_000, 100, key: "first-receipt")).Status);
        var afterFirst = await StateAsync(memberA);
        AssertProblem(await TransactAsync(token, 1_000, 100, key: "second-receipt"), HttpStatusCode.Unauthorized, "invalid_qr_token");
        Assert.Equal(afterFirst, await StateAsync(memberA));
        Assert.Equal(beforeB, await StateAsync(memberB));
    }

    [Fact]
    public async Task SameKeyWithAnotherPurchase_Is422IdempotencyKeyReused()
    {
        var member = await ShopperAsync(points: 1_000);
        var (token, _) = await QrTokenAsync(member);
        Assert.Equal(HttpStatusCode.Created, (await TransactAsync(token, 1_000, 10, key: "receipt-x")).Status);

        AssertProblem(await TransactAsync(token, 2_000, 10, key: "receipt-x"), HttpStatusCode.UnprocessableEntity, "idempotency_key_reused");
    }

    [Fact]
    public async Task QrToken_ForAnUnknownMember_Is404_AndATransactionWithoutKeyOrStore_Is400()
    {
        AssertProblem(await app.Client().SendAsync(HttpMethod.Post, "/api/v1/members/m-nobody/qr-token"), HttpStatusCode.NotFound, "member_not_found");
        var member = await ShopperAsync(points: 0);
        var (token, _) = await QrTokenAsync(member);

        var noKey = await app.Client().SendAsync(HttpMethod.Post, "/api/v1/store/transactions", new { qrToken = token, storeId = "s1", purchaseAmount = 100, pointsToUse = 0 });
        AssertProblem(noKey, HttpStatusCode.BadRequest, "idempotency_key_required");
        var noStore = await app.Client().SendAsync(HttpMethod.Post, "/api/v1/store/transactions", new { qrToken = token, purchaseAmount = 100, pointsToUse = 0 }, "k-no-store");
        AssertProblem(noStore, HttpStatusCode.BadRequest, "invalid_request");
        Assert.True(noStore.Body.GetProperty("errors").TryGetProperty("storeId", out _), noStore.Text);
    }

    [Fact]
    public async Task QrTokenNeedsMembersRead_AndTransactionsNeedPointsWrite()
    {
        var member = await ShopperAsync(points: 100);
        AssertProblem(await app.Client(AppFixture.Keys["points:write"]).SendAsync(HttpMethod.Post, $"/api/v1/members/{member}/qr-token"),
            HttpStatusCode.Forbidden, "forbidden");
        var (token, _) = await QrTokenAsync(member);
        AssertProblem(await app.Client(AppFixture.Keys["members:read"]).SendAsync(HttpMethod.Post, "/api/v1/store/transactions",
            new { qrToken = token, storeId = "s1", purchaseAmount = 100, pointsToUse = 0 }, "k-scope"), HttpStatusCode.Forbidden, "forbidden");
    }
}
