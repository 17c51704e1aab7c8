using System.Net;
using System.Text.Json;
using Points.Domain.Primitives;
using Points.Functions.Catalog;
using Points.Functions.Ledger;
using Points.Functions.Redemptions;
using Points.Functions.Tests.Infrastructure;
using static Points.Functions.Tests.Infrastructure.Api;
using static Points.Functions.Tests.Platform.ErrorCodesTests;
using Reply = Points.Functions.Tests.Infrastructure.Api.Reply;

namespace Points.Functions.Tests.Catalog;

/// <summary>The point-usage catalog through the real API: admin CRUD, what a member may redeem, and catalog redemptions.</summary>
public sealed class CatalogApiTests(AppFixture app) : IClassFixture<AppFixture>
{
    private async Task<Reply> PutItemAsync(string itemId, object item)
    {
        var reply = await app.Client().SendAsync(HttpMethod.Put, $"/api/v1/admin/catalog/{itemId}", item);
        Assert.True(reply.Status == HttpStatusCode.OK, reply.Text);
        return reply;
    }

    private Task<Reply> RedeemItemAsync(string memberId, string itemId, long points, string? key = null) =>
        app.Client().SendAsync(HttpMethod.Post, $"/api/v1/members/{memberId}/redemptions",
            new { points, purpose = "catalog", catalogItemId = itemId }, key ?? Guid.NewGuid().ToString("N"));

    private async Task<JsonElement> AdminViewAsync(string itemId) =>
        (await app.Client().SendAsync(HttpMethod.Get, "/api/v1/admin/catalog")).Body.GetProperty("items").EnumerateArray()
            .Single(i => i.GetProperty("itemId").GetString() == itemId);

    private Task<string> MemberAsync(long points, params string[] tags) => app.Client().NewMemberAsync(points, new { tags });

    private async Task<long> BalanceAsync(string memberId) => (await app.Client().GetMemberAsync(memberId)).Long("balance");

    [Fact]
    public async Task PutListDelete_AnItemRoundTrips_AndAChangeKeepsItsStockCount()
    {
        var itemId = Unique("mug-");
        var created = await PutItemAsync(itemId, new { name = "Mug", cost = 300, stock = 5, perMemberLimit = 2 });
        Assert.Equal(("goods", 1, 5, 5), (created.Body.GetProperty("kind").GetString(), created.Body.GetProperty("version").GetInt32(),
            created.Body.GetProperty("stock").GetInt32(), created.Body.GetProperty("stockLeft").GetInt32()));
        var member = await MemberAsync(1_000);
        Assert.Equal(HttpStatusCode.Created, (await RedeemItemAsync(member, itemId, 300)).Status);

        // Stock is the total offered: sending the item again changes it without restocking it.
        var changed = await PutItemAsync(itemId, new { name = "Big mug", cost = 300, kind = "goods", stock = 5, perMemberLimit = 2 });
        Assert.Equal(("Big mug", 2, 4), (changed.Body.GetProperty("name").GetString(), changed.Body.GetProperty("version").GetInt32(),
            changed.Body.GetProperty("stockLeft").GetInt32()));
        Assert.Equal(4, (await AdminViewAsync(itemId)).GetProperty("stockLeft").GetInt32());

        Assert.Equal(HttpStatusCode.NoContent, (await app.Client().SendAsync(HttpMethod.Delete, $"/api/v1/admin/catalog/{itemId}")).Status);
        AssertProblem(await app.Client().SendAsync(HttpMethod.Delete, $"/api/v1/admin/catalog/{itemId}"), HttpStatusCode.NotFound, "not_found");
        Assert.DoesNotContain((await app.Client().SendAsync(HttpMethod.Get, "/api/v1/admin/catalog")).Body.GetProperty("items").EnumerateArray(),
            i => i.GetProperty("itemId").GetString() == itemId);
    }

    [Theory]
    [InlineData("""{"cost":10}""", "name")]
    [InlineData("""{"name":"x","cost":0}""", "cost")]
    [InlineData("""{"name":"x","cost":10,"kind":"voucher"}""", "kind")]
    [InlineData("""{"name":"x","cost":10,"perMemberLimit":0}""", "perMemberLimit")]
    [InlineData("""{"name":"x","cost":10,"stock":-1}""", "stock")]
    [InlineData("""{"name":"x","cost":10,"activeFrom":"2027-01-01T00:00:00+09:00","activeUntil":"2026-12-01T00:00:00+09:00"}""", "activeUntil")]
    public async Task InvalidItem_Is400WithTheField(string body, string field)
    {
        var reply = await app.Client().SendRawAsync(HttpMethod.Put, "/api/v1/admin/catalog/bad-item", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        AssertProblem(reply, HttpStatusCode.BadRequest, "invalid_request");
        Assert.True(reply.Body.GetProperty("errors").TryGetProperty(field, out _), reply.Text);
    }

    [Fact]
    public async Task MemberListing_ShowsOnlyItemsTheMemberMayRedeemNow()
    {
        var p = Unique("l-");
        var tag = Unique("vip");
        var now = app.Clock.GetUtcNow();
        await PutItemAsync($"{p}-open", new { name = "Open", cost = 10 });
        await PutItemAsync($"{p}-tagged", new { name = "For VIPs", cost = 10, kind = "event", eligibility = new { tags = new[] { tag } }, perMemberLimit = 3, stock = 7 });
        await PutItemAsync($"{p}-other-tag", new { name = "Others", cost = 10, eligibility = new { tags = new[] { "someone-else" } } });
        await PutItemAsync($"{p}-gold", new { name = "Gold only", cost = 10, eligibility = new { ranks = new[] { "gold" } } });
        await PutItemAsync($"{p}-later", new { name = "Later", cost = 10, activeFrom = now.AddDays(1) });
        await PutItemAsync($"{p}-over", new { name = "Over", cost = 10, activeUntil = now });
        await PutItemAsync($"{p}-sold-out", new { name = "Sold out", cost = 10, stock = 0 });
        await PutItemAsync($"{p}-once", new { name = "Once", cost = 10, perMemberLimit = 1 });
        var member = await MemberAsync(100, tag);
        Assert.Equal(HttpStatusCode.Created, (await RedeemItemAsync(member, $"{p}-once", 10)).Status);
        Assert.Equal(HttpStatusCode.Created, (await RedeemItemAsync(member, $"{p}-tagged", 10)).Status);

        var listing = await app.Client(AppFixture.Keys["members:read"]).SendAsync(HttpMethod.Get, $"/api/v1/catalog?memberId={member}");

        Assert.True(listing.Status == HttpStatusCode.OK, listing.Text);
        var items = listing.Body.GetProperty("items").EnumerateArray().Where(i => i.GetProperty("itemId").GetString()!.StartsWith(p, StringComparison.Ordinal))
            .ToDictionary(i => i.GetProperty("itemId").GetString()![(p.Length + 1)..]);
        Assert.Equal(["open", "tagged"], items.Keys.Order(StringComparer.Ordinal));
        Assert.Equal((JsonValueKind.Null, JsonValueKind.Null), (items["open"].GetProperty("remainingForMember").ValueKind, items["open"].GetProperty("stockLeft").ValueKind));
        Assert.Equal((2, 6, "event"), (items["tagged"].GetProperty("remainingForMember").GetInt32(), items["tagged"].GetProperty("stockLeft").GetInt32(),
            items["tagged"].GetProperty("kind").GetString()));
    }

    [Fact]
    public async Task MemberListing_ForAnUnknownMember_Is404_AndWithoutMemberId_Is400()
    {
        AssertProblem(await app.Client().SendAsync(HttpMethod.Get, "/api/v1/catalog?memberId=m-nobody"), HttpStatusCode.NotFound, "member_not_found");
        AssertProblem(await app.Client().SendAsync(HttpMethod.Get, "/api/v1/catalog"), HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task HundredConcurrentRedemptions_OfTenUnits_TenSucceed_NinetyAreOutOfStock()
    {
        const int members = 100, stock = 10, cost = 30, startingPoints = 100;
        var itemId = Unique("hot-");
        await PutItemAsync(itemId, new { name = "Limited edition", cost, stock });
        var memberIds = await Task.WhenAll(Enumerable.Range(0, members).Select(_ => MemberAsync(startingPoints)));

        var replies = await Task.WhenAll(memberIds.Select(m => RedeemItemAsync(m, itemId, cost)));

        Assert.Equal(stock, replies.Count(r => r.Status == HttpStatusCode.Created));
        Assert.All(replies.Where(r => r.Status != HttpStatusCode.Created), r => AssertProblem(r, HttpStatusCode.UnprocessableEntity, "out_of_stock"));
        Assert.All(replies.Where(r => r.Status == HttpStatusCode.Created), r => Assert.Equal(itemId, r.Body.GetProperty("catalogItemId").GetString()));
        var item = await app.Service<CatalogStore>().ReadAsync(itemId, CancellationToken.None);
        Assert.Equal((stock, 0, 0), (item!.Taken, item.StockLeft(), item.Holds.Length));
        Assert.Equal(0, (await AdminViewAsync(itemId)).GetProperty("stockLeft").GetInt32());
        var balances = await Task.WhenAll(memberIds.Select(BalanceAsync));
        Assert.Equal(members * startingPoints - stock * cost, balances.Sum());
    }

    [Fact]
    public async Task PerMemberLimit_Is422LimitReached_AndTakesNoStock()
    {
        var itemId = Unique("limit-");
        await PutItemAsync(itemId, new { name = "Two per member", cost = 10, perMemberLimit = 2, stock = 10 });
        var member = await MemberAsync(100);
        Assert.Equal(HttpStatusCode.Created, (await RedeemItemAsync(member, itemId, 10)).Status);
        Assert.Equal(HttpStatusCode.Created, (await RedeemItemAsync(member, itemId, 10)).Status);

        var third = await RedeemItemAsync(member, itemId, 10);

        AssertProblem(third, HttpStatusCode.UnprocessableEntity, "limit_reached");
        Assert.Equal((80L, 8), (await BalanceAsync(member), (await AdminViewAsync(itemId)).GetProperty("stockLeft").GetInt32()));
        Assert.Equal(HttpStatusCode.Created, (await RedeemItemAsync(await MemberAsync(100), itemId, 10)).Status); // the limit is per member
    }

    [Fact]
    public async Task ConcurrentRedemptionsByOneMember_StopExactlyAtTheLimit()
    {
        var itemId = Unique("limit-");
        await PutItemAsync(itemId, new { name = "Three per member", cost = 1, perMemberLimit = 3, stock = 100 });
        var member = await MemberAsync(100);

        var replies = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => RedeemItemAsync(member, itemId, 1)));

        Assert.Equal(3, replies.Count(r => r.Status == HttpStatusCode.Created));
        Assert.All(replies.Where(r => r.Status != HttpStatusCode.Created), r => AssertProblem(r, HttpStatusCode.UnprocessableEntity, "limit_reached"));
        Assert.Equal((97L, 97), (await BalanceAsync(member), (await AdminViewAsync(itemId)).GetProperty("stockLeft").GetInt32()));
    }

    [Fact]
    public async Task IneligibleMemberUnknownItemOrClosedWindow_Is422NotEligible_AndNothingChanges()
    {
        var p = Unique("ne-");
        var now = app.Clock.GetUtcNow();
        await PutItemAsync($"{p}-gold", new { name = "Gold lounge", cost = 10, kind = "event", eligibility = new { ranks = new[] { "gold" } }, stock = 5 });
        await PutItemAsync($"{p}-tag", new { name = "Members of a club", cost = 10, eligibility = new { tags = new[] { "club" } }, stock = 5 });
        await PutItemAsync($"{p}-later", new { name = "Next week", cost = 10, activeFrom = now.AddDays(7), stock = 5 });
        var member = await MemberAsync(100, "not-club");

        foreach (var itemId in new[] { $"{p}-gold", $"{p}-tag", $"{p}-later", $"{p}-missing" })
        {
            AssertProblem(await RedeemItemAsync(member, itemId, 10), HttpStatusCode.UnprocessableEntity, "not_eligible", itemId);
        }
        Assert.Equal(100, await BalanceAsync(member));
        foreach (var itemId in new[] { $"{p}-gold", $"{p}-tag", $"{p}-later" })
        {
            Assert.Equal(5, (await AdminViewAsync(itemId)).GetProperty("stockLeft").GetInt32());
        }
    }

    [Fact]
    public async Task Refusals_ComeInTheDocumentedOrder_AndALedgerRefusalGivesTheUnitBack()
    {
        var p = Unique("order-");
        await PutItemAsync($"{p}-gone", new { name = "Gone", cost = 10, stock = 0, perMemberLimit = 1, eligibility = new { tags = new[] { "club" } } });
        await PutItemAsync($"{p}-one", new { name = "One left", cost = 50, stock = 1, perMemberLimit = 1 });
        var outsider = await MemberAsync(100);
        var clubMember = await MemberAsync(100, "club");
        var poor = await MemberAsync(10);

        AssertProblem(await RedeemItemAsync(outsider, $"{p}-gone", 10), HttpStatusCode.UnprocessableEntity, "not_eligible"); // before stock
        AssertProblem(await RedeemItemAsync(clubMember, $"{p}-gone", 10), HttpStatusCode.UnprocessableEntity, "out_of_stock"); // before points
        AssertProblem(await RedeemItemAsync(poor, $"{p}-one", 50), HttpStatusCode.UnprocessableEntity, "insufficient_points");
        Assert.Equal(1, (await AdminViewAsync($"{p}-one")).GetProperty("stockLeft").GetInt32()); // the unit came back

        Assert.Equal(HttpStatusCode.Created, (await RedeemItemAsync(clubMember, $"{p}-one", 50)).Status);
        AssertProblem(await RedeemItemAsync(clubMember, $"{p}-one", 50), HttpStatusCode.UnprocessableEntity, "limit_reached"); // before stock
        AssertProblem(await RedeemItemAsync(outsider, $"{p}-one", 50), HttpStatusCode.UnprocessableEntity, "out_of_stock");
    }

    [Fact]
    public async Task ReplayedRedemption_TakesNoSecondUnit_AndStillReplaysOnceTheItemSoldOutChangedOrWentAway()
    {
        var itemId = Unique("replay-");
        await PutItemAsync(itemId, new { name = "Two units", cost = 20, stock = 2 });
        var member = await MemberAsync(100);

        var first = await RedeemItemAsync(member, itemId, 20, key: "catalog-key-1");
        var replay = await RedeemItemAsync(member, itemId, 20, key: "catalog-key-1");
        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Created, "true", first.Text), (first.Status, replay.Status, replay.Header("Idempotent-Replayed"), replay.Text));
        Assert.Equal((80L, 1), (await BalanceAsync(member), (await AdminViewAsync(itemId)).GetProperty("stockLeft").GetInt32()));

        Assert.Equal(HttpStatusCode.Created, (await RedeemItemAsync(await MemberAsync(100), itemId, 20)).Status);
        var lateReplay = await RedeemItemAsync(member, itemId, 20, key: "catalog-key-1");
        Assert.Equal((HttpStatusCode.Created, first.Text), (lateReplay.Status, lateReplay.Text));
        var item = await app.Service<CatalogStore>().ReadAsync(itemId, CancellationToken.None);
        Assert.Equal((2, 0), (item!.Taken, item.Holds.Length));

        await PutItemAsync(itemId, new { name = "Two units, dearer", cost = 25, stock = 2 });
        Assert.Equal(first.Text, (await RedeemItemAsync(member, itemId, 20, key: "catalog-key-1")).Text);
        Assert.Equal(HttpStatusCode.NoContent, (await app.Client().SendAsync(HttpMethod.Delete, $"/api/v1/admin/catalog/{itemId}")).Status);
        Assert.Equal(first.Text, (await RedeemItemAsync(member, itemId, 20, key: "catalog-key-1")).Text);
        Assert.Equal(80, await BalanceAsync(member));
    }

    [Fact]
    public async Task CatalogRedemption_ForAnUnknownMember_Is404MemberNotFound_AndTakesNoStock()
    {
        var itemId = Unique("nobody-");
        await PutItemAsync(itemId, new { name = "One unit", cost = 10, stock = 1 });

        AssertProblem(await RedeemItemAsync("m-nobody", itemId, 10), HttpStatusCode.NotFound, "member_not_found");

        Assert.Equal(1, (await AdminViewAsync(itemId)).GetProperty("stockLeft").GetInt32());
    }

    [Fact]
    public async Task ConcurrentRetriesOfOneRedemption_ApplyOnce_AndKeepOneUnit()
    {
        var itemId = Unique("retry-");
        await PutItemAsync(itemId, new { name = "Five units", cost = 5, stock = 5 });
        var member = await MemberAsync(100);

        var replies = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => RedeemItemAsync(member, itemId, 5, key: "same-catalog-key")));

        Assert.All(replies, r => Assert.Equal(HttpStatusCode.Created, r.Status));
        Assert.Single(replies.Select(r => r.Text).Distinct());
        var item = await app.Service<CatalogStore>().ReadAsync(itemId, CancellationToken.None);
        Assert.Equal((95L, 1, 0), (await BalanceAsync(member), item!.Taken, item.Holds.Length));
    }

    [Fact]
    public async Task ReversingACatalogRedemption_ReturnsThePoints_ButNeitherTheUnitNorTheMembersLimit()
    {
        var itemId = Unique("rev-");
        await PutItemAsync(itemId, new { name = "Concert seat", kind = "event", cost = 40, stock = 2, perMemberLimit = 1 });
        var member = await MemberAsync(100);
        var redemption = await RedeemItemAsync(member, itemId, 40);
        Assert.Equal(HttpStatusCode.Created, redemption.Status);

        var reversal = await app.Client().ReverseAsync(member, redemption.Body.GetProperty("redemptionId").GetString()!);

        Assert.Equal((HttpStatusCode.Created, 100L), (reversal.Status, reversal.Long("balance")));
        Assert.Equal(1, (await AdminViewAsync(itemId)).GetProperty("stockLeft").GetInt32());
        AssertProblem(await RedeemItemAsync(member, itemId, 40), HttpStatusCode.UnprocessableEntity, "limit_reached");
    }

    [Theory]
    [InlineData("""{"points":10,"purpose":"catalog"}""", "catalogItemId")]
    [InlineData("""{"points":11,"purpose":"catalog","catalogItemId":"{item}"}""", "points")]
    public async Task CatalogRedemption_WithoutItemOrAtAnotherPrice_Is400(string body, string field)
    {
        var itemId = Unique("price-");
        await PutItemAsync(itemId, new { name = "Ten points", cost = 10 });
        var member = await MemberAsync(100);

        var reply = await app.Client().SendRawAsync(HttpMethod.Post, $"/api/v1/members/{member}/redemptions",
            new StringContent(body.Replace("{item}", itemId, StringComparison.Ordinal), System.Text.Encoding.UTF8, "application/json"), "k-" + Guid.NewGuid().ToString("N"));

        AssertProblem(reply, HttpStatusCode.BadRequest, "invalid_request");
        Assert.True(reply.Body.GetProperty("errors").TryGetProperty(field, out _), reply.Text);
        Assert.Equal(100, await BalanceAsync(member));
    }

    /// <summary>
    /// The crash path: an attempt took a unit and died. One died before its member commit, one after it (but before
    /// settling). Past the hold timeout the next redemption reclaims both from the journal: the unused unit comes back,
    /// the used one stays taken.
    /// </summary>
    [Fact]
    public async Task LapsedHolds_AreReclaimedFromTheJournal_UnusedUnitsComeBack_UsedOnesStayTaken()
    {
        var itemId = Unique("crash-");
        await PutItemAsync(itemId, new { name = "Three units", cost = 10, stock = 3 });
        var store = app.Service<CatalogStore>();
        var diedBeforeCommit = await MemberAsync(100);
        var diedAfterCommit = await MemberAsync(100);
        Assert.IsType<CatalogStore.HoldOutcome.Held>(await store.TryHoldAsync(itemId, "rdm_died_before", MemberId.Parse(diedBeforeCommit), CancellationToken.None));
        var held = Assert.IsType<CatalogStore.HoldOutcome.Held>(await store.TryHoldAsync(itemId, "rdm_died_after", MemberId.Parse(diedAfterCommit), CancellationToken.None));
        var item = (await store.ReadAsync(itemId, CancellationToken.None))!;
        var request = new RedemptionRequest(10, "catalog", null, itemId, null);
        // Dies after its commit: the outbox item that settles the hold is not carried out (nor is the change feed followed here).
        var committed = await app.OutboxFaults.KillingDispatchAfterCommitAsync(diedAfterCommit, () => app.Service<MemberLedger>().ExecuteAsync(
            MemberId.Parse(diedAfterCommit), CatalogRedemptions.Operation("test", "died-after-key", "hash", item.ToTerms(), "rdm_died_after", held.Hold, request)));
        Assert.IsType<OperationResult.Applied>(committed);

        Assert.Equal(HttpStatusCode.Created, (await RedeemItemAsync(await MemberAsync(100), itemId, 10)).Status);
        AssertProblem(await RedeemItemAsync(await MemberAsync(100), itemId, 10), HttpStatusCode.UnprocessableEntity, "out_of_stock");

        app.Clock.Advance(CatalogStore.HoldTimeout + TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.Created, (await RedeemItemAsync(await MemberAsync(100), itemId, 10)).Status);
        AssertProblem(await RedeemItemAsync(await MemberAsync(100), itemId, 10), HttpStatusCode.UnprocessableEntity, "out_of_stock");
        item = (await store.ReadAsync(itemId, CancellationToken.None))!;
        Assert.Equal((3, 0), (item.Taken, item.Holds.Length));
        Assert.Equal((100L, 90L), (await BalanceAsync(diedBeforeCommit), await BalanceAsync(diedAfterCommit)));
    }
}
