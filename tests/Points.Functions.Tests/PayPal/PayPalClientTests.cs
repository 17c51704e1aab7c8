using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Points.Domain.Primitives;
using Points.Functions.PayPal;
using Points.Tools.PayPalStandIn;

namespace Points.Functions.Tests.PayPal;

/// <summary>The typed PayPal client against the stand-in: idempotent create and capture, typed refusals, the token cache, retries.</summary>
public sealed class PayPalClientTests(PayPalFixture paypal) : IClassFixture<PayPalFixture>
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task CreateOrder_SameRequestIdTwice_IsOneOrder()
    {
        var request = new PayPalOrderRequest("p-same-1", "inv-same-1", new Yen(1000), "1000 points");

        var first = await paypal.Client.CreateOrderAsync(request, "create-p-same-1", None);
        var again = await paypal.Client.CreateOrderAsync(request, "create-p-same-1", None);

        Assert.Equal(first.Id, again.Id);
        Assert.Equal(2, paypal.StandIn.Requests.Count(r => r.Path == "/v2/checkout/orders" && r.RequestId == "create-p-same-1"));
        Assert.Equal([201, 200], paypal.StandIn.Requests.Where(r => r.RequestId == "create-p-same-1").Select(r => r.Status));
        Assert.Equal(PayPalOrderStatus.Created, first.Status);
        Assert.NotNull(first.ApproveUrl);
        Assert.Null(first.PayerActionUrl);
        Assert.Equal("p-same-1", first.CustomId);
        Assert.Equal(new Yen(1000), first.Amount);
        var held = paypal.StandIn.Order(first.Id);
        Assert.Equal(("JPY", "1000", "p-same-1", "inv-same-1"), (held.CurrencyCode, held.Value, held.CustomId, held.InvoiceId)); // no decimals
    }

    [Fact]
    public async Task CreateOrder_WithExperienceContext_AnswersThePayerActionLink()
    {
        var order = await paypal.CreateOrderAsync(2500, new PayPalExperience(new Uri("https://example.jp/return"), new Uri("https://example.jp/cancel"), "Points"));

        Assert.Equal(PayPalOrderStatus.PayerActionRequired, order.Status);
        Assert.NotNull(order.PayerActionUrl);
        Assert.Equal(order.PayerActionUrl, order.PayerUrl);
        Assert.Equal($"token={order.Id}", order.PayerActionUrl!.Query.TrimStart('?'));
    }

    [Fact]
    public async Task CaptureBeforeApproval_IsRefusedAsOrderNotApproved()
    {
        var order = await paypal.CreateOrderAsync();

        var outcome = await paypal.Client.CaptureOrderAsync(order.Id, "capture-" + order.Id, None);

        var refused = Assert.IsType<PayPalCaptureOutcome.Refused>(outcome);
        Assert.Equal(PayPalCaptureRefusal.OrderNotApproved, refused.Reason);
        Assert.Equal((422, "UNPROCESSABLE_ENTITY", "ORDER_NOT_APPROVED"), (refused.Error.Status, refused.Error.Name, refused.Error.Issue));
        Assert.NotNull(refused.Error.DebugId);
    }

    [Fact]
    public async Task CaptureAfterApproval_IsCompletedWithACaptureId_AndTheSameRequestIdAnswersTheSameCapture()
    {
        var order = await paypal.CreateOrderAsync(1000);
        await paypal.StandIn.ApproveAsync(order.Id);
        Assert.Equal(PayPalOrderStatus.Approved, (await paypal.Client.GetOrderAsync(order.Id, None))!.Status);

        var outcome = await paypal.Client.CaptureOrderAsync(order.Id, "capture-" + order.Id, None);
        var again = await paypal.Client.CaptureOrderAsync(order.Id, "capture-" + order.Id, None);
        var otherRequest = await paypal.Client.CaptureOrderAsync(order.Id, "capture-other-" + order.Id, None);

        var captured = Assert.IsType<PayPalCaptureOutcome.Captured>(outcome);
        Assert.Equal(PayPalOrderStatus.Completed, captured.OrderStatus);
        Assert.Equal(PayPalCaptureStatus.Completed, captured.Capture.Status);
        Assert.Matches("^[0-9A-Z]{17}$", captured.Capture.Id);
        Assert.Equal(new Yen(1000), captured.Capture.Amount);
        Assert.Equal((order.CustomId, order.Id), (captured.Capture.CustomId, captured.Capture.OrderId));
        Assert.Equal(captured.Capture.Id, Assert.IsType<PayPalCaptureOutcome.Captured>(again).Capture.Id);
        Assert.Equal(PayPalCaptureRefusal.OrderAlreadyCaptured, Assert.IsType<PayPalCaptureOutcome.Refused>(otherRequest).Reason);
        var read = await paypal.Client.GetOrderAsync(order.Id, None);
        Assert.Equal(captured.Capture.Id, Assert.Single(read!.Captures).Id);
    }

    [Fact]
    public async Task PendingAndDeclinedCaptures_AreTyped()
    {
        var pending = await paypal.CreateOrderAsync();
        await paypal.StandIn.ApproveAsync(pending.Id);
        paypal.StandIn.SetCaptureBehaviour(pending.Id, CaptureBehaviour.Pend);
        var declined = await paypal.CreateOrderAsync();
        await paypal.StandIn.ApproveAsync(declined.Id);
        paypal.StandIn.SetCaptureBehaviour(declined.Id, CaptureBehaviour.DeclineInstrument);

        var pendingOutcome = await paypal.Client.CaptureOrderAsync(pending.Id, "capture-" + pending.Id, None);
        var declinedOutcome = await paypal.Client.CaptureOrderAsync(declined.Id, "capture-" + declined.Id, None);

        var capture = Assert.IsType<PayPalCaptureOutcome.Captured>(pendingOutcome).Capture;
        Assert.Equal(PayPalCaptureStatus.Pending, capture.Status);
        Assert.Equal(PayPalCaptureRefusal.InstrumentDeclined, Assert.IsType<PayPalCaptureOutcome.Refused>(declinedOutcome).Reason);
        await paypal.StandIn.CompleteCaptureAsync(capture.Id);
        Assert.Equal(PayPalCaptureStatus.Completed, (await paypal.Client.GetCaptureAsync(capture.Id, None))!.Status);
    }

    [Fact]
    public async Task UnknownIds_AreNull_AndAnUnknownOrderCannotBeCaptured()
    {
        Assert.Null(await paypal.Client.GetOrderAsync("0ABCDEFGHIJKLMNOP", None));
        Assert.Null(await paypal.Client.GetCaptureAsync("0ABCDEFGHIJKLMNOP", None));
        Assert.Null(await paypal.Client.GetRefundAsync("0ABCDEFGHIJKLMNOP", None));
        var outcome = await paypal.Client.CaptureOrderAsync("0ABCDEFGHIJKLMNOP", "capture-unknown", None);
        Assert.Equal(PayPalCaptureRefusal.OrderNotFound, Assert.IsType<PayPalCaptureOutcome.Refused>(outcome).Reason);
    }

    [Fact]
    public async Task RefundLookup_NamesTheCaptureThroughItsUpLink()
    {
        var capture = await paypal.CapturedOrderAsync(1000);

        var refunded = await paypal.StandIn.RefundCaptureAsync(capture.Id, 500);
        var refund = await paypal.Client.GetRefundAsync(refunded.ResourceId, None);

        Assert.NotNull(refund);
        Assert.Equal((capture.Id, new Yen(500), PayPalRefundStatus.Completed), (refund.CaptureId, refund.Amount, refund.Status));
        Assert.NotEqual(capture.Id, refund.Id);
        Assert.Equal(PayPalCaptureStatus.PartiallyRefunded, (await paypal.Client.GetCaptureAsync(capture.Id, None))!.Status);
    }

    [Fact]
    public async Task Token_IsFetchedOnceForManyRequests_EvenConcurrent_AndAgainOnlyNearItsExpiry()
    {
        using var services = paypal.NewServices();
        var client = services.GetRequiredService<PayPalClient>();
        var before = paypal.StandIn.TokenRequests;

        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => client.GetOrderAsync("0ABCDEFGHIJKLMNOP", None)));
        for (var i = 0; i < 10; i++) await client.GetOrderAsync("0ABCDEFGHIJKLMNOP", None);
        Assert.Equal(before + 1, paypal.StandIn.TokenRequests);

        // 32,400 s tokens are renewed 5 minutes before they expire.
        paypal.Clock.Advance(TimeSpan.FromSeconds(32400) - TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1));
        await client.GetOrderAsync("0ABCDEFGHIJKLMNOP", None);
        Assert.Equal(before + 1, paypal.StandIn.TokenRequests);
        paypal.Clock.Advance(TimeSpan.FromSeconds(2));
        await client.GetOrderAsync("0ABCDEFGHIJKLMNOP", None);
        Assert.Equal(before + 2, paypal.StandIn.TokenRequests);
    }

    [Fact]
    public async Task ARevokedToken_IsReplacedOnce_AndTheCallSucceeds()
    {
        using var services = paypal.NewServices();
        var client = services.GetRequiredService<PayPalClient>();
        var order = await paypal.CreateOrderAsync(client: client);
        var before = paypal.StandIn.TokenRequests;

        paypal.StandIn.RevokeTokens();

        Assert.NotNull(await client.GetOrderAsync(order.Id, None));
        Assert.Equal(before + 1, paypal.StandIn.TokenRequests);
    }

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.TooManyRequests)]
    public async Task TransientFailures_AreRetriedWithTheSameRequestId_IntoOneOrder(HttpStatusCode status)
    {
        await paypal.Client.GetOrderAsync("0ABCDEFGHIJKLMNOP", None); // a token first, so only the create fails
        paypal.StandIn.FailNextRequests(2, status);

        var order = await paypal.CreateOrderAsync();

        var attempts = paypal.StandIn.Requests.Where(r => r.RequestId == "create-" + order.CustomId).Select(r => r.Status).ToList();
        Assert.Equal([(int)status, (int)status, 201], attempts);
    }

    [Fact]
    public async Task AClientError_IsNotRetried_AndIsAnApiException()
    {
        await paypal.Client.GetOrderAsync("0ABCDEFGHIJKLMNOP", None);
        paypal.StandIn.FailNextRequests(1, HttpStatusCode.BadRequest);

        var error = await Assert.ThrowsAsync<PayPalApiException>(() => paypal.CreateOrderAsync());

        Assert.Equal(("orders.create", 400, "INVALID_REQUEST"), (error.Operation, error.Error.Status, error.Error.Name));
        Assert.Single(paypal.StandIn.Requests, r => r.Status == 400 && r.Path == "/v2/checkout/orders");
    }

    [Fact]
    public async Task PersistentServerErrors_EndInAnApiExceptionAfterTheRetries()
    {
        await paypal.Client.GetOrderAsync("0ABCDEFGHIJKLMNOP", None);
        var before = paypal.StandIn.Requests.Count;
        paypal.StandIn.FailNextRequests(10, HttpStatusCode.BadGateway);

        var error = await Assert.ThrowsAsync<PayPalApiException>(() => paypal.Client.GetOrderAsync("0ABCDEFGHIJKLMNOP", None));

        Assert.Equal(502, error.Error.Status);
        Assert.Equal(1 + 3, paypal.StandIn.Requests.Count - before); // PayPal:RetryAttempts defaults to 3
        paypal.StandIn.FailNextRequests(0, HttpStatusCode.OK);
    }

    [Fact]
    public async Task AWrongSecret_IsAnApiExceptionOfTheTokenCall_ThatNamesNoSecret()
    {
        using var services = paypal.NewServices(s => s["PayPal:ClientSecret"] = "not-the-secret-xyz");

        var error = await Assert.ThrowsAsync<PayPalApiException>(() => paypal.CreateOrderAsync(client: services.GetRequiredService<PayPalClient>()));

        Assert.Equal(("oauth2.token", 401, "invalid_client"), (error.Operation, error.Error.Status, error.Error.Name));
        Assert.DoesNotContain("not-the-secret-xyz", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(paypal.Logs.Lines, l => l.Contains("not-the-secret-xyz", StringComparison.Ordinal) || l.Contains("stand-in-client-secret", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("PayPal:ClientSecret", "", "PayPal:ClientSecret")]
    [InlineData("PayPal:ClientSecret", "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/paypal-client-secret)", "PayPal:ClientSecret")]
    [InlineData("PayPal:ClientId", "", "PayPal:ClientId")]
    [InlineData("PayPal:BaseUrl", "http://api-m.paypal.com", "PayPal:BaseUrl")]
    public async Task MissingOrWrongSettings_FailTheCall_NamingTheSetting(string key, string value, string named)
    {
        using var services = paypal.NewServices(s => s[key] = value);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => paypal.CreateOrderAsync(client: services.GetRequiredService<PayPalClient>()));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestsAreCheckedBeforeTheyAreSent()
    {
        var tooLong = new string('x', 128);
        await Assert.ThrowsAsync<ArgumentException>(() => paypal.Client.CreateOrderAsync(new PayPalOrderRequest(tooLong, "inv", new Yen(1), "d"), "r", None));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => paypal.Client.CreateOrderAsync(new PayPalOrderRequest("p", "inv", Yen.Zero, "d"), "r", None));
        await Assert.ThrowsAsync<ArgumentException>(() => paypal.Client.CreateOrderAsync(new PayPalOrderRequest("p", "inv", new Yen(1), "d"), new string('r', 109), None));
        await Assert.ThrowsAsync<ArgumentException>(() => paypal.Client.GetOrderAsync("../oauth2/token", None));
    }
}
