using System.Net;
using System.Text.Json;
using Points.Domain.Primitives;
using Points.Functions.Ledger;
using Points.Functions.SpecialPoints;
using Points.Functions.Tests.Infrastructure;
using Points.Functions.Tests.Ranks;
using static Points.Functions.Tests.Infrastructure.Api;
using static Points.Functions.Tests.Ledger.WorkedExamplesApiTests;
using static Points.Functions.Tests.Ranks.PeriodicJobsKit;

namespace Points.Functions.Tests.SpecialPoints;

/// <summary>api.md's special grants and F28 over HTTP: purchases recorded for segments, grant, invalidation, refusals.</summary>
public sealed class SpecialPointsApiTests(RanksFixture app) : IClassFixture<RanksFixture>
{
    private static JsonElement Segment(string json) => JsonSerializer.Deserialize<JsonElement>(json);

    private async Task DrainAsync()
    {
        while ((await DeliverAllAsync(app)).Count > 0) { }
    }

    [Fact]
    public async Task APurchase_IsRecordedForSegments_AndASpecialGrantIsGrantedSpentFirstAndInvalidatedOnce()
    {
        var client = app.Client();
        var tag = Unique("vip");
        var member = await client.NewMemberAsync(100, profile: new { tags = new[] { tag } });
        var purchase = await client.SendAsync(HttpMethod.Post, "/api/v1/events", new
        {
            eventId = Unique("e-"), memberId = member, type = "purchase", amount = 4_000, items = new[] { new { sku = tag + "-SKU", quantity = 1, unitPrice = 4_000 } },
        });
        Assert.True(purchase.Status == HttpStatusCode.OK, purchase.Text);
        var history = app.Service<PurchaseHistory>();
        await Eventually.WaitForAsync(async () =>
        {
            var (account, _) = await app.Service<LedgerStore>().ReadAccountAsync(MemberId.Parse(member), CancellationToken.None);
            return (await history.ReadAsync(account!.Member, null, CancellationToken.None)).Purchases.Any(p => p.Skus.Contains(tag + "-SKU"));
        }, "the purchase in the member's history");
        var bySku = await client.SendAsync(HttpMethod.Post, "/api/v1/admin/special-grants/preview", new { segment = Segment($$"""{ "type": "purchasedSkus", "skus": ["{{tag}}-SKU"] }""") });
        Assert.Equal((1L, member), (bySku.Long("count"), bySku.Body.GetProperty("sample")[0].GetString()));

        var grant = await client.SendAsync(HttpMethod.Post, "/api/v1/admin/special-grants",
            new { name = "VIP thanks", points = 300, expiresOn = "2026-12-31", segment = Segment($$"""{ "type": "member", "tags": ["{{tag}}"] }""") }, Unique("g-"));
        Assert.True(grant.Status == HttpStatusCode.Accepted, grant.Text);
        var grantId = grant.Body.GetProperty("grantId").GetString()!;
        Assert.Equal("granting", grant.Body.GetProperty("status").GetString());
        await DrainAsync();
        var done = await client.SendAsync(HttpMethod.Get, $"/api/v1/admin/special-grants/{grantId}");
        Assert.Equal(("granted", 1L), (done.Body.GetProperty("status").GetString(), done.Long("granted")));
        Assert.Equal(400, (await client.GetMemberAsync(member)).Long("balance"));

        Assert.Equal(HttpStatusCode.Created, (await client.RedeemAsync(member, 120)).Status); // the special points go first (earliest expiry)
        var invalidated = await client.SendAsync(HttpMethod.Post, $"/api/v1/admin/members/{member}/special-points/invalidate", new { campaignId = grantId, reason = "order cancelled" });
        Assert.True(invalidated.Status == HttpStatusCode.OK, invalidated.Text);
        Assert.Equal((180L, 100L), (invalidated.Long("points"), invalidated.Long("balance")));
        var again = await client.SendAsync(HttpMethod.Post, $"/api/v1/admin/members/{member}/special-points/invalidate", new { campaignId = grantId });
        Assert.Equal((0L, 100L), (again.Long("points"), again.Long("balance")));
        var latest = (await HistoryAsync(client, member)).First(e => e.Type == "invalidate");
        Assert.Equal((-180L, 100L, "special"), (latest.Points, latest.BalanceAfter, latest.Kind));
    }

    [Fact]
    public async Task WrongRequests_AreRefusedWithTheirCodes()
    {
        var client = app.Client();
        var member = await client.NewMemberAsync(10);
        var both = await client.SendAsync(HttpMethod.Post, $"/api/v1/admin/members/{member}/special-points/invalidate", new { campaignId = "x", lotId = "L1" });
        Assert.Equal((HttpStatusCode.BadRequest, "invalid_request"), (both.Status, both.Body.GetProperty("code").GetString()));
        var badSegment = await client.SendAsync(HttpMethod.Post, "/api/v1/admin/special-campaigns",
            new { name = "x", points = 10, expiresOn = "2026-12-31", segment = Segment("""{ "type": "and", "of": [ { "type": "member", "birthMonth": 0 } ] }""") }, Unique("k-"));
        Assert.Equal(HttpStatusCode.BadRequest, badSegment.Status);
        Assert.Contains("segment.of[0].birthMonth", badSegment.Body.GetProperty("errors").EnumerateObject().Select(e => e.Name));
        var missing = await client.SendAsync(HttpMethod.Get, "/api/v1/admin/special-campaigns/sc-nothing");
        Assert.Equal((HttpStatusCode.NotFound, "campaign_not_found"), (missing.Status, missing.Body.GetProperty("code").GetString()));

        var key = Unique("k-");
        var body = new { name = "Today only", points = 10, expiresOn = "2026-11-23", segment = Segment("""{ "type": "all" }""") };
        var created = await client.SendAsync(HttpMethod.Post, "/api/v1/admin/special-campaigns", body, key);
        var same = await client.SendAsync(HttpMethod.Post, "/api/v1/admin/special-campaigns", body, key);
        Assert.Equal(created.Body.GetProperty("campaignId").GetString(), same.Body.GetProperty("campaignId").GetString());
        var reused = await client.SendAsync(HttpMethod.Post, "/api/v1/admin/special-campaigns", body with { points = 11 }, key);
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "idempotency_key_reused"), (reused.Status, reused.Body.GetProperty("code").GetString()));
        app.Clock.Advance(TimeSpan.FromDays(1));
        var late = await client.SendAsync(HttpMethod.Post, $"/api/v1/admin/special-campaigns/{created.Body.GetProperty("campaignId").GetString()}/grant", null);
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "campaign_expired"), (late.Status, late.Body.GetProperty("code").GetString()));
    }
}
