using System.Net;
using System.Text;
using System.Text.Json;
using Azure.Storage.Queues;
using Points.Domain.Primitives;
using Points.Domain.Webhooks;
using Points.Functions.Storage;
using Points.Functions.Tests.Infrastructure;
using Points.Functions.Tests.Ranks;
using Points.Functions.Webhooks;
using static Points.Functions.Tests.Infrastructure.Api;

namespace Points.Functions.Tests.Webhooks;

/// <summary>An app with a partner's endpoint beside it; retry messages come back at once, so the fake clock decides when a retry is due.</summary>
public sealed class WebhooksFixture : RanksFixture
{
    public WebhookReceiver Receiver { get; private set; } = null!;

    protected override async Task BeforeConfigureAsync() => Receiver = await WebhookReceiver.StartAsync();

    protected override void Configure(Dictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Webhooks:RetryMessageDelayMaxSeconds"] = "0";
        settings["Webhooks:TimeoutSeconds"] = "3";
    }

    protected override async ValueTask OnDisposeAsync() => await Receiver.DisposeAsync();

    public QueueClient WebhookQueue => Queue(QueueNames.Webhooks);
}

/// <summary>Outbound webhooks (F37) end to end: member commits → outbox → webhooks queue → SendWebhooks → a loopback partner.</summary>
public sealed class WebhookTests(WebhooksFixture app) : IClassFixture<WebhooksFixture>
{
    private WebhookReceiver Receiver => app.Receiver;

    private async Task<(string Id, string Secret)> SubscribeAsync(string path, params string[] types)
    {
        var created = await app.Client().SendAsync(HttpMethod.Post, "/api/v1/admin/webhooks",
            new { partner = "Shop " + path, url = Receiver.Url(path), eventTypes = types.Length > 0 ? types : PartnerEventTypes.All.ToArray() }, Guid.NewGuid().ToString("N"));
        Assert.True(created.Status == HttpStatusCode.Created, created.Text);
        return (created.Body.GetProperty("subscriptionId").GetString()!, created.Body.GetProperty("secret").GetString()!);
    }

    /// <summary>
    /// Delivers what the webhooks queue holds now, as the Functions host would (every message at once), and again while
    /// messages come back, at most <paramref name="passes"/> times; answers how many invocations were made.
    /// </summary>
    private async Task<int> PumpAsync(int passes = 20)
    {
        var invocations = 0;
        for (var pass = 0; pass < passes; pass++)
        {
            var messages = (await app.WebhookQueue.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(5))).Value;
            if (messages.Length == 0) return invocations;
            await Task.WhenAll(messages.Select(async message =>
            {
                var reply = await InvokeAsync(Encoding.UTF8.GetString(Convert.FromBase64String(message.Body.ToString())));
                Assert.True(reply.Status == HttpStatusCode.OK, reply.Text);
                await app.WebhookQueue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
            }));
            invocations += messages.Length;
        }
        return invocations;
    }

    private async Task<Reply> InvokeAsync(string text)
    {
        var body = JsonSerializer.Serialize(new
        {
            Data = new { message = JsonSerializer.Serialize(text) },
            Metadata = new { DequeueCount = "1", Id = JsonSerializer.Serialize(Guid.NewGuid().ToString()), sys = new { MethodName = WebhookSender.FunctionName } },
        });
        using var client = app.Client(apiKey: null);
        return await client.SendRawAsync(HttpMethod.Post, "/" + WebhookSender.FunctionName, new StringContent(body, Encoding.UTF8, "application/json"));
    }

    private async Task DeleteAsync(string subscriptionId)
    {
        Assert.Equal(HttpStatusCode.NoContent, (await app.Client().SendAsync(HttpMethod.Delete, $"/api/v1/admin/webhooks/{subscriptionId}")).Status);
        await PumpAsync(); // what waited for it is dropped
    }

    private bool Verifies(Received r, string secret) =>
        WebhookSignature.Verify(secret, r.Id, r.Timestamp, r.Body, r.Signature, app.Clock.GetUtcNow(), WebhookSignature.ToleranceDefault);

    private async Task<List<JsonElement>> DeliveriesAsync(string subscriptionId, string? query = null)
    {
        var page = await app.Client().SendAsync(HttpMethod.Get, $"/api/v1/admin/webhooks/{subscriptionId}/deliveries{query}");
        Assert.True(page.Status == HttpStatusCode.OK, page.Text);
        return [.. page.Body.GetProperty("items").EnumerateArray()];
    }

    [Fact]
    public async Task EveryEvent_IsDeliveredOnce_Signed_InTheMembersOrder()
    {
        var (subscription, secret) = await SubscribeAsync("all");
        var member = await app.Client().NewMemberAsync(100); // registered, then 100 points granted
        Assert.Equal(HttpStatusCode.Created, (await app.Client().RedeemAsync(member, 30)).Status);
        await PumpAsync();
        await PumpAsync(); // a message that comes again finds nothing to do

        var received = Receiver.AcceptedAt("all").Where(r => r.MemberId == member).ToList();
        Assert.Equal([PartnerEventTypes.MemberRegistered, PartnerEventTypes.PointsEarned, PartnerEventTypes.PointsSpent], received.Select(r => r.Type));
        Assert.Equal([1L, 2L, 3L], received.Select(r => r.Sequence));
        Assert.All(received, r => Assert.True(Verifies(r, secret), $"signature of {r.Id}"));
        Assert.All(received, r => Assert.Equal(r.Id, r.Json.GetProperty("id").GetString()));
        Assert.Equal(3, received.Select(r => r.Id).Distinct().Count());
        var spent = received[2].Json.GetProperty("data");
        Assert.Equal(-30, spent.GetProperty("points").GetInt64());
        Assert.Equal(70, spent.GetProperty("balanceAfter").GetInt64());
        // A signature made with another secret, or over another body, does not verify.
        Assert.False(Verifies(received[0] with { Body = received[1].Body }, secret));
        Assert.False(WebhookSignature.Verify(WebhookSignature.SecretOf(new byte[32]), received[0].Id, received[0].Timestamp, received[0].Body, received[0].Signature,
            app.Clock.GetUtcNow(), WebhookSignature.ToleranceDefault));

        var log = (await DeliveriesAsync(subscription)).Where(d => d.GetProperty("memberId").GetString() == member).ToList();
        Assert.Equal(3, log.Count);
        Assert.All(log, d => Assert.Equal("delivered", d.GetProperty("status").GetString()));
        Assert.All(log, d => Assert.Equal(200, d.GetProperty("attempts")[0].GetProperty("statusCode").GetInt32()));
        // Page by page, one at a time: the same three, each once, then on to earlier days.
        var paged = new List<string>();
        string? continuation = null;
        for (var page = 0; page < 3; page++)
        {
            var reply = await app.Client().SendAsync(HttpMethod.Get, $"/api/v1/admin/webhooks/{subscription}/deliveries?limit=1"
                + (continuation is null ? "" : "&continuation=" + Uri.EscapeDataString(continuation)));
            paged.AddRange(reply.Body.GetProperty("items").EnumerateArray().Select(d => d.GetProperty("eventId").GetString()!));
            continuation = reply.Body.GetProperty("continuation").GetString();
        }
        Assert.Equal(received.Select(r => r.Id).Order(), paged.Order());
        Assert.NotNull(continuation);
        await DeleteAsync(subscription);
    }

    [Fact]
    public async Task AReceiverDownForAnHour_GetsEverythingInOrderAfterwards_AndOnlyWhatItWants()
    {
        Receiver.Set("down", ReceiverMode.Fail);
        var (subscription, secret) = await SubscribeAsync("down", PartnerEventTypes.PointsEarned, PartnerEventTypes.PointsSpent);
        var member = await app.Client().NewMemberAsync(100);
        for (var minute = 0; minute < 60; minute += 5)
        {
            if (minute % 15 == 0) Assert.Equal(HttpStatusCode.Created, (await app.Client().RedeemAsync(member, 1)).Status);
            await PumpAsync();
            app.Clock.Advance(TimeSpan.FromMinutes(5));
        }
        var failedAttempts = Receiver.At("down").Count(r => r.MemberId == member);
        Assert.True(failedAttempts >= 3, $"{failedAttempts} attempts while down");
        Assert.DoesNotContain(Receiver.AcceptedAt("down"), r => r.MemberId == member);

        Receiver.Set("down", ReceiverMode.Ok);
        app.Clock.Advance(TimeSpan.FromHours(1)); // past the longest backoff
        await PumpAsync();
        var received = Receiver.AcceptedAt("down").Where(r => r.MemberId == member).ToList();
        // The grant and four spends, each once, in the member's order; the registration was not wanted.
        Assert.Equal([PartnerEventTypes.PointsEarned, .. Enumerable.Repeat(PartnerEventTypes.PointsSpent, 4)], received.Select(r => r.Type));
        Assert.Equal(received.Select(r => r.Sequence).Order(), received.Select(r => r.Sequence));
        Assert.Equal([2L, 3L, 4L, 5L, 6L], received.Select(r => r.Sequence)); // 1 is the registration, told only to those who want it
        Assert.All(received, r => Assert.True(Verifies(r, secret)));
        var first = (await DeliveriesAsync(subscription)).Single(d => d.GetProperty("memberId").GetString() == member && d.GetProperty("sequence").GetInt64() == 2);
        Assert.True(first.GetProperty("attemptCount").GetInt32() >= 3);
        Assert.Equal(503, first.GetProperty("attempts")[0].GetProperty("statusCode").GetInt32());
        Assert.Equal("down for maintenance", first.GetProperty("attempts")[0].GetProperty("error").GetString());
        await DeleteAsync(subscription);
    }

    [Fact]
    public async Task AnEventFailingFor24Hours_IsDeadLettered_AndTheNextOneGoesOn()
    {
        Receiver.Set("flaky", ReceiverMode.Fail);
        var (subscription, _) = await SubscribeAsync("flaky", PartnerEventTypes.PointsSpent);
        var member = await app.Client().NewMemberAsync(10);
        Assert.Equal(HttpStatusCode.Created, (await app.Client().RedeemAsync(member, 1)).Status);
        for (var hour = 0; hour <= 25; hour++)
        {
            await PumpAsync();
            app.Clock.Advance(TimeSpan.FromHours(1));
        }
        await PumpAsync();
        var dead = Assert.Single((await DeliveriesAsync(subscription, "?status=dead")), d => d.GetProperty("memberId").GetString() == member);
        Assert.Equal("retries_exhausted", dead.GetProperty("deadReason").GetString());
        var attempts = dead.GetProperty("attemptCount").GetInt32();
        Assert.InRange(attempts, 10, 40); // doubling from 30 s to an hour, then hourly, for a day

        Receiver.Set("flaky", ReceiverMode.Ok);
        Assert.Equal(HttpStatusCode.Created, (await app.Client().RedeemAsync(member, 2)).Status);
        await PumpAsync();
        var taken = Assert.Single(Receiver.AcceptedAt("flaky"), r => r.MemberId == member);
        Assert.Equal(-2, taken.Json.GetProperty("data").GetProperty("points").GetInt64());

        // The dead letter can be sent again, with its original id.
        var replay = await app.Client().SendAsync(HttpMethod.Post, $"/api/v1/admin/webhooks/{subscription}/replay",
            new { eventId = dead.GetProperty("eventId").GetString() }, Guid.NewGuid().ToString("N"));
        Assert.True(replay.Status == HttpStatusCode.Accepted, replay.Text);
        await PumpAsync();
        Assert.Contains(Receiver.AcceptedAt("flaky"), r => r.Id == dead.GetProperty("eventId").GetString());
        await DeleteAsync(subscription);
    }

    [Fact]
    public async Task ADeadEndpoint_DoesNotHoldUpAHealthyOne_AndItsTimeoutsAreLogged()
    {
        Receiver.Set("hang", ReceiverMode.Hang);
        var (dead, _) = await SubscribeAsync("hang", PartnerEventTypes.MemberRegistered);
        var (healthy, _) = await SubscribeAsync("healthy", PartnerEventTypes.MemberRegistered);
        var members = new List<string>();
        for (var i = 0; i < 12; i++) members.Add(await app.Client().NewMemberAsync());

        // As the Functions host does: every message taken as it comes, none waiting for another.
        using var stop = new CancellationTokenSource();
        var pumping = PumpContinuouslyAsync(stop.Token);
        await Eventually.WaitForAsync(() => members.All(m => Receiver.AcceptedAt("healthy").Any(r => r.MemberId == m)),
            "the healthy endpoint has every registration", TimeSpan.FromSeconds(30));
        // ... while the dead endpoint still holds the requests it got: at most its subscription's slots.
        Assert.InRange(Receiver.Hanging, 1, new WebhookOptions().ConcurrentPerSubscription);
        await Eventually.WaitForAsync(async () => (await DeliveriesAsync(dead)).Any(d => d.GetProperty("attemptCount").GetInt32() > 0),
            "a timed-out attempt is logged", TimeSpan.FromSeconds(30));
        var timedOut = (await DeliveriesAsync(dead)).First(d => d.GetProperty("attemptCount").GetInt32() > 0).GetProperty("attempts")[0];
        Assert.Equal(JsonValueKind.Null, timedOut.GetProperty("statusCode").ValueKind);
        Assert.Equal("no answer within 3 s", timedOut.GetProperty("error").GetString());
        await stop.CancelAsync();
        await pumping;
        Receiver.ReleaseHanging();
        await DeleteAsync(dead);
        await DeleteAsync(healthy);
    }

    /// <summary>Takes messages as they become visible and invokes each at once, until stopped.</summary>
    private async Task PumpContinuouslyAsync(CancellationToken stop)
    {
        var running = new List<Task>();
        while (!stop.IsCancellationRequested)
        {
            var messages = (await app.WebhookQueue.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(5))).Value;
            running.AddRange(messages.Select(async message =>
            {
                await InvokeAsync(Encoding.UTF8.GetString(Convert.FromBase64String(message.Body.ToString())));
                await app.WebhookQueue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
            }));
            try { await Task.Delay(50, stop); } catch (OperationCanceledException) { }
        }
        await Task.WhenAll(running);
    }

    [Fact]
    public async Task A410_TurnsTheSubscriptionOff_UntilAnAdminTurnsItOn()
    {
        Receiver.Set("gone", ReceiverMode.Gone);
        var (subscription, _) = await SubscribeAsync("gone", PartnerEventTypes.PointsEarned);
        var member = await app.Client().NewMemberAsync(5);
        Assert.Equal(HttpStatusCode.Created, (await app.Client().AdjustAsync(member, 6)).Status);
        await PumpAsync();
        Assert.Single(Receiver.At("gone"), r => r.MemberId == member); // one 410, then no more tries

        var read = await app.Client().SendAsync(HttpMethod.Get, $"/api/v1/admin/webhooks/{subscription}");
        Assert.False(read.Body.GetProperty("active").GetBoolean());
        Assert.Contains("410", read.Body.GetProperty("deactivatedReason").GetString());
        var reasons = (await DeliveriesAsync(subscription)).Where(d => d.GetProperty("memberId").GetString() == member).Select(d => d.GetProperty("deadReason").GetString()).Order();
        Assert.Equal(["endpoint_gone", "subscription_inactive"], reasons);

        Receiver.Set("gone", ReceiverMode.Ok);
        var on = await app.Client().SendAsync(HttpMethod.Patch, $"/api/v1/admin/webhooks/{subscription}", new { active = true }, ifMatch: read.Response.Headers.ETag!.ToString());
        Assert.True(on.Status == HttpStatusCode.OK, on.Text);
        Assert.Equal(HttpStatusCode.PreconditionFailed,
            (await app.Client().SendAsync(HttpMethod.Patch, $"/api/v1/admin/webhooks/{subscription}", new { active = false }, ifMatch: read.Response.Headers.ETag!.ToString())).Status);
        app.Clock.Advance(TimeSpan.FromSeconds(6)); // the subscriptions cache of the outbox handler
        Assert.Equal(HttpStatusCode.Created, (await app.Client().AdjustAsync(member, 7)).Status);
        await PumpAsync();
        var taken = Assert.Single(Receiver.AcceptedAt("gone"), r => r.MemberId == member);
        Assert.Equal(7, taken.Json.GetProperty("data").GetProperty("points").GetInt64());
        await DeleteAsync(subscription);
    }

    [Fact]
    public async Task Replay_OfAPeriod_SendsTheSameEventsAgain()
    {
        var (subscription, secret) = await SubscribeAsync("replay", PartnerEventTypes.PointsEarned);
        var member = await app.Client().NewMemberAsync(3);
        await PumpAsync();
        var first = Assert.Single(Receiver.AcceptedAt("replay"), r => r.MemberId == member);

        var now = app.Clock.GetUtcNow();
        var replay = await app.Client().SendAsync(HttpMethod.Post, $"/api/v1/admin/webhooks/{subscription}/replay",
            new { from = now.AddHours(-1), to = now.AddMinutes(1) }, Guid.NewGuid().ToString("N"));
        Assert.True(replay.Status == HttpStatusCode.Accepted, replay.Text);
        Assert.True(replay.Body.GetProperty("events").GetInt32() >= 1);
        await PumpAsync();
        var again = Receiver.AcceptedAt("replay").Where(r => r.MemberId == member).ToList();
        Assert.Equal(2, again.Count);
        Assert.Equal(first.Id, again[1].Id);
        Assert.Equal(first.Body, again[1].Body);
        Assert.True(Verifies(again[1], secret));
        await DeleteAsync(subscription);
    }

    [Fact]
    public async Task TheSecret_IsShownOnce_NeverLoggedOrStoredInClear_AndARotationSignsWithBothForItsOverlap()
    {
        var (subscription, secret) = await SubscribeAsync("rotate", PartnerEventTypes.PointsEarned);
        foreach (var answer in new[]
        {
            await app.Client().SendAsync(HttpMethod.Get, "/api/v1/admin/webhooks"),
            await app.Client().SendAsync(HttpMethod.Get, $"/api/v1/admin/webhooks/{subscription}"),
            await app.Client().SendAsync(HttpMethod.Patch, $"/api/v1/admin/webhooks/{subscription}", new { partner = "Renamed" }),
        })
        {
            Assert.True(answer.Status == HttpStatusCode.OK, answer.Text);
            Assert.DoesNotContain(secret[WebhookSignature.SecretPrefix.Length..], answer.Text, StringComparison.Ordinal);
        }
        var stored = await app.Service<CosmosStorage>().Config.ReadItemStreamAsync(subscription, new Microsoft.Azure.Cosmos.PartitionKey(WebhookSubscriptionDocument.Partition));
        var storedText = await new StreamReader(stored.Content).ReadToEndAsync();
        Assert.Contains("ciphertext", storedText, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(secret[WebhookSignature.SecretPrefix.Length..], storedText, StringComparison.Ordinal);

        var rotated = await app.Client().SendAsync(HttpMethod.Post, $"/api/v1/admin/webhooks/{subscription}/rotate-secret", new { overlapHours = 2 }, Guid.NewGuid().ToString("N"));
        Assert.True(rotated.Status == HttpStatusCode.OK, rotated.Text);
        var newSecret = rotated.Body.GetProperty("secret").GetString()!;
        Assert.NotEqual(secret, newSecret);
        var member = await app.Client().NewMemberAsync(1);
        await PumpAsync();
        var during = Assert.Single(Receiver.AcceptedAt("rotate"), r => r.MemberId == member);
        Assert.True(Verifies(during, secret) && Verifies(during, newSecret), "both secrets sign during the overlap");

        app.Clock.Advance(TimeSpan.FromHours(3));
        Assert.Equal(HttpStatusCode.Created, (await app.Client().AdjustAsync(member, 2)).Status);
        await PumpAsync();
        var after = Receiver.AcceptedAt("rotate").Where(r => r.MemberId == member).Last();
        Assert.True(Verifies(after, newSecret) && !Verifies(after, secret), "only the new secret signs after the overlap");
        Assert.DoesNotContain(app.Logs.Lines, l => l.Contains(secret[WebhookSignature.SecretPrefix.Length..], StringComparison.Ordinal)
            || l.Contains(newSecret[WebhookSignature.SecretPrefix.Length..], StringComparison.Ordinal));
        await DeleteAsync(subscription);
    }

    [Fact]
    public async Task PointsAboutToExpire_AreToldOncePerDateAndOffset_WithTheReminders()
    {
        var (subscription, _) = await SubscribeAsync("expiring", PartnerEventTypes.PointsExpiring);
        var settings = app.Service<Points.Functions.Settings.ProgramSettingsStore>();
        var today = (await settings.GetAsync(CancellationToken.None)).DateOf(app.Clock.GetUtcNow());
        await app.SetSettingsSectionAsync("reminders", new System.Text.Json.Nodes.JsonObject { ["offsetsDays"] = new System.Text.Json.Nodes.JsonArray(7), ["minimumPoints"] = 1 });
        var member = await app.Client().NewMemberAsync();
        var expiresOn = today.AddDays(7);
        Assert.Equal(HttpStatusCode.Created, (await app.Client().AdjustAsync(member, 25, "special", CalendarText.DayOf(expiresOn))).Status);

        var job = app.Service<Points.Functions.Expiry.ExpiryRemindersJob>();
        var reminders = (await settings.GetAsync(CancellationToken.None)).Reminders;
        await Eventually.WaitForAsync(async () => (await job.WriteDayAsync(today, reminders, CancellationToken.None)).Rows > 0, "the member is listed");
        await job.WriteDayAsync(today, reminders, CancellationToken.None); // a run that stopped halfway writes its day again
        await PumpAsync();

        var told = Assert.Single(Receiver.AcceptedAt("expiring"), r => r.MemberId == member);
        Assert.Equal(PartnerEventTypes.PointsExpiring, told.Type);
        var data = told.Json.GetProperty("data");
        Assert.Equal((CalendarText.DayOf(expiresOn), 25L, 7), (data.GetProperty("expiresOn").GetString(), data.GetProperty("points").GetInt64(), data.GetProperty("daysBefore").GetInt32()));
        await DeleteAsync(subscription);
    }

    [Fact]
    public async Task WrongRequests_AreRefusedNamingTheField()
    {
        async Task<Reply> Create(object body) => await app.Client().SendAsync(HttpMethod.Post, "/api/v1/admin/webhooks", body, Guid.NewGuid().ToString("N"));
        var ok = Receiver.Url("x");
        foreach (var (body, field) in new (object, string)[]
        {
            (new { partner = "p", url = "http://partner.example/hook", eventTypes = new[] { "points.earned" } }, "url"),
            (new { partner = "p", url = "https://user:pw@partner.example/hook", eventTypes = new[] { "points.earned" } }, "url"),
            (new { partner = "p", url = "ftp://partner.example/hook", eventTypes = new[] { "points.earned" } }, "url"),
            (new { partner = "p", url = ok, eventTypes = new[] { "points.stolen" } }, "eventTypes"),
            (new { partner = "p", url = ok, eventTypes = Array.Empty<string>() }, "eventTypes"),
            (new { partner = " ", url = ok, eventTypes = new[] { "points.earned" } }, "partner"),
        })
        {
            var refused = await Create(body);
            Assert.True(refused.Status == HttpStatusCode.BadRequest, refused.Text);
            Assert.Equal("invalid_request", refused.Code);
            Assert.True(refused.Body.GetProperty("errors").TryGetProperty(field, out _), refused.Text);
        }
        var (subscription, _) = await SubscribeAsync("x", PartnerEventTypes.PointsEarned);
        Assert.Equal(HttpStatusCode.BadRequest, (await app.Client().SendAsync(HttpMethod.Patch, $"/api/v1/admin/webhooks/{subscription}", new { })).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await app.Client().SendAsync(HttpMethod.Post, $"/api/v1/admin/webhooks/{subscription}/replay", new { }, "k1")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await app.Client().SendAsync(HttpMethod.Post, $"/api/v1/admin/webhooks/{subscription}/replay",
            new { eventId = "evt_x", from = app.Clock.GetUtcNow() }, "k2")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client().SendAsync(HttpMethod.Post, $"/api/v1/admin/webhooks/{subscription}/replay",
            new { eventId = "evt_never" }, "k3")).Status);
        foreach (var query in new[] { "?day=2020-01-01", "?day=tomorrow", "?status=lost", "?limit=0", "?continuation=%%%" })
        {
            var refused = await app.Client().SendAsync(HttpMethod.Get, $"/api/v1/admin/webhooks/{subscription}/deliveries{query}");
            Assert.True(refused.Status == HttpStatusCode.BadRequest, query + " " + refused.Text);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client().SendAsync(HttpMethod.Get, "/api/v1/admin/webhooks/whs_none/deliveries")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client().SendAsync(HttpMethod.Get, "/api/v1/admin/webhooks/whs_none")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await InvokeAsync("not a message")).Status);
        await DeleteAsync(subscription);
    }
}
