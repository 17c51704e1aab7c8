using System.Net;
using Points.Functions.Tests.Infrastructure;
using static Points.Functions.Tests.Platform.ErrorCodesTests;

namespace Points.Functions.Tests.Platform;

/// <summary>
/// Optimistic concurrency of what admins change (RFC 9110 If-Match): the settings require it, rules, campaigns and
/// catalog items accept it; each answers its ETag, and a change made against a stale one is 412 and changes nothing.
/// </summary>
public sealed class AdminPreconditionsTests(AppFixture app) : IClassFixture<AppFixture>
{
    private const string Settings = "/api/v1/admin/settings";

    [Fact]
    public async Task SettingsChange_WithTheETagOfAGet_AppliesAndAnswersTheNewETag_AndKeepsTheSettingsLeftOut()
    {
        var client = app.Client();
        var read = await client.SendAsync(HttpMethod.Get, Settings);
        var etag = read.Header("ETag");
        Assert.NotNull(etag);

        var changed = await client.SendAsync(HttpMethod.Put, Settings, new { yenPerPoint = 3 }, ifMatch: etag);

        Assert.Equal(HttpStatusCode.OK, changed.Status);
        Assert.NotEqual(etag, changed.Header("ETag"));
        var now = await client.SendAsync(HttpMethod.Get, Settings);
        Assert.Equal((3L, changed.Header("ETag")), (now.Long("yenPerPoint"), now.Header("ETag")));
        Assert.Equal(read.Body.GetProperty("regularExpiry").GetRawText(), now.Body.GetProperty("regularExpiry").GetRawText());
        Assert.Equal(read.Body.GetProperty("ranks").GetRawText(), now.Body.GetProperty("ranks").GetRawText());

        // The ETag read before the change is stale now: a second admin working from it is refused.
        var late = await client.SendAsync(HttpMethod.Put, Settings, new { yenPerPoint = 5 }, ifMatch: etag);
        AssertProblem(late, HttpStatusCode.PreconditionFailed, "precondition_failed");
        Assert.Equal(3, (await client.SendAsync(HttpMethod.Get, Settings)).Long("yenPerPoint"));
        Assert.Equal(HttpStatusCode.OK, (await client.PutSettingsAsync(new { yenPerPoint = 1 })).Status);
    }

    /// <summary>Regression (review): a body of only unknown fields answered 200 and reset every setting to its default.</summary>
    [Fact]
    public async Task SettingsBodyOfOnlyUnknownFields_Is400_AndResetsNothing()
    {
        var client = app.Client();
        Assert.Equal(HttpStatusCode.OK, (await client.PutSettingsAsync(new { yenPerPoint = 2 })).Status);
        var before = await client.SendAsync(HttpMethod.Get, Settings);

        var reply = await client.SendAsync(HttpMethod.Put, Settings, new { yenPerPont = 5, unknown = true }, ifMatch: before.Header("ETag"));

        AssertProblem(reply, HttpStatusCode.BadRequest, "invalid_request");
        Assert.True(reply.Body.GetProperty("errors").TryGetProperty("body", out _), reply.Text);
        Assert.Equal(before.Text, (await client.SendAsync(HttpMethod.Get, Settings)).Text);
        Assert.Equal(HttpStatusCode.OK, (await client.PutSettingsAsync(new { yenPerPoint = 1 })).Status);
    }

    /// <summary>The settings are validated as a whole: what a change leaves in force, not the fields it sends.</summary>
    [Fact]
    public async Task SettingsChangeThatLeavesNoBaseRank_Is400_AndChangesNothing()
    {
        var client = app.Client();
        var before = await client.SendAsync(HttpMethod.Get, Settings);

        var reply = await client.SendAsync(HttpMethod.Put, Settings,
            new { ranks = new[] { new { name = "silver", thresholdYen = 50_000, multiplierPermille = 1200, monthlyPoints = 0 } } }, ifMatch: before.Header("ETag"));

        AssertProblem(reply, HttpStatusCode.BadRequest, "invalid_request");
        Assert.True(reply.Body.GetProperty("errors").TryGetProperty("ranks", out _), reply.Text);
        Assert.Equal(before.Text, (await client.SendAsync(HttpMethod.Get, Settings)).Text);
    }

    [Theory]
    [InlineData("/api/v1/admin/rules/{id}", """{"trigger":"login","formula":{"type":"fixed","points":1}}""", """{"trigger":"login","formula":{"type":"fixed","points":2}}""")]
    [InlineData("/api/v1/admin/campaigns/{id}", """{"multiplierPermille":2000,"from":"2026-01-01T00:00:00Z","until":"2027-01-01T00:00:00Z"}""", """{"multiplierPermille":3000,"from":"2026-01-01T00:00:00Z","until":"2027-01-01T00:00:00Z"}""")]
    [InlineData("/api/v1/admin/catalog/{id}", """{"name":"Mug","cost":10}""", """{"name":"Big mug","cost":10}""")]
    public async Task NamedAdminResource_AnswersItsETag_AndRefusesAChangeOrDeleteAgainstAStaleOne(string path, string first, string second)
    {
        var client = app.Client();
        var url = path.Replace("{id}", Infrastructure.Api.Unique("etag-"), StringComparison.Ordinal);
        var created = await PutAsync(client, url, first, ifMatch: null);
        Assert.Equal(HttpStatusCode.OK, created.Status);
        var etag = created.Header("ETag");
        Assert.NotNull(etag);
        Assert.Equal(etag, created.Body.GetProperty("etag").GetString());

        var changed = await PutAsync(client, url, second, etag);
        Assert.Equal(HttpStatusCode.OK, changed.Status);
        Assert.NotEqual(etag, changed.Header("ETag"));

        var staleChange = await PutAsync(client, url, first, etag);
        AssertProblem(staleChange, HttpStatusCode.PreconditionFailed, "precondition_failed");
        Assert.Equal(changed.Header("ETag"), staleChange.Header("ETag"));
        var staleDelete = await client.SendAsync(HttpMethod.Delete, url, ifMatch: etag);
        AssertProblem(staleDelete, HttpStatusCode.PreconditionFailed, "precondition_failed");

        // Still the second version, listed with its ETag.
        var list = await client.SendAsync(HttpMethod.Get, url[..url.LastIndexOf('/')]);
        Assert.Single(list.Body.GetProperty("items").EnumerateArray(), i => i.GetProperty("etag").GetString() == changed.Header("ETag"));

        Assert.Equal(HttpStatusCode.NoContent, (await client.SendAsync(HttpMethod.Delete, url, ifMatch: changed.Header("ETag"))).Status);
        AssertProblem(await PutAsync(client, url, first, changed.Header("ETag")), HttpStatusCode.PreconditionFailed, "precondition_failed");
    }

    [Fact]
    public async Task CatalogItemETag_DoesNotMoveWithItsStock()
    {
        var client = app.Client();
        var itemId = Infrastructure.Api.Unique("etag-stock-");
        var created = await PutAsync(client, $"/api/v1/admin/catalog/{itemId}", """{"name":"Mug","cost":10,"stock":5}""", ifMatch: null);
        var member = await client.NewMemberAsync(points: 100);
        Assert.Equal(HttpStatusCode.Created, (await client.SendAsync(HttpMethod.Post, $"/api/v1/members/{member}/redemptions",
            new { points = 10, purpose = "catalog", catalogItemId = itemId }, Guid.NewGuid().ToString("N"))).Status);

        var changed = await PutAsync(client, $"/api/v1/admin/catalog/{itemId}", """{"name":"Mug","cost":20,"stock":5}""", created.Header("ETag"));

        Assert.Equal(HttpStatusCode.OK, changed.Status);
        Assert.Equal(4, changed.Long("stockLeft"));
    }

    private static Task<Infrastructure.Api.Reply> PutAsync(HttpClient client, string url, string json, string? ifMatch) =>
        client.SendRawAsync(HttpMethod.Put, url, new StringContent(json, System.Text.Encoding.UTF8, "application/json"),
            headers: ifMatch is null ? null : new Dictionary<string, string> { ["If-Match"] = ifMatch });
}
