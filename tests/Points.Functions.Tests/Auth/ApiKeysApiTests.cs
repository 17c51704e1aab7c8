using System.Net;
using Points.Functions.Auth;
using Points.Functions.Tests.Infrastructure;
using static Points.Functions.Tests.Infrastructure.Api;

namespace Points.Functions.Tests.Auth;

/// <summary>Keys issued, used, listed, replayed, revoked and expired through the API, without a deployment.</summary>
public sealed class ApiKeysApiTests(AppFixture app) : IClassFixture<AppFixture>
{
    private Task<Reply> CreateAsync(object body, string idempotencyKey) =>
        app.Client(AppFixture.Keys["admin"]).SendAsync(HttpMethod.Post, "/api/v1/admin/api-keys", body, idempotencyKey);

    [Fact]
    public async Task IssuedKey_WorksWithItsScopesOnly_ItsSecretIsShownOnce_AndARetryIssuesNoSecondKey()
    {
        var idempotencyKey = Unique("issue-");
        var created = await CreateAsync(new { name = "Shop A", scopes = new[] { "members:write", "members:read" } }, idempotencyKey);
        Assert.True(created.Status == HttpStatusCode.Created && created.Body.TryGetProperty("key", out _), created.Text);
        var key = created.Body.GetProperty("key").GetString()!;
        var keyId = created.Body.GetProperty("keyId").GetString()!;
        Assert.StartsWith(keyId + ".", key, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.Created, (await app.Client(key).PutMemberAsync(NewMemberId())).Status);
        var forbidden = await app.Client(key).RedeemAsync(NewMemberId(), 1);
        Assert.Equal((HttpStatusCode.Forbidden, "forbidden"), (forbidden.Status, forbidden.Code));

        var replay = await CreateAsync(new { name = "Shop A", scopes = new[] { "members:read", "members:write" } }, idempotencyKey);
        Assert.Equal((HttpStatusCode.Created, "true", keyId), (replay.Status, replay.Header("Idempotent-Replayed"), replay.Body.GetProperty("keyId").GetString()));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, replay.Body.GetProperty("key").ValueKind);
        var reused = await CreateAsync(new { name = "Shop B", scopes = new[] { "members:read" } }, idempotencyKey);
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "idempotency_key_reused"), (reused.Status, reused.Code));

        var listed = await app.Client(AppFixture.Keys["admin"]).SendAsync(HttpMethod.Get, "/api/v1/admin/api-keys");
        var issued = listed.Body.GetProperty("items").EnumerateArray().Single(k => k.GetProperty("keyId").GetString() == keyId);
        Assert.Equal("issued", issued.GetProperty("source").GetString());
        Assert.Contains(listed.Body.GetProperty("items").EnumerateArray(), k => k.GetProperty("source").GetString() == "configured");
        Assert.DoesNotContain(key[(keyId.Length + 1)..], listed.Text, StringComparison.Ordinal); // no secret,
        Assert.DoesNotContain("sha256", listed.Text, StringComparison.OrdinalIgnoreCase);     // nor hash, is ever listed
    }

    [Fact]
    public async Task RevokedKey_IsRefusedAtOnce_ConfiguredKeysCannotBeRevokedHere()
    {
        var created = await CreateAsync(new { name = "To revoke", scopes = new[] { "members:read" } }, Unique("issue-"));
        var key = created.Body.GetProperty("key").GetString()!;
        var member = await app.Client().NewMemberAsync();
        Assert.Equal(HttpStatusCode.OK, (await app.Client(key).GetMemberAsync(member)).Status);

        var revoke = await app.Client(AppFixture.Keys["admin"]).SendAsync(HttpMethod.Delete, $"/api/v1/admin/api-keys/{created.Body.GetProperty("keyId").GetString()}");
        Assert.Equal(HttpStatusCode.NoContent, revoke.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client(key).GetMemberAsync(member)).Status);

        var configured = await app.Client().SendAsync(HttpMethod.Delete, "/api/v1/admin/api-keys/" + AppFixture.Keys["admin"].Split('.')[0]);
        Assert.Equal((HttpStatusCode.Conflict, "key_configured"), (configured.Status, configured.Code));
        var unknown = await app.Client().SendAsync(HttpMethod.Delete, "/api/v1/admin/api-keys/k-none");
        Assert.Equal((HttpStatusCode.NotFound, "not_found"), (unknown.Status, unknown.Code));
    }

    [Fact]
    public async Task KeyPastItsExpiry_IsRefused_AndUseIsRecorded()
    {
        var created = await CreateAsync(new { name = "Short", scopes = new[] { "members:read" }, expiresAt = app.Clock.GetUtcNow().AddHours(1) }, Unique("issue-"));
        var key = created.Body.GetProperty("key").GetString()!;
        var keyId = created.Body.GetProperty("keyId").GetString()!;
        var member = await app.Client().NewMemberAsync();
        Assert.Equal(HttpStatusCode.OK, (await app.Client(key).GetMemberAsync(member)).Status);

        await app.Service<IssuedApiKeys>().FlushUsageAsync(CancellationToken.None);
        var listed = await app.Client().SendAsync(HttpMethod.Get, "/api/v1/admin/api-keys");
        var entry = listed.Body.GetProperty("items").EnumerateArray().Single(k => k.GetProperty("keyId").GetString() == keyId);
        Assert.Equal(app.Clock.GetUtcNow(), entry.GetProperty("lastUsedAt").GetDateTimeOffset());

        app.Clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client(key).GetMemberAsync(member)).Status);
    }

    public static TheoryData<string, string> InvalidKeys => new()
    {
        { """{"scopes":["admin"]}""", "name" },
        { """{"name":"x","scopes":[]}""", "scopes" },
        { """{"name":"x","scopes":["root"]}""", "scopes" },
        { """{"name":"x","scopes":[null]}""", "scopes[0]" },
        { """{"name":"a\u0000b","scopes":["admin"]}""", "name" },
        { """{"name":"x","scopes":["admin"],"expiresAt":"2020-01-01T00:00:00Z"}""", "expiresAt" },
    };

    [Theory]
    [MemberData(nameof(InvalidKeys))]
    public async Task InvalidKeyRequest_Is400NamingTheField(string body, string field)
    {
        var reply = await app.Client().SendRawAsync(HttpMethod.Post, "/api/v1/admin/api-keys",
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Unique("issue-"));
        Assert.Equal((HttpStatusCode.BadRequest, "invalid_request"), (reply.Status, reply.Code));
        Assert.True(reply.Body.GetProperty("errors").TryGetProperty(field, out _), reply.Text);
    }
}

public sealed class RateLimitedFixture : AppFixture
{
    public const int Burst = 5;

    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["RateLimits:RequestsPerSecond"] = "1";
        settings["RateLimits:Burst"] = Burst.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>Per-key rate limits: past its bucket a key gets 429 with Retry-After; other keys go on.</summary>
public sealed class RateLimitTests(RateLimitedFixture app) : IClassFixture<RateLimitedFixture>
{
    [Fact]
    public async Task AKeyPastItsBurst_Gets429WithRetryAfter_AnotherKeyIsNotHeldBack()
    {
        // Four times the burst at once: however slow the machine, the bucket (5, then 1 a second) cannot serve them all.
        var replies = await Task.WhenAll(Enumerable.Range(0, 4 * RateLimitedFixture.Burst)
            .Select(_ => app.Client(AppFixture.Keys["members:read"]).GetMemberAsync(NewMemberId())));

        Assert.InRange(replies.Count(r => r.Status == HttpStatusCode.NotFound), RateLimitedFixture.Burst, 2 * RateLimitedFixture.Burst);
        var limited = replies.Where(r => r.Status != HttpStatusCode.NotFound).ToList();
        Assert.NotEmpty(limited);
        Assert.All(limited, r => Assert.Equal((HttpStatusCode.TooManyRequests, "rate_limited"), (r.Status, r.Code)));
        Assert.All(limited, r => Assert.True(int.Parse(r.Response.Headers.RetryAfter!.ToString(), System.Globalization.CultureInfo.InvariantCulture) >= 1));
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client().GetMemberAsync(NewMemberId())).Status); // another key
    }
}
