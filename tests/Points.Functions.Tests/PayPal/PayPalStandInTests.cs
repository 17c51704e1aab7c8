using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Points.Functions.PayPal;

namespace Points.Functions.Tests.PayPal;

/// <summary>
/// The stand-in as a person or another client sees it over HTTP: PayPal's token and error shapes, the approve page,
/// the decimal refusal for JPY, and the hooks a person running ./points run can curl.
/// </summary>
public sealed class PayPalStandInTests(PayPalFixture paypal) : IClassFixture<PayPalFixture>
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task TheApprovePage_ShowsAButton_AndItsPostApprovesAndSendsThePayerBack()
    {
        var order = await paypal.CreateOrderAsync(1500, new PayPalExperience(new Uri("https://shop.example/return?x=1"), new Uri("https://shop.example/cancel")));
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });

        var page = await browser.GetStringAsync(order.PayerActionUrl);
        using var approve = await browser.PostAsync(order.PayerActionUrl, null);

        Assert.Contains("¥1,500", page, StringComparison.Ordinal);
        Assert.Contains("<button type=\"submit\">Approve</button>", page, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, approve.StatusCode);
        Assert.StartsWith($"https://shop.example/return?x=1&token={order.Id}&PayerID=", approve.Headers.Location!.AbsoluteUri, StringComparison.Ordinal);
        Assert.Equal(PayPalOrderStatus.Approved, (await paypal.Client.GetOrderAsync(order.Id, None))!.Status);
        await paypal.StandIn.DrainAsync();
        var approved = Assert.Single(paypal.StandIn.Events, e => e.ResourceId == order.Id);
        Assert.Equal(PayPalEventTypes.CheckoutOrderApproved, approved.EventType);
        Assert.Contains(paypal.StandIn.Deliveries, d => d.EventId == approved.Id && d.Status == 200);
    }

    [Fact]
    public async Task TheTokenEndpoint_ChecksTheClientCredentials_InPayPalsShapes()
    {
        using var http = new HttpClient { BaseAddress = paypal.StandIn.BaseUrl };

        var good = await TokenAsync(http, paypal.StandIn.ClientId, paypal.StandIn.ClientSecret);
        var bad = await TokenAsync(http, paypal.StandIn.ClientId, "wrong");

        Assert.Equal(HttpStatusCode.OK, good.Status);
        Assert.Equal("Bearer", good.Body.GetProperty("token_type").GetString());
        Assert.Equal(32400, good.Body.GetProperty("expires_in").GetInt32());
        Assert.Equal((HttpStatusCode.Unauthorized, "invalid_client"), (bad.Status, bad.Body.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task OrdersWithoutAToken_AreRefusedWithAuthenticationFailure()
    {
        using var http = new HttpClient { BaseAddress = paypal.StandIn.BaseUrl };

        using var response = await http.GetAsync("v2/checkout/orders/0ABCDEFGHIJKLMNOP");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("AUTHENTICATION_FAILURE", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AJpyAmountWithDecimals_IsRefusedAsPayPalDoes()
    {
        using var http = new HttpClient { BaseAddress = paypal.StandIn.BaseUrl };
        var token = (await TokenAsync(http, paypal.StandIn.ClientId, paypal.StandIn.ClientSecret)).Body.GetProperty("access_token").GetString();
        using var request = new HttpRequestMessage(HttpMethod.Post, "v2/checkout/orders")
        {
            Content = new StringContent("""{"intent":"CAPTURE","purchase_units":[{"amount":{"currency_code":"JPY","value":"1000.00"}}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);

        using var response = await http.SendAsync(request);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("DECIMALS_NOT_SUPPORTED", body.RootElement.GetProperty("details")[0].GetProperty("issue").GetString());
    }

    [Fact]
    public async Task APersonCanRefundHalfAndResendItsEventOverHttp()
    {
        var capture = await paypal.CapturedOrderAsync(1000);
        using var http = new HttpClient { BaseAddress = paypal.StandIn.BaseUrl };

        using var refund = await http.PostAsync($"stand-in/captures/{capture.Id}/refund?yen=500", null);
        using var refundBody = JsonDocument.Parse(await refund.Content.ReadAsStringAsync());
        var eventId = refundBody.RootElement.GetProperty("event_id").GetString();
        using var resend = await http.PostAsync($"stand-in/events/{eventId}/resend?times=3", null);
        using var tooMuch = await http.PostAsync($"stand-in/captures/{capture.Id}/refund?yen=501", null);

        Assert.Equal(HttpStatusCode.OK, refund.StatusCode);
        Assert.Equal("PAYMENT.CAPTURE.REFUNDED", refundBody.RootElement.GetProperty("event_type").GetString());
        Assert.Equal("""{"statuses":[200,200,200]}""", await resend.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Conflict, tooMuch.StatusCode);
        Assert.Equal(("PARTIALLY_REFUNDED", 500L), (paypal.StandIn.Order(capture.OrderId!).CaptureStatus, paypal.StandIn.Order(capture.OrderId!).RefundedYen));
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> TokenAsync(HttpClient http, string id, string secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/oauth2/token")
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials")]),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{id}:{secret}")));
        using var response = await http.SendAsync(request);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, body.RootElement.Clone());
    }
}
