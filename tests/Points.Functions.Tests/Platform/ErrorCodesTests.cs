using System.Net;
using System.Text;
using System.Text.Json;
using Points.Functions.Api;
using Points.Functions.Tests.Infrastructure;
using Reply = Points.Functions.Tests.Infrastructure.Api.Reply;

namespace Points.Functions.Tests.Platform;

/// <summary>
/// Every error code of <see cref="Problems"/> that today's endpoints can produce, reached over real HTTP and checked
/// for its problem+json shape; and the scope each endpoint needs.
/// </summary>
public sealed class ErrorCodesTests(AppFixture app) : IClassFixture<AppFixture>
{
    /// <summary>Codes the current endpoints cannot produce, each with the reason.</summary>
    private static readonly IReadOnlyDictionary<string, string> Unreachable = new Dictionary<string, string>
    {
        // Holds come with withdrawals, which are not built yet.
        ["hold_not_found"] = "no hold endpoints yet",
        // Answered on CSV rows, not over HTTP: the migration file's `duplicate` rows (Imports/MigrationImportTests).
        ["already_migrated"] = "a migration import row code",
        ["too_many_lots"] = "a migration import row code",
        // Failures of the app or of a dependency: not reachable by a well-behaved client.
        ["internal_error"] = "bugs only",
        ["service_unavailable"] = "outages only",
    };

    private static readonly string[] Reached =
    [
        "invalid_request", "idempotency_key_required", "unauthorized", "forbidden", "member_not_found", "not_found",
        "method_not_allowed", "idempotency_key_reused", "insufficient_points", "expiry_required", "expiry_not_allowed",
        "unsupported_media_type", "precondition_required", "precondition_failed",
        "expiry_in_past", "nothing_to_reverse", "reversal_exceeds_remaining", "member_in_debt",
        // Reached in Earning/EarningApiTests:
        "invalid_referral_code", "self_referral", "referral_after_registration",
        // Reached in Catalog/CatalogApiTests:
        "not_eligible", "limit_reached", "out_of_stock",
        // Reached in Store/StoreTransactionApiTests:
        "invalid_qr_token",
        // Reached in Ledger/BoundsApiTests:
        "amount_too_large", "balance_limit_exceeded",
        // Reached in Auth/ApiKeysApiTests:
        "key_configured", "rate_limited",
        // Reached in Withdrawals/WithdrawalApiTests:
        "withdrawals_disabled", "below_minimum", "net_not_positive", "under_age", "no_bank_account", "monthly_limit_reached", "invalid_state",
        "withdrawal_not_found",
        // Reached in Purchases/PurchaseApiTests:
        "purchases_disabled", "above_maximum", "daily_limit_reached", "purchase_not_found", "order_not_approved", "payment_declined",
        "invalid_signature", "paypal_unavailable",
        // Reached in SpecialPoints/SpecialPointsApiTests:
        "campaign_not_found", "campaign_expired",
    ];

    [Fact]
    public void EveryDocumentedCode_IsReachedHere_OrItsAbsenceIsExplained() =>
        Assert.Equal(Problems.Codes.Order(StringComparer.Ordinal), Reached.Concat(Unreachable.Keys).Order(StringComparer.Ordinal));

    public static TheoryData<string, string, string, string?, string?> InvalidRequests => new()
    {
        // name, method, path ({m} = a member id that need not exist: validation comes first), raw JSON body, field in errors
        { "malformed JSON", "POST", "/api/v1/members/{m}/redemptions", """{"points": 10, "purpose": """, null },
        { "points of the wrong type", "POST", "/api/v1/members/{m}/redemptions", """{"points":"ten","purpose":"other"}""", "points" },
        { "zero points", "POST", "/api/v1/members/{m}/redemptions", """{"points":0,"purpose":"other"}""", "points" },
        { "negative points in a redemption", "POST", "/api/v1/members/{m}/redemptions", """{"points":-5,"purpose":"other"}""", "points" },
        { "zero points in an adjustment", "POST", "/api/v1/admin/members/{m}/adjustments", """{"points":0,"reason":"r"}""", "points" },
        { "zero points in a reversal", "POST", "/api/v1/members/{m}/reversals", """{"reference":"rdm_1","points":0}""", "points" },
        { "reversal without reference", "POST", "/api/v1/members/{m}/reversals", """{"points":1}""", "reference" },
        { "member id with a space", "GET", "/api/v1/members/bad%20id!", null, "memberId" },
        { "member id of 65 characters", "GET", "/api/v1/members/" + new string('a', 65), null, "memberId" },
        { "limit 0", "GET", "/api/v1/members/{m}/transactions?limit=0", null, "limit" },
        { "purpose x", "POST", "/api/v1/members/{m}/redemptions", """{"points":1,"purpose":"x"}""", "purpose" },
        { "order without orderId", "POST", "/api/v1/members/{m}/redemptions", """{"points":1,"purpose":"order"}""", "orderId" },
        { "special adjustment without reason", "POST", "/api/v1/admin/members/{m}/adjustments", """{"points":10,"kind":"special","expiresOn":"2026-12-31"}""", "reason" },
        { "unknown time zone in settings", "PUT", "/api/v1/admin/settings", """{"timeZone":"Mars/Olympus","yenPerPoint":1}""", "timeZone" },
        // Regressions (review): minimal-API binding failures of query parameters answered 500.
        { "limit not a number", "GET", "/api/v1/members/{m}/transactions?limit=abc", null, "limit" },
        { "before past long", "GET", "/api/v1/members/{m}/transactions?before=99999999999999999999", null, "before" },
        { "limit given twice", "GET", "/api/v1/members/{m}/transactions?limit=1&limit=2", null, "limit" },
        { "before 0", "GET", "/api/v1/members/{m}/transactions?before=0", null, "before" },
        { "limit empty", "GET", "/api/v1/members/{m}/transactions?limit=", null, "limit" },
        { "limit 201", "GET", "/api/v1/members/{m}/transactions?limit=201", null, "limit" },
        { "catalog memberId given twice", "GET", "/api/v1/catalog?memberId=a&memberId=b", null, "memberId" },
        { "catalog without memberId", "GET", "/api/v1/catalog", null, "memberId" },
        // Regressions (review): null elements in lists answered 500 or were stored.
        { "null event item", "POST", "/api/v1/events", """{"eventId":"e-null-item","memberId":"m-validation","type":"purchase","amount":100,"items":[null]}""", "items[0]" },
        { "null settings time zone", "PUT", "/api/v1/admin/settings", """{"timeZone":null}""", "timeZone" },
        { "null settings ranks", "PUT", "/api/v1/admin/settings", """{"ranks":null}""", "ranks" },
        { "null settings regular expiry", "PUT", "/api/v1/admin/settings", """{"regularExpiry":null}""", "regularExpiry" },
        { "null settings rank", "PUT", "/api/v1/admin/settings", """{"ranks":[null]}""", "ranks[0]" },
        { "null rank name", "PUT", "/api/v1/admin/settings", """{"ranks":[{"name":null,"thresholdYen":0,"multiplierPermille":1000,"monthlyPoints":0}]}""", "ranks[0].name" },
        { "null expiry type", "PUT", "/api/v1/admin/settings", """{"regularExpiry":{"type":null}}""", "regularExpiry.type" },
        { "settings that set nothing", "PUT", "/api/v1/admin/settings", """{"unknown":1,"zone":"Asia/Tokyo"}""", "body" },
        { "null campaign trigger", "PUT", "/api/v1/admin/campaigns/c-null", """{"multiplierPermille":2000,"triggers":[null],"from":"2026-01-01T00:00:00Z","until":"2027-01-01T00:00:00Z"}""", "triggers[0]" },
        { "null campaign store", "PUT", "/api/v1/admin/campaigns/c-null", """{"multiplierPermille":2000,"storeIds":["s1",null],"from":"2026-01-01T00:00:00Z","until":"2027-01-01T00:00:00Z"}""", "storeIds[1]" },
        { "null rule eligibility tag", "PUT", "/api/v1/admin/rules/r-null", """{"trigger":"login","formula":{"type":"fixed","points":1},"eligibility":{"tags":[null]}}""", "eligibility.tags[0]" },
        { "null catalog eligibility rank", "PUT", "/api/v1/admin/catalog/i-null", """{"name":"n","cost":1,"eligibility":{"ranks":[null]}}""", "eligibility.ranks[0]" },
        { "null member tag", "PUT", "/api/v1/members/{m}", """{"tags":["vip",null]}""", "tags[1]" },
        // Regressions (review): control characters were stored in free text.
        { "NUL in a reason", "POST", "/api/v1/admin/members/{m}/adjustments", "{\"points\":10,\"reason\":\"a\\u0000b\"}", "reason" },
        { "ESC in a tag", "PUT", "/api/v1/members/{m}", "{\"tags\":[\"\\u001b[31mred\"]}", "tags[0]" },
        { "CR LF in an event reference", "POST", "/api/v1/events", "{\"eventId\":\"e-crlf\",\"memberId\":\"m-validation\",\"type\":\"login\",\"reference\":\"a\\r\\nb\"}", "reference" },
        { "BEL in a store id", "POST", "/api/v1/members/{m}/redemptions", "{\"points\":1,\"purpose\":\"other\",\"storeId\":\"s\\u0007\"}", "storeId" },
        { "C1 control in a catalog name", "PUT", "/api/v1/admin/catalog/i-c1", "{\"name\":\"n\\u0085\",\"cost\":1}", "name" },
        { "TAB in a reversal reference", "POST", "/api/v1/members/{m}/reversals", "{\"reference\":\"rdm\\t1\"}", "reference" },
        { "lone surrogate in a reason", "POST", "/api/v1/admin/members/{m}/adjustments", "{\"points\":10,\"reason\":\"a\\ud800b\"}", "reason" },
        // Regression (review): purchased points were granted over the API though the import refused them.
        { "adjustment of purchased points", "POST", "/api/v1/admin/members/{m}/adjustments", """{"points":10,"kind":"purchased","reason":"r"}""", "kind" },
        // Regression (fuzzer, seed 2 index 96989): the smallest long as adjustment points overflowed Math.Abs (500).
        { "adjustment of long.MinValue points", "POST", "/api/v1/admin/members/{m}/adjustments", """{"points":-9223372036854775808,"reason":"r"}""", "points" },
        { "adjustment of long.MaxValue points", "POST", "/api/v1/admin/members/{m}/adjustments", """{"points":9223372036854775807,"reason":"r"}""", "points" },
        // Regression (fuzzer, seed 2213129641526456792 index 940435): a cap of long.MaxValue points was stored, came back
        // from Cosmos DB as a double no long holds, and every later read of the rules (every event) answered 500.
        { "a rule capped at long.MaxValue points", "PUT", "/api/v1/admin/rules/r-cap", """{"trigger":"login","formula":{"type":"fixed","points":1},"caps":{"perDay":{"points":9223372036854775807}}}""", "caps.perDay" },
        { "a property given twice", "POST", "/api/v1/members/{m}/redemptions", """{"points":1,"points":1000,"purpose":"other"}""", "points" },
        // Regressions (probing the fuzzer's odd dates): an expiry of 9999-12-31 overflowed the due-date listing (500).
        { "special points expiring 9999-12-31", "POST", "/api/v1/admin/members/{m}/adjustments", """{"points":10,"kind":"special","expiresOn":"9999-12-31","reason":"r"}""", "expiresOn" },
        { "special points expiring past ten years", "POST", "/api/v1/admin/members/{m}/adjustments", """{"points":10,"kind":"special","expiresOn":"2036-11-24","reason":"r"}""", "expiresOn" },
        { "a rule granting points expiring 9999-12-31", "PUT", "/api/v1/admin/rules/r-9999", """{"trigger":"login","formula":{"type":"fixed","points":5},"grant":{"kind":"special","expiresOn":"9999-12-31"}}""", "grant.expiresOn" },
        { "a rule id that storage cannot hold", "DELETE", "/api/v1/admin/rules/a%23b", null, "ruleId" },
        { "a catalog item id that storage cannot hold", "POST", "/api/v1/members/{m}/redemptions", """{"points":1,"purpose":"catalog","catalogItemId":"a/b"}""", "catalogItemId" },
    };

    [Theory]
    [MemberData(nameof(InvalidRequests))]
    public async Task InvalidRequest_Is400InvalidRequest(string name, string method, string path, string? body, string? field)
    {
        var member = path.Contains("{m}", StringComparison.Ordinal) ? await app.Client().NewMemberAsync(points: 10) : "m-validation";
        var before = await app.Client().SendAsync(HttpMethod.Get, "/api/v1/admin/settings");
        // The settings need If-Match (see IfMatch_*); * passes it so that the body is what is checked.
        var headers = path.EndsWith("/settings", StringComparison.Ordinal) ? new Dictionary<string, string> { ["If-Match"] = "*" } : null;

        var reply = await app.Client().SendRawAsync(new HttpMethod(method), path.Replace("{m}", member, StringComparison.Ordinal),
            body is null ? null : new StringContent(body, Encoding.UTF8, "application/json"), idempotencyKey: "k-" + Guid.NewGuid().ToString("N"), headers);

        AssertProblem(reply, HttpStatusCode.BadRequest, "invalid_request", name);
        if (field is not null)
        {
            Assert.True(reply.Body.GetProperty("errors").TryGetProperty(field, out var messages), $"{name}: {reply.Text}");
            Assert.All(messages.EnumerateArray(), m => Assert.False(string.IsNullOrWhiteSpace(m.GetString())));
        }
        // Nothing changed: the member's balance, the settings.
        if (member != "m-validation") Assert.Equal(10, (await app.Client().GetMemberAsync(member)).Long("balance"));
        Assert.Equal(before.Text, (await app.Client().SendAsync(HttpMethod.Get, "/api/v1/admin/settings")).Text);
    }

    /// <summary>Regression (fuzzer, seed 1 index 17594): bytes that are not UTF-8 in a settings field name answered 500.</summary>
    [Theory]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]
    [InlineData(new byte[] { 0xC0, 0x80 })]
    [InlineData(new byte[] { 0x80 })]
    public async Task SettingsBodyThatIsNotUtf8_Is400InvalidRequest_AndChangesNothing(byte[] notUtf8)
    {
        var before = await app.Client().SendAsync(HttpMethod.Get, "/api/v1/admin/settings");
        byte[] body = [.. "{\"yenPer"u8, .. notUtf8, .. "Point\":2,\"timeZone\":\"UTC\"}"u8];
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", "application/json");

        var reply = await app.Client().SendRawAsync(HttpMethod.Put, "/api/v1/admin/settings", content, headers: new Dictionary<string, string> { ["If-Match"] = "*" });

        AssertProblem(reply, HttpStatusCode.BadRequest, "invalid_request");
        Assert.Equal(before.Text, (await app.Client().SendAsync(HttpMethod.Get, "/api/v1/admin/settings")).Text);
    }

    /// <summary>Regression (fuzzer, seed 20261123 index 2858): bytes that are not UTF-8 inside a segment (a body part kept as JSON) answered 500.</summary>
    [Fact]
    public async Task ASegmentThatIsNotUtf8_Is400InvalidRequest()
    {
        byte[] body = [.. "{\"segment\":{\"type\":\"and"u8, 0xC0, 0x80, .. "\",\"of\":[{\"type\":\"all\"}]}}"u8];
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", "application/json");

        var reply = await app.Client().SendRawAsync(HttpMethod.Post, "/api/v1/admin/special-grants/preview", content);

        AssertProblem(reply, HttpStatusCode.BadRequest, "invalid_request");
        Assert.True(reply.Body.GetProperty("errors").TryGetProperty("segment", out _), reply.Text);
    }

    [Fact]
    public async Task AdjustmentOfPurchasedPoints_SaysWhy_AsTheImportDoes()
    {
        var member = await app.Client().NewMemberAsync();

        var reply = await app.Client().AdjustAsync(member, 10, "purchased");

        AssertProblem(reply, HttpStatusCode.BadRequest, "invalid_request");
        Assert.Equal(Points.Functions.Adjustments.AdjustmentsFeature.PurchasedKindRefused, reply.Body.GetProperty("errors").GetProperty("kind")[0].GetString());
        Assert.Equal(0, (await app.Client().GetMemberAsync(member)).Long("balance"));
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/json; charset=utf-16")]
    [InlineData("not a media type")]
    [InlineData(null)]
    public async Task BodyNotDeclaredJson_Is415UnsupportedMediaType_AndChangesNothing(string? contentType)
    {
        var member = await app.Client().NewMemberAsync(points: 10);
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"points":1,"purpose":"other"}"""));
        if (contentType is not null) content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        var reply = await app.Client().SendRawAsync(HttpMethod.Post, $"/api/v1/members/{member}/redemptions", content, "k-" + Guid.NewGuid().ToString("N"));

        AssertProblem(reply, HttpStatusCode.UnsupportedMediaType, "unsupported_media_type", contentType ?? "no Content-Type");
        Assert.Equal(10, (await app.Client().GetMemberAsync(member)).Long("balance"));
    }

    [Theory]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/merge-patch+json")]
    [InlineData("APPLICATION/JSON")]
    public async Task BodyDeclaredJson_IsRead(string contentType)
    {
        var member = await app.Client().NewMemberAsync(points: 10);
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"points":1,"purpose":"other"}"""));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        var reply = await app.Client().SendRawAsync(HttpMethod.Post, $"/api/v1/members/{member}/redemptions", content, "k-" + Guid.NewGuid().ToString("N"));

        Assert.Equal(HttpStatusCode.Created, reply.Status);
    }

    [Fact]
    public async Task SettingsChangeWithoutIfMatch_Is428PreconditionRequired_AndChangesNothing()
    {
        var before = await app.Client().SendAsync(HttpMethod.Get, "/api/v1/admin/settings");

        var reply = await app.Client().SendAsync(HttpMethod.Put, "/api/v1/admin/settings", new { yenPerPoint = 7 });

        AssertProblem(reply, HttpStatusCode.PreconditionRequired, "precondition_required");
        Assert.Equal(before.Text, (await app.Client().SendAsync(HttpMethod.Get, "/api/v1/admin/settings")).Text);
    }

    [Fact]
    public async Task SettingsChangeWithAStaleETag_Is412PreconditionFailed_AndChangesNothing()
    {
        var before = await app.Client().SendAsync(HttpMethod.Get, "/api/v1/admin/settings");

        var reply = await app.Client().SendAsync(HttpMethod.Put, "/api/v1/admin/settings", new { yenPerPoint = 7 }, ifMatch: "\"not-the-current-etag\"");

        AssertProblem(reply, HttpStatusCode.PreconditionFailed, "precondition_failed");
        Assert.Equal(before.Header("ETag"), reply.Header("ETag"));
        Assert.Equal(before.Text, (await app.Client().SendAsync(HttpMethod.Get, "/api/v1/admin/settings")).Text);
    }

    [Fact]
    public async Task ValidationErrors_AreAnObjectOfFieldToMessages_OneEntryPerInvalidField()
    {
        var member = await app.Client().NewMemberAsync();

        var reply = await app.Client().SendAsync(HttpMethod.Post, $"/api/v1/admin/members/{member}/adjustments",
            new { points = 0, reason = " " }, "two-invalid-fields");

        AssertProblem(reply, HttpStatusCode.BadRequest, "invalid_request");
        var errors = reply.Body.GetProperty("errors");
        Assert.Equal(["points", "reason"], errors.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.All(errors.EnumerateObject(), p =>
        {
            Assert.Equal(JsonValueKind.Array, p.Value.ValueKind);
            Assert.Contains(p.Value.EnumerateArray(), m => !string.IsNullOrWhiteSpace(m.GetString()));
        });
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task BodyOverOneMebibyte_Is400InvalidRequest(bool withContentLength)
    {
        var member = await app.Client().NewMemberAsync(points: 10);
        var body = Encoding.UTF8.GetBytes($$"""{"points":1,"purpose":"other","padding":"{{new string('x', RequestReader.BodyBytesMax)}}"}""");
        HttpContent content = withContentLength ? new ByteArrayContent(body) : new StreamContent(new UnknownLengthStream(body));
        content.Headers.ContentType = new("application/json");

        // With a declared length the app answers before reading the body; a client that is still uploading then sees
        // the connection close under it (a race, not the app's answer). Expect: 100-continue is how a client sending
        // a large body waits for that answer first.
        var headers = withContentLength ? new Dictionary<string, string> { ["Expect"] = "100-continue" } : null;
        var reply = await app.Client().SendRawAsync(HttpMethod.Post, $"/api/v1/members/{member}/redemptions", content, "too-big-" + withContentLength, headers);

        AssertProblem(reply, HttpStatusCode.BadRequest, "invalid_request");
        Assert.Equal(10, (await app.Client().GetMemberAsync(member)).Long("balance"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("has space")]
    [InlineData("semi;colon")]
    public async Task MissingOrMalformedIdempotencyKey_Is400IdempotencyKeyRequired(string? key)
    {
        var member = await app.Client().NewMemberAsync(points: 10);

        var reply = await app.Client().SendRawAsync(HttpMethod.Post, $"/api/v1/members/{member}/redemptions",
            new StringContent("""{"points":1,"purpose":"other"}""", Encoding.UTF8, "application/json"), key);

        AssertProblem(reply, HttpStatusCode.BadRequest, "idempotency_key_required");
        Assert.Equal(10, (await app.Client().GetMemberAsync(member)).Long("balance"));
    }

    [Fact]
    public async Task IdempotencyKeyOf129Characters_Is400IdempotencyKeyRequired()
    {
        var member = await app.Client().NewMemberAsync(points: 10);

        var reply = await app.Client().RedeemAsync(member, 1, key: new string('k', RequestReader.IdempotencyKeyLengthMax + 1));

        AssertProblem(reply, HttpStatusCode.BadRequest, "idempotency_key_required");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("zz.unknown-key-secret")]
    [InlineData("pw.wrong-secret")]
    [InlineData("pw")]
    public async Task MissingUnknownOrWrongKey_Is401Unauthorized(string? apiKey)
    {
        var reply = await app.Client(apiKey).GetMemberAsync("m-any");

        AssertProblem(reply, HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task MembersReadKeyOnARedemption_Is403Forbidden()
    {
        var member = await app.Client().NewMemberAsync(points: 10);

        var reply = await app.Client(AppFixture.Keys["members:read"]).RedeemAsync(member, 1);

        AssertProblem(reply, HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(10, (await app.Client().GetMemberAsync(member)).Long("balance"));
    }

    [Fact]
    public async Task PointsWriteKeyOnAnAdjustment_Is403Forbidden()
    {
        var member = await app.Client().NewMemberAsync();

        var reply = await app.Client(AppFixture.Keys["points:write"]).AdjustAsync(member, 10);

        AssertProblem(reply, HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(0, (await app.Client().GetMemberAsync(member)).Long("balance"));
    }

    [Theory]
    [InlineData("GET", "/api/v1/members/m-nobody")]
    [InlineData("GET", "/api/v1/members/m-nobody/transactions")]
    [InlineData("POST", "/api/v1/members/m-nobody/redemptions")]
    [InlineData("POST", "/api/v1/members/m-nobody/reversals")]
    [InlineData("POST", "/api/v1/admin/members/m-nobody/adjustments")]
    public async Task UnknownMember_Is404MemberNotFound(string method, string path)
    {
        var body = path.EndsWith("redemptions", StringComparison.Ordinal) ? new { points = 1, purpose = "other" }
            : path.EndsWith("reversals", StringComparison.Ordinal) ? new { reference = "rdm_1" }
            : (object?)new { points = 1, reason = "r" };

        var reply = await app.Client().SendAsync(new HttpMethod(method), path, method == "GET" ? null : body, method == "GET" ? null : "k-" + Guid.NewGuid().ToString("N"));

        AssertProblem(reply, HttpStatusCode.NotFound, "member_not_found");
    }

    [Theory]
    [InlineData("/api/v1/nothing-here")]
    [InlineData("/api/v1/members/m-1/unknown")]
    [InlineData("/api/v2/members/m-1")]
    public async Task UnknownPathUnderApi_Is404NotFound(string path)
    {
        var reply = await app.Client().SendAsync(HttpMethod.Get, path);

        AssertProblem(reply, HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task DeleteOnAMember_Is405MethodNotAllowed()
    {
        var reply = await app.Client().SendAsync(HttpMethod.Delete, "/api/v1/members/m-1");

        AssertProblem(reply, HttpStatusCode.MethodNotAllowed, "method_not_allowed");
    }

    [Fact]
    public async Task SameKeyWithAnotherBody_Is422IdempotencyKeyReused()
    {
        var member = await app.Client().NewMemberAsync(points: 10);
        Assert.Equal(HttpStatusCode.Created, (await app.Client().RedeemAsync(member, 1, key: "reused-key")).Status);

        var reply = await app.Client().RedeemAsync(member, 2, key: "reused-key");

        AssertProblem(reply, HttpStatusCode.UnprocessableEntity, "idempotency_key_reused");
        Assert.Equal(9, (await app.Client().GetMemberAsync(member)).Long("balance"));
    }

    [Fact]
    public async Task SpendingOrDeductingMoreThanTheBalance_Is422InsufficientPoints()
    {
        var member = await app.Client().NewMemberAsync(points: 100);

        var spend = await app.Client().RedeemAsync(member, 101);
        var deduct = await app.Client().AdjustAsync(member, -101);

        AssertProblem(spend, HttpStatusCode.UnprocessableEntity, "insufficient_points");
        AssertProblem(deduct, HttpStatusCode.UnprocessableEntity, "insufficient_points");
        Assert.Equal(100, (await app.Client().GetMemberAsync(member)).Long("balance"));
    }

    [Fact]
    public async Task SpendingWhileInDebt_Is422MemberInDebt()
    {
        var client = app.Client();
        var member = await client.NewMemberAsync(points: 10);
        var grant = await client.SendAsync(HttpMethod.Post, $"/api/v1/admin/members/{member}/adjustments",
            new { points = 100, reason = "campaign grant", reference = "grant-1" }, "grant-1-key");
        Assert.Equal(HttpStatusCode.Created, grant.Status);
        Assert.Equal(HttpStatusCode.Created, (await client.RedeemAsync(member, 110)).Status);

        var reversal = await client.SendAsync(HttpMethod.Post, $"/api/v1/members/{member}/reversals", new { reference = "grant-1" }, "rev-grant-1");
        Assert.Equal((HttpStatusCode.Created, -100L, -100L), (reversal.Status, reversal.Long("points"), reversal.Long("balance")));
        var summary = await client.GetMemberAsync(member);
        Assert.Equal((-100L, 100L), (summary.Long("balance"), summary.Long("debt")));

        AssertProblem(await client.RedeemAsync(member, 1), HttpStatusCode.UnprocessableEntity, "member_in_debt");
        AssertProblem(await client.AdjustAsync(member, -1), HttpStatusCode.UnprocessableEntity, "insufficient_points");
    }

    [Theory]
    [InlineData("special", null, "expiry_required")]
    [InlineData("regular", "2027-01-31", "expiry_not_allowed")]
    [InlineData("special", "2026-11-22", "expiry_in_past")] // the fixture's today is 2026-11-23 (JST)
    public async Task AdjustmentWithAWrongExpiry_Is422(string kind, string? expiresOn, string code)
    {
        var member = await app.Client().NewMemberAsync();

        var reply = await app.Client().AdjustAsync(member, 10, kind, expiresOn);

        AssertProblem(reply, HttpStatusCode.UnprocessableEntity, code);
        Assert.Equal(0, (await app.Client().GetMemberAsync(member)).Long("balance"));
    }

    [Fact]
    public async Task SpecialPointsExpiringToday_AreStillGranted()
    {
        var member = await app.Client().NewMemberAsync();

        var reply = await app.Client().AdjustAsync(member, 10, "special", "2026-11-23");

        Assert.Equal((HttpStatusCode.Created, 10L), (reply.Status, reply.Long("balance")));
    }

    [Fact]
    public async Task ReversingAnUnknownReference_Is422NothingToReverse()
    {
        var member = await app.Client().NewMemberAsync(points: 10);

        var reply = await app.Client().ReverseAsync(member, "rdm_does_not_exist");

        AssertProblem(reply, HttpStatusCode.UnprocessableEntity, "nothing_to_reverse");
    }

    [Fact]
    public async Task ReversingMoreThanWasSpent_Is422ReversalExceedsRemaining()
    {
        var member = await app.Client().NewMemberAsync(points: 10);
        var spend = await app.Client().RedeemAsync(member, 5);

        var reply = await app.Client().ReverseAsync(member, spend.Body.GetProperty("redemptionId").GetString()!, points: 6);

        AssertProblem(reply, HttpStatusCode.UnprocessableEntity, "reversal_exceeds_remaining");
        Assert.Equal(5, (await app.Client().GetMemberAsync(member)).Long("balance"));
    }

    public enum Endpoint { GetMember, GetTransactions, PutMember, Redeem, Reverse, Adjust, GetSettings, PutSettings }

    private static readonly IReadOnlyDictionary<Endpoint, string> ScopeOf = new Dictionary<Endpoint, string>
    {
        [Endpoint.GetMember] = "members:read",
        [Endpoint.GetTransactions] = "members:read",
        [Endpoint.PutMember] = "members:write",
        [Endpoint.Redeem] = "points:write",
        [Endpoint.Reverse] = "points:write",
        [Endpoint.Adjust] = "admin",
        [Endpoint.GetSettings] = "admin",
        [Endpoint.PutSettings] = "admin",
    };

    public static TheoryData<string, Endpoint> ScopesAndEndpoints()
    {
        var data = new TheoryData<string, Endpoint>();
        foreach (var scope in AppFixture.Keys.Keys)
        {
            foreach (var endpoint in Enum.GetValues<Endpoint>()) data.Add(scope, endpoint);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ScopesAndEndpoints))]
    public async Task KeyOfOneScope_ReachesExactlyTheEndpointsOfThatScope(string scope, Endpoint endpoint)
    {
        var setup = app.Client();
        var member = await setup.NewMemberAsync(points: 100);
        var spend = endpoint == Endpoint.Reverse ? await setup.RedeemAsync(member, 10) : null;
        var client = app.Client(AppFixture.Keys[scope]);

        var reply = endpoint switch
        {
            Endpoint.GetMember => await client.GetMemberAsync(member),
            Endpoint.GetTransactions => await client.TransactionsAsync(member),
            Endpoint.PutMember => await client.PutMemberAsync(Infrastructure.Api.NewMemberId()),
            Endpoint.Redeem => await client.RedeemAsync(member, 1),
            Endpoint.Reverse => await client.ReverseAsync(member, spend!.Body.GetProperty("redemptionId").GetString()!),
            Endpoint.Adjust => await client.AdjustAsync(member, 1),
            Endpoint.GetSettings => await client.SendAsync(HttpMethod.Get, "/api/v1/admin/settings"),
            Endpoint.PutSettings => await client.PutSettingsAsync(new { timeZone = "Asia/Tokyo", yenPerPoint = 1 }),
            _ => throw new ArgumentOutOfRangeException(nameof(endpoint)),
        };

        if (ScopeOf[endpoint] == scope)
        {
            Assert.True(reply.Status is HttpStatusCode.OK or HttpStatusCode.Created, $"{scope} {endpoint}: {reply.Status} {reply.Text}");
        }
        else
        {
            AssertProblem(reply, HttpStatusCode.Forbidden, "forbidden", $"{scope} {endpoint}");
        }
    }

    /// <summary>RFC 9457 problem+json with the documented type, title, status, code, and a detail when one is given.</summary>
    internal static void AssertProblem(Reply reply, HttpStatusCode status, string code, string? because = null)
    {
        var context = $"{because} → {(int)reply.Status} {reply.Text}";
        Assert.True(reply.Status == status, $"Expected {(int)status} {code}: {context}");
        Assert.True(reply.ContentType == Problems.ContentType, $"Content type {reply.ContentType}: {context}");
        Assert.Equal(code, reply.Code);
        Assert.Equal($"https://points.example/problems/{code}", reply.Body.GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(reply.Body.GetProperty("title").GetString()), context);
        Assert.Equal((int)status, reply.Body.GetProperty("status").GetInt32());
        if (reply.Body.TryGetProperty("detail", out var detail))
        {
            Assert.False(string.IsNullOrWhiteSpace(detail.GetString()), context);
        }
        else
        {
            Assert.DoesNotContain(code, CodesWithDetail);
        }
    }

    /// <summary>Codes whose problems always explain themselves in <c>detail</c> (what was wrong, or which limit).</summary>
    private static readonly string[] CodesWithDetail =
    [
        "invalid_request", "idempotency_key_required", "forbidden", "idempotency_key_reused", "insufficient_points", "expiry_required",
        "unsupported_media_type", "precondition_required", "precondition_failed",
        "expiry_not_allowed", "expiry_in_past", "nothing_to_reverse", "reversal_exceeds_remaining",
    ];

    /// <summary>A stream that does not tell its length, so the client sends the body chunked (no Content-Length).</summary>
    private sealed class UnknownLengthStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
