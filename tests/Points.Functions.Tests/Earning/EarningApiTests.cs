using System.Net;
using System.Text.Json;
using Points.Functions.Tests.Infrastructure;
using static Points.Functions.Tests.Infrastructure.Api;

namespace Points.Functions.Tests.Earning;

/// <summary>Earning through the real API: rules, triggers, idempotent events, caps across JST midnight, campaigns, ranks, referrals.</summary>
public sealed class EarningApiTests(AppFixture app) : IClassFixture<AppFixture>
{
    private static readonly string[] PartnerTriggers =
        ["registration", "login", "post", "link_click", "video_play", "referral", "inquiry", "survey", "course_completion", "purchase"];

    private async Task PutRuleAsync(string ruleId, object rule)
    {
        var reply = await app.Client().SendAsync(HttpMethod.Put, $"/api/v1/admin/rules/{ruleId}", rule);
        Assert.True(reply.Status == HttpStatusCode.OK, reply.Text);
        app.Clock.Advance(TimeSpan.FromSeconds(6)); // past the rule cache
    }

    private Task<Infrastructure.Api.Reply> EventAsync(object body) => app.Client().SendAsync(HttpMethod.Post, "/api/v1/events", body);

    /// <summary>Seed 002's idle-hours campaign over HTTP: ×2 on weekdays 14:00–17:00 JST, whatever offset the partner writes the time in.</summary>
    [Fact]
    public async Task CampaignHours_DoubleOnlyInsideTheWindow_InTheProgramZone()
    {
        var tag = Unique("idle");
        await PutRuleAsync($"{tag}-visit", new { trigger = $"custom:{tag}", formula = new { type = "fixed", points = 10 } });
        var campaign = await app.Client().SendAsync(HttpMethod.Put, $"/api/v1/admin/campaigns/{tag}-hours", new
        {
            multiplierPermille = 2000, triggers = new[] { $"custom:{tag}" }, daysOfWeek = new[] { "monday", "tuesday", "wednesday", "thursday", "friday" },
            from = "2026-01-01T00:00:00+09:00", until = "2027-01-01T00:00:00+09:00", hoursFrom = "14:00", hoursUntil = "17:00",
        });
        Assert.True(campaign.Status == HttpStatusCode.OK, campaign.Text);
        Assert.Equal("14:00", campaign.Body.GetProperty("spec").GetProperty("hoursFrom").GetString());
        var invalid = await app.Client().SendAsync(HttpMethod.Put, $"/api/v1/admin/campaigns/{tag}-bad", new
        {
            multiplierPermille = 2000, from = "2026-01-01T00:00:00+09:00", until = "2027-01-01T00:00:00+09:00", hoursFrom = "25:00", hoursUntil = "17:00",
        });
        Assert.Equal(HttpStatusCode.BadRequest, invalid.Status);
        app.Clock.Advance(TimeSpan.FromSeconds(6));
        var member = await app.Client().NewMemberAsync();

        async Task<long> VisitAsync(string occurredAt) =>
            (await EventAsync(new { eventId = Unique("e-"), memberId = member, type = "custom", name = tag, occurredAt })).Body.GetProperty("awarded")[0].GetProperty("points").GetInt64();

        Assert.Equal(10, await VisitAsync("2026-11-20T13:59:59+09:00"));
        Assert.Equal(20, await VisitAsync("2026-11-20T14:00:00+09:00"));
        Assert.Equal(20, await VisitAsync("2026-11-20T07:30:00Z")); // 16:30 JST
        Assert.Equal(10, await VisitAsync("2026-11-20T17:00:00+09:00"));
        Assert.Equal(10, await VisitAsync("2026-11-21T15:00:00+09:00")); // Saturday
    }

    [Fact]
    public async Task EveryTriggerType_AwardsByItsRule_AndAReplayedEventAwardsNothingNew()
    {
        var tag = Unique("t");
        foreach (var (trigger, i) in PartnerTriggers.Append("custom:webinar").Select((t, i) => (t, i)))
        {
            await PutRuleAsync($"{tag}-{i}", trigger == "purchase"
                ? new { trigger, formula = new { type = "rate", unitYen = 100, pointsPerUnit = 1 }, eligibility = new { tags = new[] { tag } } }
                : new { trigger, formula = new { type = "fixed", points = 10 + i }, eligibility = new { tags = new[] { tag } } });
        }
        var member = await app.Client().NewMemberAsync(profile: new { tags = new[] { tag } });
        var afterRegistration = (await app.Client().GetMemberAsync(member)).Long("balance");
        Assert.Equal(10, afterRegistration); // the registration rule fired on PUT

        long expected = afterRegistration;
        foreach (var (trigger, i) in PartnerTriggers.Append("custom:webinar").Select((t, i) => (t, i)).Skip(1))
        {
            var type = trigger.StartsWith("custom:", StringComparison.Ordinal) ? "custom" : trigger;
            var body = new { eventId = Unique("e-"), memberId = member, type, amount = trigger == "purchase" ? 12_345 : (long?)null, name = type == "custom" ? "webinar" : null };
            var reply = await EventAsync(body);
            Assert.True(reply.Status == HttpStatusCode.OK, reply.Text);
            var points = trigger == "purchase" ? 123 : 10 + i;
            var award = Assert.Single(reply.Body.GetProperty("awarded").EnumerateArray());
            Assert.Equal(($"{tag}-{i}", points), (award.GetProperty("ruleId").GetString(), award.GetProperty("points").GetInt64()));
            expected += points;
            Assert.Equal(expected, reply.Long("balance"));

            var replay = await EventAsync(body);
            Assert.Equal((HttpStatusCode.OK, "true", reply.Text), (replay.Status, replay.Header("Idempotent-Replayed"), replay.Text));
        }
        Assert.Equal(expected, (await app.Client().GetMemberAsync(member)).Long("balance"));
    }

    [Fact]
    public async Task Purchase_WithGoldRankAndWeekendCampaign_Earns369_AndTheEntryNamesRuleAndVersion()
    {
        var tag = Unique("gold");
        await PutRuleAsync($"{tag}-buy", new { trigger = "purchase", formula = new { type = "rate", unitYen = 100, pointsPerUnit = 1 }, eligibility = new { tags = new[] { tag } } });
        await PutRuleAsync($"{tag}-buy", new { trigger = "purchase", formula = new { type = "rate", unitYen = 100, pointsPerUnit = 1 }, eligibility = new { tags = new[] { tag } } }); // version 2
        var campaign = await app.Client().SendAsync(HttpMethod.Put, $"/api/v1/admin/campaigns/{tag}-weekend", new
        {
            multiplierPermille = 2000, triggers = new[] { "purchase" }, daysOfWeek = new[] { "saturday", "sunday" },
            from = "2026-01-01T00:00:00+09:00", until = "2027-01-01T00:00:00+09:00",
        });
        Assert.True(campaign.Status == HttpStatusCode.OK, campaign.Text);
        app.Clock.Advance(TimeSpan.FromSeconds(6));
        var member = await app.Client().NewMemberAsync(profile: new { tags = new[] { tag } });

        // 250,000 yen on a weekday makes the member gold at once (the purchase itself earns at bronze: applyNewRankImmediately is off).
        var first = await EventAsync(new { eventId = Unique("e-"), memberId = member, type = "purchase", amount = 250_000, occurredAt = "2026-11-20T12:00:00+09:00" });
        Assert.Equal(2_500, first.Body.GetProperty("awarded")[0].GetProperty("points").GetInt64());
        Assert.Equal("gold", (await app.Client().GetMemberAsync(member)).Body.GetProperty("rank").GetString());

        var sunday = await EventAsync(new { eventId = Unique("e-"), memberId = member, type = "purchase", amount = 12_345, occurredAt = "2026-11-22T15:00:00+09:00" });
        Assert.Equal(369, sunday.Body.GetProperty("awarded")[0].GetProperty("points").GetInt64());

        var history = await app.Client().SendAsync(HttpMethod.Get, $"/api/v1/members/{member}/transactions?limit=1");
        var entry = history.Body.GetProperty("items")[0];
        Assert.Equal(("earn", 369L, $"{tag}-buy", 2), (entry.GetProperty("type").GetString(), entry.GetProperty("points").GetInt64(),
            entry.GetProperty("ruleId").GetString(), entry.GetProperty("ruleVersion").GetInt32()));
    }

    [Fact]
    public async Task Purchase_RecordsAmountCountAndSkusByJstMonth()
    {
        var member = await app.Client().NewMemberAsync();
        foreach (var (sku, amount) in new[] { ("SKU-A", 1_000L), ("SKU-B", 2_500L), ("SKU-A", 500L) })
        {
            var reply = await EventAsync(new { eventId = Unique("e-"), memberId = member, type = "purchase", amount,
                items = new[] { new { sku, quantity = 1, unitPrice = amount } } });
            Assert.Equal(HttpStatusCode.OK, reply.Status);
        }
        var (account, _) = await app.Service<Points.Functions.Ledger.LedgerStore>().ReadAccountAsync(Points.Domain.Primitives.MemberId.Parse(member), CancellationToken.None);
        var month = Assert.Single(account!.Earning.Purchases);
        Assert.Equal(("2026-11", 4_000L, 3), (month.Month, month.AmountYen, month.Count));
        Assert.Equal(["SKU-A", "SKU-B"], month.Skus.ToArray());
    }

    [Fact]
    public async Task ReversedPurchase_LeavesTheRankMetric_InProportion()
    {
        var tag = Unique("net");
        await PutRuleAsync($"{tag}-buy", new { trigger = "purchase", formula = new { type = "rate", unitYen = 100, pointsPerUnit = 1 }, eligibility = new { tags = new[] { tag } } });
        await PutRuleAsync($"{tag}-bonus", new { trigger = "purchase", formula = new { type = "fixed", points = 50 }, eligibility = new { tags = new[] { tag } } });
        var member = await app.Client().NewMemberAsync(profile: new { tags = new[] { tag } });
        var eventId = Unique("e-");
        Assert.Equal(150, (await EventAsync(new { eventId, memberId = member, type = "purchase", amount = 10_000 })).Long("balance"));

        var partial = await app.Client().SendAsync(HttpMethod.Post, $"/api/v1/members/{member}/reversals", new { reference = eventId, points = 60 }, Unique("k-"));
        Assert.Equal((HttpStatusCode.Created, -60L, 90L), (partial.Status, partial.Long("points"), partial.Long("balance")));

        var (account, _) = await app.Service<Points.Functions.Ledger.LedgerStore>().ReadAccountAsync(Points.Domain.Primitives.MemberId.Parse(member), CancellationToken.None);
        Assert.Equal(6_000, account!.Earning.Purchases.Single().AmountYen); // 60 of the event's 150 points: 40% of 10,000 yen
    }

    [Fact]
    public async Task LoginCappedOncePerDay_CountsByJstCalendarDay()
    {
        var tag = Unique("login");
        await PutRuleAsync($"{tag}-login", new { trigger = "login", formula = new { type = "fixed", points = 5 }, caps = new { perDay = new { times = 1 } }, eligibility = new { tags = new[] { tag } } });
        var member = await app.Client().NewMemberAsync(profile: new { tags = new[] { tag } });

        var balances = new List<long>();
        foreach (var at in new[] { "2026-11-23T09:00:00+09:00", "2026-11-23T23:30:00+09:00", "2026-11-24T00:10:00+09:00" })
        {
            // The fake clock must not be before the event: move it to just after it.
            var instant = DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture);
            if (app.Clock.GetUtcNow() < instant) app.Clock.SetUtcNow(instant.AddMinutes(1));
            var reply = await EventAsync(new { eventId = Unique("e-"), memberId = member, type = "login", occurredAt = at });
            Assert.True(reply.Status == HttpStatusCode.OK, reply.Text);
            balances.Add(reply.Long("balance"));
        }
        Assert.Equal([5L, 5L, 10L], balances);
    }

    [Fact]
    public async Task EventWithNoAward_IsStillRecorded_AndItsIdCannotBeReusedForAnotherEvent()
    {
        var member = await app.Client().NewMemberAsync();
        var eventId = Unique("e-");

        var first = await EventAsync(new { eventId, memberId = member, type = "custom", name = "nothing-pays-for-this" });
        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Empty(first.Body.GetProperty("awarded").EnumerateArray());

        var reused = await EventAsync(new { eventId, memberId = member, type = "login" });
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "idempotency_key_reused"), (reused.Status, reused.Code));
    }

    [Theory]
    [InlineData("""{"eventId":"e1","memberId":"m1","type":"purchase"}""", "amount")]
    [InlineData("""{"eventId":"e1","memberId":"m1","type":"teleport"}""", "type")]
    [InlineData("""{"eventId":"e1","memberId":"m1","type":"custom"}""", "name")]
    [InlineData("""{"eventId":"bad id","memberId":"m1","type":"login"}""", "eventId")]
    [InlineData("""{"eventId":"e1","memberId":"m1","type":"login","occurredAt":"2030-01-01T00:00:00Z"}""", "occurredAt")]
    public async Task InvalidEvent_Is400WithTheField(string body, string field)
    {
        var reply = await app.Client().SendRawAsync(HttpMethod.Post, "/api/v1/events", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal((HttpStatusCode.BadRequest, "invalid_request"), (reply.Status, reply.Code));
        Assert.True(reply.Body.GetProperty("errors").TryGetProperty(field, out _), reply.Text);
    }

    [Fact]
    public async Task Referral_PaysBothSidesOnce_AndTheThreeRefusals()
    {
        var tag = Unique("ref");
        await PutRuleAsync($"{tag}-referrer", new { trigger = "referral", formula = new { type = "fixed", points = 300 }, eligibility = new { tags = new[] { tag } } });
        await PutRuleAsync($"{tag}-welcome", new { trigger = "referral_welcome", formula = new { type = "fixed", points = 100 }, eligibility = new { tags = new[] { tag } } });
        var referrer = Unique("m-");
        var code = (await app.Client().PutMemberAsync(referrer, new { tags = new[] { tag } })).Body.GetProperty("referralCode").GetString()!;
        Assert.Matches("^[2-9A-HJKMNP-TV-Z]{8}$", code);

        var newcomer = Unique("m-");
        var registered = await app.Client().PutMemberAsync(newcomer, new { tags = new[] { tag }, referredByCode = code.ToLowerInvariant() });
        Assert.Equal((HttpStatusCode.Created, 100L), (registered.Status, registered.Long("balance")));
        var again = await app.Client().PutMemberAsync(newcomer, new { tags = new[] { tag }, referredByCode = code });
        Assert.Equal((HttpStatusCode.OK, 100L), (again.Status, again.Long("balance")));
        Assert.Equal(300, (await app.Client().GetMemberAsync(referrer)).Long("balance"));

        var unknown = await app.Client().PutMemberAsync(Unique("m-"), new { referredByCode = "ZZZZZZZZ" });
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "invalid_referral_code"), (unknown.Status, unknown.Code));
        var self = await app.Client().PutMemberAsync(referrer, new { tags = new[] { tag }, referredByCode = code });
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "self_referral"), (self.Status, self.Code));
        var late = await app.Client().PutMemberAsync(referrer, new { tags = new[] { tag }, referredByCode = registered.Body.GetProperty("referralCode").GetString() });
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "referral_after_registration"), (late.Status, late.Code));
        Assert.Equal(300, (await app.Client().GetMemberAsync(referrer)).Long("balance"));
    }

    [Fact]
    public async Task InvalidRule_Is400_AndRulesAreListed()
    {
        var bad = await app.Client().SendAsync(HttpMethod.Put, "/api/v1/admin/rules/bad", new { trigger = "login", formula = new { type = "fixed", points = 0 } });
        Assert.Equal((HttpStatusCode.BadRequest, "invalid_request"), (bad.Status, bad.Code));
        var special = await app.Client().SendAsync(HttpMethod.Put, "/api/v1/admin/rules/bad", new { trigger = "login", formula = new { type = "fixed", points = 1 }, grant = new { kind = "special" } });
        Assert.True(special.Body.GetProperty("errors").TryGetProperty("grant", out _), special.Text);

        await PutRuleAsync("listed-rule", new { trigger = "survey", formula = new { type = "fixed", points = 1 }, eligibility = new { tags = new[] { "nobody" } } });
        var list = await app.Client().SendAsync(HttpMethod.Get, "/api/v1/admin/rules");
        Assert.Contains(list.Body.GetProperty("items").EnumerateArray(), r => r.GetProperty("ruleId").GetString() == "listed-rule");
        Assert.Equal(HttpStatusCode.NoContent, (await app.Client().SendAsync(HttpMethod.Delete, "/api/v1/admin/rules/listed-rule")).Status);
        Assert.Equal((HttpStatusCode.NotFound, "not_found"), await app.Client().SendAsync(HttpMethod.Delete, "/api/v1/admin/rules/never-was") is var gone ? (gone.Status, gone.Code) : default);
    }
}
