using System.Net;
using System.Text;
using System.Text.Json;
using Points.Functions.Purchases;
using Points.Functions.Tests.Infrastructure;
using Points.Tools.PayPalStandIn;
using static Points.Functions.Tests.Infrastructure.Api;
using static Points.Functions.Tests.Ledger.WorkedExamplesApiTests;
using static Points.Functions.Tests.Platform.ErrorCodesTests;

namespace Points.Functions.Tests.Purchases;

/// <summary>
/// Buying points end to end (F20–F21): the app, the emulators and the PayPal stand-in. Credits happen once per capture
/// however the capture call and the webhooks arrive; forged webhooks apply nothing; refunds take their share back.
/// </summary>
[Collection(PurchaseCollection.Name)]
public sealed class PurchaseApiTests(PurchaseFixture app) : IAsyncLifetime
{
    private PayPalStandIn StandIn => app.StandIn;

    public Task InitializeAsync()
    {
        StandIn.HoldWebhooks = true; // each test sends them when it wants
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await StandIn.DrainAsync();
        await StandIn.ReleaseHeldAsync(_ => []); // what a test left held is dropped, not sent to the next one
    }

    private async Task<long> BalanceAsync(string member) => (await app.Client().GetMemberAsync(member)).Long("balance");

    private async Task<IReadOnlyList<JsonElement>> PurchaseEntriesAsync(string member) =>
        [.. (await app.Client().TransactionsAsync(member)).Body.GetProperty("items").EnumerateArray().Where(e => e.GetProperty("type").GetString() == "purchase")];

    public static TheoryData<string> Arrivals =>
    [
        "the capture call, then the webhooks",
        "the webhooks, then the capture call",
        "the capture call and the webhooks at once",
        "the capture call twice, every webhook twice",
        "every webhook 25 times (PayPal's retries), no capture call",
    ];

    [Theory]
    [MemberData(nameof(Arrivals))]
    public async Task PurchasedPoints_AreCreditedOnce_HoweverTheCaptureAndTheWebhooksArrive(string arrival)
    {
        var member = await app.Client().NewMemberAsync();
        var (purchaseId, orderId) = await app.BuyAsync(member, 1_000);
        await StandIn.ApproveAsync(orderId);

        switch (arrival)
        {
            case "the capture call, then the webhooks":
                AssertCompleted(await app.CaptureAsync(member, purchaseId), 1_000);
                await app.DeliverHeldAsync();
                break;
            case "the webhooks, then the capture call":
                await app.DeliverHeldAsync();
                AssertCompleted(await app.CaptureAsync(member, purchaseId), 1_000);
                break;
            case "the capture call and the webhooks at once":
                var calls = new[] { app.CaptureAsync(member, purchaseId), app.CaptureAsync(member, purchaseId) };
                await Task.WhenAll(Task.WhenAll(calls), app.DeliverHeldAsync());
                foreach (var call in calls) AssertCompleted(await call, 1_000);
                break;
            case "the capture call twice, every webhook twice":
                AssertCompleted(await app.CaptureAsync(member, purchaseId), 1_000);
                AssertCompleted(await app.CaptureAsync(member, purchaseId), 1_000);
                await app.DeliverHeldAsync();
                foreach (var e in app.EventsOf(orderId)) Assert.All(await StandIn.ResendAsync(e.Id), d => Assert.Equal(200, d.Status));
                break;
            default:
                await app.DeliverHeldAsync();
                foreach (var e in app.EventsOf(orderId)) Assert.All(await StandIn.ResendAsync(e.Id, 25), d => Assert.Equal(200, d.Status));
                break;
        }
        await app.DeliverHeldAsync();

        Assert.Equal(1_000, await BalanceAsync(member));
        Assert.Single(await PurchaseEntriesAsync(member));
        var shown = await app.PurchaseAsync(member, purchaseId);
        Assert.Equal(("completed", 1_000L), (shown.Body.GetProperty("status").GetString(), shown.Long("pointsCredited")));
        Assert.Equal(("COMPLETED", "COMPLETED"), (StandIn.Order(orderId).Status, StandIn.Order(orderId).CaptureStatus));
        Assert.Single(StandIn.Requests, r => r.Method == "POST" && r.Path == $"/v2/checkout/orders/{orderId}/capture" && r.Status == 201);
    }

    /// <summary>A capture answered completed with <paramref name="points"/> credited, the member's balance then being <paramref name="balance"/>.</summary>
    private static void AssertCompleted(Reply reply, long points, long? balance = null)
    {
        Assert.True(reply.Status == HttpStatusCode.OK, reply.Text);
        Assert.Equal(("completed", points), (reply.Body.GetProperty("status").GetString(), reply.Long("pointsCredited")));
        Assert.Equal(balance ?? points, reply.Long("balance"));
    }

    [Fact]
    public async Task ACaptureThatPayPalMadeButTheAppNeverCommitted_IsHealedByTheHourlyReconciliation()
    {
        var member = await app.Client().NewMemberAsync();
        var (purchaseId, orderId) = await app.BuyAsync(member, 700);
        await StandIn.ApproveAsync(orderId);
        // PayPal captured; the process stopped before its commit, and the webhooks never came (they stay held).
        var captured = await app.Service<Points.Functions.PayPal.PayPalClient>()
            .CaptureOrderAsync(orderId, PurchaseSettlement.CaptureRequestId(orderId), CancellationToken.None);
        Assert.IsType<Points.Functions.PayPal.PayPalCaptureOutcome.Captured>(captured);
        Assert.Equal(0, await BalanceAsync(member));

        AssertInvocationReply(await Ranks.PeriodicJobsKit.InvokeTimerAsync(app, PurchaseReconciliation.FunctionName)); // too soon: left alone
        Assert.Equal(0, await BalanceAsync(member));
        app.Clock.Advance(TimeSpan.FromMinutes(20));
        AssertInvocationReply(await Ranks.PeriodicJobsKit.InvokeTimerAsync(app, PurchaseReconciliation.FunctionName));

        Assert.Equal(700, await BalanceAsync(member));
        await app.DeliverHeldAsync(); // the late webhooks change nothing
        Assert.Equal(700, await BalanceAsync(member));
        Assert.Equal("completed", (await app.PurchaseAsync(member, purchaseId)).Body.GetProperty("status").GetString());
    }

    [Fact]
    public async Task AnOrderPayPalMadeButTheAppNeverRecorded_IsRecoveredOncePaid()
    {
        var member = await app.Client().NewMemberAsync();
        var key = Unique("lost-");
        var purchaseId = PurchasesFeature.PurchaseIdOf(Points.Domain.Primitives.MemberId.Parse(member), key);
        // What the create route does before its commit, then the process stopped.
        await app.Service<PurchaseRecords>().BeginAsync(Points.Domain.Primitives.MemberId.Parse(member), purchaseId, 300, new(300), app.Clock.GetUtcNow(),
            CancellationToken.None);
        var order = await app.Service<Points.Functions.PayPal.PayPalClient>().CreateOrderAsync(
            PurchaseSettlement.OrderFor(purchaseId, 300, new(300), new PurchaseSettings()), PurchaseSettlement.CreateRequestId(purchaseId), CancellationToken.None);
        await StandIn.ApproveAsync(order.Id);

        await app.DeliverHeldAsync(); // the approval finds the purchase's owner, records the order and captures it

        Assert.Equal(300, await BalanceAsync(member));
        Assert.Equal("completed", (await app.PurchaseAsync(member, purchaseId)).Body.GetProperty("status").GetString());
        // The partner's retry with the same key answers the same purchase and order.
        var again = await app.Client().SendAsync(HttpMethod.Post, $"/api/v1/members/{member}/purchases", new { points = 300 }, key);
        Assert.Equal((HttpStatusCode.Created, order.Id), (again.Status, again.Body.GetProperty("paypalOrderId").GetString()));
        Assert.Equal(300, await BalanceAsync(member));
    }

    public static TheoryData<string> Forgeries =>
    [
        "one changed byte", "a wrong webhook id", "a certificate from a host not allowed", "an untrusted chain", "an expired certificate",
        "a stale transmission time", "a missing header",
    ];

    [Theory]
    [MemberData(nameof(Forgeries))]
    public async Task AWebhookThatDoesNotVerify_Is400_AndAppliesNothing(string forgery)
    {
        var member = await app.Client().NewMemberAsync();
        var (purchaseId, orderId) = await app.BuyAsync(member, 500);
        await StandIn.ApproveAsync(orderId);
        var approved = Assert.Single(StandIn.HeldEvents, e => e.ResourceId == orderId);

        var signing = forgery switch
        {
            "a wrong webhook id" => new WebhookSigning { WebhookId = "WH-NOT-OURS-0001" },
            "a certificate from a host not allowed" => new WebhookSigning { CertificateHost = "localhost" },
            "an untrusted chain" => new WebhookSigning { Certificate = SigningCertificate.Untrusted },
            "an expired certificate" => new WebhookSigning { Certificate = SigningCertificate.Expired },
            "a stale transmission time" => new WebhookSigning { TransmissionTimeOffset = TimeSpan.FromMinutes(-6) },
            _ => WebhookSigning.Genuine,
        };
        var signed = StandIn.Sign(approved, signing);
        var body = approved.Body.ToArray();
        if (forgery == "one changed byte") body[Array.IndexOf(body, (byte)'A')] = (byte)'B';
        var headers = signed.Headers.Where(h => forgery != "a missing header" || h.Key != "PAYPAL-TRANSMISSION-SIG").ToDictionary();
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");

        var reply = await app.Client(apiKey: null).SendRawAsync(HttpMethod.Post, "/api/v1/webhooks/paypal", content, headers: headers);

        AssertProblem(reply, HttpStatusCode.BadRequest, "invalid_signature", forgery);
        await StandIn.DrainAsync();
        Assert.Equal(("APPROVED", (string?)null), (StandIn.Order(orderId).Status, StandIn.Order(orderId).CaptureId)); // nothing captured
        Assert.Equal("created", (await app.PurchaseAsync(member, purchaseId)).Body.GetProperty("status").GetString());
        // The genuine delivery of the same event still applies (the forgery recorded nothing under its id).
        Assert.Equal(200, (await StandIn.DeliverAsync(approved)).Status);
        await app.DeliverHeldAsync();
        Assert.Equal(500, await BalanceAsync(member));
    }

    public static TheoryData<string, long[], long, long> Refunds => new()
    {
        // name, yen refunded one by one (1,000-point purchase at ¥1), points spent before, balance after
        { "half", [500], 0, 500 },
        { "in full", [1_000], 0, 0 },
        { "in two parts", [300, 300], 0, 400 },
        { "after spending 800: debt", [1_000], 800, -800 },
    };

    [Theory]
    [MemberData(nameof(Refunds))]
    public async Task ARefund_TakesBackItsShareOfThePoints(string name, long[] refunds, long spent, long balance)
    {
        var (member, orderId) = await BoughtAsync(1_000);
        if (spent > 0) Assert.Equal(HttpStatusCode.Created, (await app.Client().RedeemAsync(member, spent)).Status);
        var captureId = StandIn.Order(orderId).CaptureId!;

        foreach (var yen in refunds) await StandIn.RefundCaptureAsync(captureId, yen);
        await app.DeliverHeldAsync();
        foreach (var e in app.EventsOf(orderId).Where(e => e.EventType == "PAYMENT.CAPTURE.REFUNDED")) await StandIn.ResendAsync(e.Id); // PayPal's retries

        Assert.True(balance == await BalanceAsync(member), name);
        var shown = await app.Client().GetMemberAsync(member);
        Assert.Equal(Math.Max(0, -balance), shown.Long("debt"));
    }

    [Fact]
    public async Task ARefundThatComesBeforeTheCapturesNews_CreditsTheCaptureFirst_ThenTakesItsShareBack()
    {
        var member = await app.Client().NewMemberAsync();
        var (purchaseId, orderId) = await app.BuyAsync(member, 1_000);
        await StandIn.ApproveAsync(orderId);
        await app.Service<Points.Functions.PayPal.PayPalClient>().CaptureOrderAsync(orderId, PurchaseSettlement.CaptureRequestId(orderId), CancellationToken.None);
        await StandIn.DrainAsync();
        await StandIn.ReleaseHeldAsync(_ => []); // the approval and the capture's news never arrive

        await StandIn.RefundCaptureAsync(StandIn.Order(orderId).CaptureId!, 400);
        await app.DeliverHeldAsync();

        Assert.Equal(600, await BalanceAsync(member));
        var shown = await app.PurchaseAsync(member, purchaseId);
        Assert.Equal(("refunded", 600L), (shown.Body.GetProperty("status").GetString(), shown.Long("pointsCredited")));
    }

    [Fact]
    public async Task AReversal_TakesBackWhatIsLeft()
    {
        var (member, orderId) = await BoughtAsync(1_000);
        await StandIn.ReverseCaptureAsync(StandIn.Order(orderId).CaptureId!);
        await app.DeliverHeldAsync();
        Assert.Equal(0, await BalanceAsync(member));
    }

    [Fact]
    public async Task APendingCapture_IsCreditedWhenPayPalCompletesIt_AndADeniedOneFails()
    {
        var member = await app.Client().NewMemberAsync();
        var (pendingId, pendingOrder) = await app.BuyAsync(member, 200);
        var (deniedId, deniedOrder) = await app.BuyAsync(member, 300);
        foreach (var order in new[] { pendingOrder, deniedOrder })
        {
            StandIn.SetCaptureBehaviour(order, CaptureBehaviour.Pend);
            await StandIn.ApproveAsync(order);
        }
        var pending = await app.CaptureAsync(member, pendingId);
        Assert.Equal(("pending", 0L), (pending.Body.GetProperty("status").GetString(), pending.Long("pointsCredited")));
        await app.CaptureAsync(member, deniedId);
        await app.DeliverHeldAsync();
        Assert.Equal(0, await BalanceAsync(member));

        await StandIn.CompleteCaptureAsync(StandIn.Order(pendingOrder).CaptureId!);
        await StandIn.DenyCaptureAsync(StandIn.Order(deniedOrder).CaptureId!);
        await app.DeliverHeldAsync();

        Assert.Equal(200, await BalanceAsync(member));
        Assert.Equal("completed", (await app.PurchaseAsync(member, pendingId)).Body.GetProperty("status").GetString());
        Assert.Equal("failed", (await app.PurchaseAsync(member, deniedId)).Body.GetProperty("status").GetString());
    }

    [Fact]
    public async Task ACaptureBeforeApproval_Is409_AndADeclinedInstrument422_AndNeitherCredits()
    {
        var member = await app.Client().NewMemberAsync();
        var (purchaseId, orderId) = await app.BuyAsync(member, 400);
        AssertProblem(await app.CaptureAsync(member, purchaseId), HttpStatusCode.Conflict, "order_not_approved");

        StandIn.SetCaptureBehaviour(orderId, CaptureBehaviour.DeclineInstrument);
        await StandIn.ApproveAsync(orderId);
        AssertProblem(await app.CaptureAsync(member, purchaseId), HttpStatusCode.UnprocessableEntity, "payment_declined");

        StandIn.SetCaptureBehaviour(orderId, CaptureBehaviour.Complete); // the payer chose another funding source
        AssertCompleted(await app.CaptureAsync(member, purchaseId), 400);
        AssertProblem(await app.CaptureAsync(member, "B" + new string('0', 31)), HttpStatusCode.NotFound, "purchase_not_found");
    }

    [Fact]
    public async Task AnOrder_IsForPointsTimesThePrice_InWholeYen()
    {
        await app.SetSettingsSectionAsync("purchases", PurchaseFixture.Purchases(s => s["yenPerPoint"] = 3));
        try
        {
            var member = await app.Client().NewMemberAsync();
            var created = await app.Client().SendAsync(HttpMethod.Post, $"/api/v1/members/{member}/purchases", new { points = 1_000 }, Unique("buy-"));

            Assert.Equal(HttpStatusCode.Created, created.Status);
            Assert.Equal((3_000L, "created"), (created.Long("amountYen"), created.Body.GetProperty("status").GetString()));
            Assert.StartsWith(StandIn.BaseUrl.AbsoluteUri, created.Body.GetProperty("approveUrl").GetString());
            var order = StandIn.Order(created.Body.GetProperty("paypalOrderId").GetString()!);
            Assert.Equal(("JPY", "3000"), (order.CurrencyCode, order.Value)); // no decimals: JPY has none
            Assert.Equal(created.Body.GetProperty("purchaseId").GetString(), order.CustomId);
        }
        finally
        {
            await app.SetSettingsSectionAsync("purchases", PurchaseFixture.Purchases());
        }
    }

    public static TheoryData<string, long, string> Refusals => new()
    {
        { "zero", 0, "below_minimum" },
        { "negative", -100, "below_minimum" },
        { "below the minimum", 99, "below_minimum" },
        { "above the maximum", 10_001, "above_maximum" },
        { "far above any amount", long.MaxValue, "above_maximum" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task APurchaseOutsideTheLimits_Is422WithItsCode(string name, long points, string code)
    {
        var member = await app.Client().NewMemberAsync();
        var reply = await app.Client().SendAsync(HttpMethod.Post, $"/api/v1/members/{member}/purchases", new { points }, Unique("buy-"));
        AssertProblem(reply, HttpStatusCode.UnprocessableEntity, code, name);
    }

    [Fact]
    public async Task TheDailyLimit_CountsTodaysPurchases_AndTurnedOffPurchasesAreRefused()
    {
        var member = await app.Client().NewMemberAsync();
        await app.BuyAsync(member, 10_000);
        await app.BuyAsync(member, 5_000);
        AssertProblem(await app.Client().SendAsync(HttpMethod.Post, $"/api/v1/members/{member}/purchases", new { points = 100 }, Unique("buy-")),
            HttpStatusCode.UnprocessableEntity, "daily_limit_reached");

        await app.SetSettingsSectionAsync("purchases", PurchaseFixture.Purchases(s => s["enabled"] = false));
        try
        {
            AssertProblem(await app.Client().SendAsync(HttpMethod.Post, $"/api/v1/members/{member}/purchases", new { points = 100 }, Unique("buy-")),
                HttpStatusCode.UnprocessableEntity, "purchases_disabled");
        }
        finally
        {
            await app.SetSettingsSectionAsync("purchases", PurchaseFixture.Purchases());
        }
    }

    [Fact]
    public async Task PurchasedPoints_CannotBeWithdrawn()
    {
        await app.SetSettingsSectionAsync("withdrawals", new System.Text.Json.Nodes.JsonObject { ["enabled"] = true, ["minimumPoints"] = 100 });
        var (member, _) = await BoughtAsync(1_000, profile: new { birthDate = "1990-05-05" });
        Assert.Equal(HttpStatusCode.OK, (await app.Client().SendAsync(HttpMethod.Put, $"/api/v1/members/{member}/bank-account",
            new { bankCode = "0001", branchCode = "123", accountType = "ordinary", accountNumber = "1234567", holderKana = "ﾔﾏﾀﾞ ﾀﾛｳ" })).Status);

        var reply = await app.Client().SendAsync(HttpMethod.Post, $"/api/v1/members/{member}/withdrawals", new { points = 500 }, Unique("w-"));

        AssertProblem(reply, HttpStatusCode.UnprocessableEntity, "insufficient_points");
        Assert.Equal(1_000, await BalanceAsync(member));
    }

    [Theory]
    [InlineData("members:read")]
    [InlineData("points:write")]
    public async Task AKeyWithoutMembersWrite_CannotCreatePurchases(string scope)
    {
        var member = await app.Client().NewMemberAsync();
        var reply = await app.Client(AppFixture.Keys[scope]).SendAsync(HttpMethod.Post, $"/api/v1/members/{member}/purchases", new { points = 1_000 }, Unique("buy-"));
        AssertProblem(reply, HttpStatusCode.Forbidden, "forbidden", scope);
    }

    [Fact]
    public async Task TheSameIdempotencyKey_AnswersTheSamePurchaseAndOrder()
    {
        var member = await app.Client().NewMemberAsync();
        var key = Unique("buy-");
        var first = await app.BuyAsync(member, 1_000, key);
        var again = await app.Client().SendAsync(HttpMethod.Post, $"/api/v1/members/{member}/purchases", new { points = 1_000 }, key);

        Assert.Equal((HttpStatusCode.Created, "true"), (again.Status, again.Header("Idempotent-Replayed")));
        Assert.Equal((first.PurchaseId, first.OrderId), (again.Body.GetProperty("purchaseId").GetString(), again.Body.GetProperty("paypalOrderId").GetString()));
        Assert.Single(StandIn.Requests, r => r.Method == "POST" && r.Path == "/v2/checkout/orders" && r.RequestId == PurchaseSettlement.CreateRequestId(first.PurchaseId));
    }

    [Fact]
    public async Task PayPalDown_Is502_AndTheSameKeyLaterMakesTheOneOrder()
    {
        var member = await app.Client().NewMemberAsync();
        var key = Unique("buy-");
        StandIn.FailNextRequests(20, HttpStatusCode.ServiceUnavailable); // more than the client's retries

        AssertProblem(await app.Client().SendAsync(HttpMethod.Post, $"/api/v1/members/{member}/purchases", new { points = 100 }, key),
            HttpStatusCode.BadGateway, "paypal_unavailable");

        StandIn.FailNextRequests(0, HttpStatusCode.ServiceUnavailable);
        var (purchaseId, orderId) = await app.BuyAsync(member, 100, key);
        Assert.Equal(orderId, (await app.PurchaseAsync(member, purchaseId)).Body.GetProperty("paypalOrderId").GetString());
    }

    /// <summary>A member who bought <paramref name="points"/> (approved, captured, webhooks delivered).</summary>
    private async Task<(string Member, string OrderId)> BoughtAsync(long points, object? profile = null)
    {
        var member = await app.Client().NewMemberAsync(profile: profile);
        var (purchaseId, orderId) = await app.BuyAsync(member, points);
        await StandIn.ApproveAsync(orderId);
        AssertCompleted(await app.CaptureAsync(member, purchaseId), points);
        await app.DeliverHeldAsync();
        return (member, orderId);
    }
}

[CollectionDefinition(Name)]
public sealed class PurchaseCollection : ICollectionFixture<PurchaseFixture>
{
    public const string Name = "purchases";
}
