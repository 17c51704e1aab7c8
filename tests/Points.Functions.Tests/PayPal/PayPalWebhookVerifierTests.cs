using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Points.Domain.Primitives;
using Points.Functions.PayPal;
using Points.Tools.PayPalStandIn;

namespace Points.Functions.Tests.PayPal;

/// <summary>
/// Offline verification (facts §3.9) of the stand-in's real signed webhooks, received over HTTP: a genuine one
/// verifies, and each tampering fails with its own outcome.
/// </summary>
public sealed class PayPalWebhookVerifierTests(HeldWebhooksPayPalFixture paypal) : IClassFixture<HeldWebhooksPayPalFixture>
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public void Crc32_IsPayPalsIeeeCrcAsAnUnsignedDecimal()
    {
        Assert.Equal("3421780262", PayPalWebhookVerifier.Crc32Decimal("123456789"u8)); // the CRC-32 check value 0xCBF43926
        Assert.Equal("0", PayPalWebhookVerifier.Crc32Decimal([]));
    }

    [Fact]
    public async Task AGenuineWebhook_Verifies_AndReadsAsItsEvent()
    {
        var (approved, received) = await ApprovedOrderWebhookAsync();

        Assert.Equal(PayPalWebhookVerification.Verified, await paypal.Verifier.VerifyAsync(received.Headers, received.Body, None));
        var parsed = PayPalWebhookEvent.Parse(received.Body);
        Assert.Equal((approved.Id, PayPalEventTypes.CheckoutOrderApproved, "checkout-order"), (parsed.Id, parsed.EventType, parsed.ResourceType));
        Assert.Equal((approved.ResourceId, PayPalOrderStatus.Approved), (parsed.Order!.Id, parsed.Order.Status));
    }

    [Fact]
    public async Task CaptureAndRefundEvents_Verify_AndNameTheirOrderAndCapture()
    {
        var capture = await paypal.CapturedOrderAsync(1000);
        var completed = paypal.StandIn.Events.Single(e => e.EventType == PayPalEventTypes.CaptureCompleted && e.ResourceId == capture.Id);
        var refunded = await paypal.StandIn.RefundCaptureAsync(capture.Id, 400);
        var reversed = await paypal.StandIn.ReverseCaptureAsync(capture.Id);

        var parsed = new List<PayPalWebhookEvent>();
        foreach (var made in new[] { completed, refunded, reversed })
        {
            var received = await ReceiveAsync(made);
            Assert.Equal(PayPalWebhookVerification.Verified, await paypal.Verifier.VerifyAsync(received.Headers, received.Body, None));
            parsed.Add(PayPalWebhookEvent.Parse(received.Body));
        }

        Assert.Equal((capture.Id, capture.OrderId, PayPalCaptureStatus.Completed), (parsed[0].Capture!.Id, parsed[0].Capture!.OrderId, parsed[0].Capture!.Status));
        Assert.Equal((capture.Id, new Yen(400)), (parsed[1].Refund!.CaptureId, parsed[1].Refund!.Amount));
        Assert.Equal((PayPalEventTypes.CaptureReversed, capture.Id, new Yen(600)), (parsed[2].EventType, parsed[2].Refund!.CaptureId, parsed[2].Refund!.Amount));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(40)]
    [InlineData(-1)]
    public async Task OneChangedByte_IsASignatureMismatch(int position)
    {
        var (_, received) = await ApprovedOrderWebhookAsync();
        var body = received.Body.ToArray();
        var at = position >= 0 ? position : body.Length + position;
        body[at] ^= 0x01;

        Assert.Equal(PayPalWebhookVerification.SignatureMismatch, await paypal.Verifier.VerifyAsync(received.Headers, body, None));
    }

    [Fact]
    public async Task AnotherWebhooksSignature_IsASignatureMismatch()
    {
        var (_, received) = await ApprovedOrderWebhookAsync(new WebhookSigning { WebhookId = "OTHERWEBHOOK0000001" });

        Assert.Equal(PayPalWebhookVerification.SignatureMismatch, await paypal.Verifier.VerifyAsync(received.Headers, received.Body, None));
    }

    [Fact]
    public async Task AVerifierWithAnotherWebhookId_RefusesAGenuineWebhook()
    {
        var (_, received) = await ApprovedOrderWebhookAsync();
        using var services = paypal.NewServices(s => s["PayPal:WebhookId"] = "OTHERWEBHOOK0000001");

        var result = await services.GetRequiredService<PayPalWebhookVerifier>().VerifyAsync(received.Headers, received.Body, None);

        Assert.Equal(PayPalWebhookVerification.SignatureMismatch, result);
    }

    [Fact]
    public async Task ACertificateFromAHostNotAllowListed_IsRefusedBeforeAnyDownload()
    {
        var (_, received) = await ApprovedOrderWebhookAsync(new WebhookSigning { CertificateHost = "localhost" });
        var downloads = paypal.StandIn.CertificateDownloads;

        Assert.Equal(PayPalWebhookVerification.CertificateUrlNotAllowed, await paypal.Verifier.VerifyAsync(received.Headers, received.Body, None));
        Assert.Equal(downloads, paypal.StandIn.CertificateDownloads);
    }

    [Theory]
    [InlineData("http://127.0.0.1:{port}/v1/notifications/certs/{name}")]
    [InlineData("https://127.0.0.1:{port}/v1/notifications/other/{name}")]
    [InlineData("https://127.0.0.1:{port}/v1/notifications/certs/{name}?x=1")]
    [InlineData("https://user@127.0.0.1:{port}/v1/notifications/certs/{name}")]
    [InlineData("https://api.paypal.com.evil.example/v1/notifications/certs/{name}")]
    [InlineData("https://api.paypal.com/v1/notifications/certs/{name}")]
    [InlineData("/v1/notifications/certs/{name}")]
    public async Task CertificateUrlsOffTheAllowList_AreRefused(string template)
    {
        var (_, received) = await ApprovedOrderWebhookAsync();
        var genuine = new Uri(received.Headers[PayPalWebhookHeaders.CertUrl].ToString());
        received.Headers[PayPalWebhookHeaders.CertUrl] = template
            .Replace("{port}", genuine.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{name}", genuine.Segments[^1], StringComparison.Ordinal);

        // api.paypal.com is PayPal's, but an app configured for the stand-in allows 127.0.0.1 only.
        Assert.Equal(PayPalWebhookVerification.CertificateUrlNotAllowed, await paypal.Verifier.VerifyAsync(received.Headers, received.Body, None));
    }

    [Fact]
    public async Task ACertificateOfAnotherRoot_IsUntrusted()
    {
        var (_, received) = await ApprovedOrderWebhookAsync(new WebhookSigning { Certificate = SigningCertificate.Untrusted });

        Assert.Equal(PayPalWebhookVerification.CertificateUntrusted, await paypal.Verifier.VerifyAsync(received.Headers, received.Body, None));
    }

    [Fact]
    public async Task AnExpiredCertificate_IsRefused()
    {
        var (_, received) = await ApprovedOrderWebhookAsync(new WebhookSigning { Certificate = SigningCertificate.Expired });

        Assert.Equal(PayPalWebhookVerification.CertificateExpired, await paypal.Verifier.VerifyAsync(received.Headers, received.Body, None));
    }

    [Fact]
    public async Task WithoutTheStandInRootConfigured_TheStandInIsNeverTrusted()
    {
        var (_, received) = await ApprovedOrderWebhookAsync();
        using var services = paypal.NewServices(s => s.Remove("PayPal:StandInRootCertificate"));

        var result = await services.GetRequiredService<PayPalWebhookVerifier>().VerifyAsync(received.Headers, received.Body, None);

        // Its https listener is not trusted either, so the chain is not even downloaded.
        Assert.Equal(PayPalWebhookVerification.CertificateUnavailable, result);
    }

    [Theory]
    [InlineData(-6 * 60, PayPalWebhookVerification.TransmissionTimeOutsideWindow)]
    [InlineData(+6 * 60, PayPalWebhookVerification.TransmissionTimeOutsideWindow)]
    [InlineData(-4 * 60, PayPalWebhookVerification.Verified)]
    [InlineData(+4 * 60, PayPalWebhookVerification.Verified)]
    public async Task TheTransmissionTime_MustBeWithinFiveMinutesOfOurClock(int offsetSeconds, PayPalWebhookVerification expected)
    {
        var (_, received) = await ApprovedOrderWebhookAsync(new WebhookSigning { TransmissionTimeOffset = TimeSpan.FromSeconds(offsetSeconds) });

        Assert.Equal(expected, await paypal.Verifier.VerifyAsync(received.Headers, received.Body, None));
    }

    [Fact]
    public async Task AGenuineWebhookReceivedLate_IsStale()
    {
        var (_, received) = await ApprovedOrderWebhookAsync();
        paypal.Clock.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));

        Assert.Equal(PayPalWebhookVerification.TransmissionTimeOutsideWindow, await paypal.Verifier.VerifyAsync(received.Headers, received.Body, None));
    }

    [Theory]
    [InlineData(PayPalWebhookHeaders.TransmissionId)]
    [InlineData(PayPalWebhookHeaders.TransmissionTime)]
    [InlineData(PayPalWebhookHeaders.TransmissionSig)]
    [InlineData(PayPalWebhookHeaders.CertUrl)]
    [InlineData(PayPalWebhookHeaders.AuthAlgo)]
    public async Task AMissingEmptyOrRepeatedHeader_IsRefused(string header)
    {
        var (_, received) = await ApprovedOrderWebhookAsync();
        var value = received.Headers[header].ToString();

        foreach (var spoiled in new Microsoft.Extensions.Primitives.StringValues?[] { null, "", new([value, value]) })
        {
            var headers = new HeaderDictionary(received.Headers.ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase));
            if (spoiled is { } replacement) headers[header] = replacement; else headers.Remove(header);
            Assert.Equal(PayPalWebhookVerification.HeaderMissing, await paypal.Verifier.VerifyAsync(headers, received.Body, None));
        }
    }

    [Theory]
    [InlineData("SHA1withRSA")]
    [InlineData("SHA512withRSA")]
    public async Task AnotherAlgorithm_IsRefused(string algorithm)
    {
        var (_, received) = await ApprovedOrderWebhookAsync();
        received.Headers[PayPalWebhookHeaders.AuthAlgo] = algorithm;

        Assert.Equal(PayPalWebhookVerification.AlgorithmNotSupported, await paypal.Verifier.VerifyAsync(received.Headers, received.Body, None));
    }

    [Fact]
    public async Task AForgedSignature_IsASignatureMismatch()
    {
        var (_, received) = await ApprovedOrderWebhookAsync();
        var other = (await ApprovedOrderWebhookAsync()).Received;
        received.Headers[PayPalWebhookHeaders.TransmissionSig] = other.Headers[PayPalWebhookHeaders.TransmissionSig];
        var garbage = received with { Headers = new HeaderDictionary(received.Headers.ToDictionary(h => h.Key, h => h.Value)) };
        garbage.Headers[PayPalWebhookHeaders.TransmissionSig] = "not base64 at all!";

        Assert.Equal(PayPalWebhookVerification.SignatureMismatch, await paypal.Verifier.VerifyAsync(received.Headers, received.Body, None));
        Assert.Equal(PayPalWebhookVerification.SignatureMismatch, await paypal.Verifier.VerifyAsync(garbage.Headers, garbage.Body, None));
    }

    [Fact]
    public async Task TheCertificate_IsDownloadedOncePerUrl_AndResentEventsVerifyEachTime()
    {
        using var services = paypal.NewServices();
        var verifier = services.GetRequiredService<PayPalWebhookVerifier>();
        var (approved, _) = await ApprovedOrderWebhookAsync();
        var downloads = paypal.StandIn.CertificateDownloads;

        var deliveries = await paypal.StandIn.ResendAsync(approved.Id, times: 25);

        Assert.All(deliveries, d => Assert.Equal(200, d.Status));
        foreach (var delivery in deliveries)
        {
            var received = paypal.Received[delivery.TransmissionId];
            Assert.Equal(PayPalWebhookVerification.Verified, await verifier.VerifyAsync(received.Headers, received.Body, None));
        }
        Assert.Equal(downloads + 1, paypal.StandIn.CertificateDownloads);
        Assert.Single(deliveries.Select(d => Encoding.UTF8.GetString(paypal.Received[d.TransmissionId].Body)).Distinct());
    }

    [Fact]
    public async Task HeldEvents_CanBeSentOutOfOrder()
    {
        var capture = await paypal.CapturedOrderAsync(1000);
        var orderId = capture.OrderId!;
        var held = paypal.StandIn.HeldEvents.Where(e => e.ResourceId == orderId || e.ResourceId == capture.Id).ToList();
        Assert.Equal([PayPalEventTypes.CheckoutOrderApproved, PayPalEventTypes.CaptureCompleted], held.Select(e => e.EventType));

        var deliveries = await paypal.StandIn.ReleaseHeldAsync(events => events.Reverse());

        var sent = deliveries.Where(d => held.Any(e => e.Id == d.EventId)).Select(d => d.EventType);
        Assert.Equal([PayPalEventTypes.CaptureCompleted, PayPalEventTypes.CheckoutOrderApproved], sent);
        Assert.Empty(paypal.StandIn.HeldEvents);
    }

    /// <summary>A new order approved at the stand-in; its CHECKOUT.ORDER.APPROVED sent to the receiver, signed as given.</summary>
    private async Task<(StandInEvent Event, ReceivedWebhook Received)> ApprovedOrderWebhookAsync(WebhookSigning? signing = null)
    {
        var order = await paypal.CreateOrderAsync();
        var approved = (await paypal.StandIn.ApproveAsync(order.Id))!;
        return (approved, await ReceiveAsync(approved, signing));
    }

    private async Task<ReceivedWebhook> ReceiveAsync(StandInEvent made, WebhookSigning? signing = null)
    {
        var delivery = await paypal.StandIn.DeliverAsync(made, signing);
        Assert.Equal(200, delivery.Status);
        return paypal.Received[delivery.TransmissionId];
    }
}
