using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Hashing;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Points.Tools.PayPalStandIn;

/// <summary>
/// A local stand-in for PayPal (its sandbox is unreachable here): Kestrel on 127.0.0.1 speaking the documented shapes
/// of <c>../shared/notes/functions-and-paypal-facts.md</c> §3 — the OAuth2 token endpoint (§3.2), Orders v2 create, get
/// and capture with <c>PayPal-Request-Id</c> idempotency (§3.3–3.5), capture and refund lookups (§3.4), an approve page
/// at the approve link, and signed webhooks (§3.6–3.9) from a test chain (root → intermediate → leaf) whose leaf is
/// served over https at <c>PAYPAL-CERT-URL</c>. Test hooks approve orders, complete, deny, refund and reverse captures,
/// resend events and hold them to send out of order. Start with <see cref="StartAsync"/>; dispose to stop.
/// </summary>
/// <remarks>
/// An app trusts it only when told to: <see cref="AppSettings"/> points <c>PayPal:BaseUrl</c> here, allows only
/// 127.0.0.1 as certificate host and hands over <see cref="RootCertificatePem"/> as <c>PayPal:StandInRootCertificate</c>.
/// </remarks>
public sealed class PayPalStandIn : IAsyncDisposable
{
    /// <summary>Largest request body read.</summary>
    public const int RequestBytesMax = 64 * 1024;

    /// <summary>At most this many resends in one call (PayPal itself retries up to 25 times, facts §3.10).</summary>
    public const int ResendsMax = 100;

    private const string JsonType = "application/json";
    private readonly WebApplication _app;
    private readonly StandInCertificates _certificates;
    private readonly PayPalStandInOptions _options;
    private readonly TimeProvider _time;
    private readonly HttpClient _webhookClient = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly Lock _gate = new();
    private readonly Dictionary<string, StandInOrder> _orders = new(StringComparer.Ordinal);
    private readonly Dictionary<string, StandInCapture> _captures = new(StringComparer.Ordinal);
    private readonly Dictionary<string, StandInRefund> _refunds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _createRequests = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _captureRequests = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _tokens = new(StringComparer.Ordinal);
    private readonly List<StandInEvent> _events = [];
    private readonly List<StandInEvent> _held = [];
    private readonly ConcurrentQueue<WebhookDelivery> _deliveries = new();
    private readonly ConcurrentQueue<StandInRequest> _requests = new();
    private readonly ConcurrentDictionary<Task, byte> _sending = new();
    private (int Count, int Status) _failures;
    private int _tokenRequests;
    private int _certificateDownloads;

    private PayPalStandIn(WebApplication app, StandInCertificates certificates, PayPalStandInOptions options)
    {
        _app = app;
        _certificates = certificates;
        _options = options;
        _time = options.TimeProvider;
        WebhookUrl = options.WebhookUrl;
        HoldWebhooks = options.HoldWebhooks;
    }

    /// <summary>The REST API and approve pages, e.g. http://127.0.0.1:5123/ (PayPal: https://api-m.sandbox.paypal.com).</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>The https listener that serves webhook certificates, e.g. https://127.0.0.1:5124/.</summary>
    public Uri CertificateBaseUrl { get; private set; } = null!;

    public string ClientId => _options.ClientId;
    public string ClientSecret => _options.ClientSecret;
    public string WebhookId => _options.WebhookId;

    /// <summary>The test root (PEM): the one extra trust anchor of an app configured for the stand-in.</summary>
    public string RootCertificatePem => _certificates.RootPem;

    /// <summary>Where events go; null keeps them held.</summary>
    public Uri? WebhookUrl { get; set; }

    /// <summary>While true, new events are kept (<see cref="HeldEvents"/>) instead of sent.</summary>
    public bool HoldWebhooks { get; set; }

    /// <summary>
    /// The app's settings for this stand-in (configuration keys): <c>PayPal:BaseUrl</c>, <c>PayPal:ClientId</c>,
    /// <c>PayPal:ClientSecret</c>, <c>PayPal:WebhookId</c>, <c>PayPal:CertificateHosts:0</c> = 127.0.0.1 (the only
    /// host allowed then) and <c>PayPal:StandInRootCertificate</c>.
    /// </summary>
    public IReadOnlyDictionary<string, string?> AppSettings => new Dictionary<string, string?>
    {
        ["PayPal:BaseUrl"] = BaseUrl.AbsoluteUri.TrimEnd('/'),
        ["PayPal:ClientId"] = ClientId,
        ["PayPal:ClientSecret"] = ClientSecret,
        ["PayPal:WebhookId"] = WebhookId,
        ["PayPal:CertificateHosts:0"] = "127.0.0.1",
        ["PayPal:StandInRootCertificate"] = RootCertificatePem,
    };

    /// <summary>Token requests answered (successful or not).</summary>
    public int TokenRequests => Volatile.Read(ref _tokenRequests);

    /// <summary>Certificate chains served (at PAYPAL-CERT-URL).</summary>
    public int CertificateDownloads => Volatile.Read(ref _certificateDownloads);

    /// <summary>Every REST request answered, in order.</summary>
    public IReadOnlyList<StandInRequest> Requests => [.. _requests];

    /// <summary>Every event made, in order.</summary>
    public IReadOnlyList<StandInEvent> Events { get { lock (_gate) return [.. _events]; } }

    /// <summary>Events made while held (or without a webhook URL) and not released yet.</summary>
    public IReadOnlyList<StandInEvent> HeldEvents { get { lock (_gate) return [.. _held]; } }

    /// <summary>Every delivery, in the order they finished.</summary>
    public IReadOnlyList<WebhookDelivery> Deliveries => [.. _deliveries];

    /// <summary>Starts Kestrel on 127.0.0.1 (two listeners: the API over http, certificates over https) and returns once it listens.</summary>
    public static async Task<PayPalStandIn> StartAsync(PayPalStandInOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var certificates = new StandInCertificates(options.TimeProvider.GetUtcNow());
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(PayPalStandIn).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        if (options.ShowOutput) builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, options.Port);
            kestrel.Listen(IPAddress.Loopback, options.CertificatePort, listen => listen.UseHttps(certificates.TlsCertificate));
            kestrel.Limits.MaxRequestBodySize = RequestBytesMax;
        });
        var app = builder.Build();
        var standIn = new PayPalStandIn(app, certificates, options);
        standIn.Map(app);
        await app.StartAsync(cancellationToken);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        standIn.BaseUrl = new Uri(addresses.Single(a => a.StartsWith("http://", StringComparison.Ordinal)) + "/");
        standIn.CertificateBaseUrl = new Uri(addresses.Single(a => a.StartsWith("https://", StringComparison.Ordinal)) + "/");
        return standIn;
    }

    public async ValueTask DisposeAsync()
    {
        await DrainAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _webhookClient.Dispose();
        _certificates.Dispose();
    }

    // ---- Test hooks -------------------------------------------------------------------------------------------------

    /// <summary>What the stand-in holds for an order.</summary>
    public StandInOrderView Order(string orderId)
    {
        lock (_gate)
        {
            var order = _orders[orderId];
            return new StandInOrderView(order.Id, order.Status, "JPY", order.Value, order.CustomId, order.InvoiceId,
                order.Capture?.Id, order.Capture?.Status, order.Capture?.RefundedYen ?? 0);
        }
    }

    /// <summary>How the next capture of this order is answered (default <see cref="CaptureBehaviour.Complete"/>).</summary>
    public void SetCaptureBehaviour(string orderId, CaptureBehaviour behaviour)
    {
        lock (_gate) _orders[orderId].CaptureBehaviour = behaviour;
    }

    /// <summary>The payer approves (as the approve page's button does): APPROVED, then CHECKOUT.ORDER.APPROVED. Approving again does nothing (null).</summary>
    public async Task<StandInEvent?> ApproveAsync(string orderId)
    {
        var approved = Approve(orderId) ?? throw new InvalidOperationException($"Order {orderId} cannot be approved: it is {Order(orderId).Status}.");
        return approved.Event is null ? null : await EmitAsync(approved.Event);
    }

    /// <summary>A PENDING capture completes: COMPLETED, then PAYMENT.CAPTURE.COMPLETED.</summary>
    public Task<StandInEvent> CompleteCaptureAsync(string captureId) =>
        SettlePendingAsync(captureId, "COMPLETED", "PAYMENT.CAPTURE.COMPLETED", "Payment completed for");

    /// <summary>A PENDING capture is denied: DECLINED, then PAYMENT.CAPTURE.DENIED.</summary>
    public Task<StandInEvent> DenyCaptureAsync(string captureId) =>
        SettlePendingAsync(captureId, "DECLINED", "PAYMENT.CAPTURE.DENIED", "A payment capture was denied for");

    /// <summary>
    /// The merchant refunds <paramref name="yen"/> (default: all that is left): a refund resource, the capture
    /// PARTIALLY_REFUNDED or REFUNDED, then PAYMENT.CAPTURE.REFUNDED carrying the refund (its up link → the capture).
    /// </summary>
    public Task<StandInEvent> RefundCaptureAsync(string captureId, long? yen = null) =>
        EmitAsync(RefundOrReverse(captureId, yen, reversal: false));

    /// <summary>
    /// PayPal reverses the capture (a chargeback): what is left comes back, then PAYMENT.CAPTURE.REVERSED. Its resource is
    /// refund-shaped, as in PayPal's published sample (facts §3.6 leaves REVERSED unconfirmed); the capture then shows
    /// REFUNDED (PayPal's capture statuses have no REVERSED).
    /// </summary>
    public Task<StandInEvent> ReverseCaptureAsync(string captureId) =>
        EmitAsync(RefundOrReverse(captureId, null, reversal: true));

    /// <summary>Sends an event again, <paramref name="times"/> times in a row (PayPal retries up to 25 times over three days, facts §3.10).</summary>
    public async Task<IReadOnlyList<WebhookDelivery>> ResendAsync(string eventId, int times = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(times);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(times, ResendsMax);
        StandInEvent found;
        lock (_gate) found = _events.Single(e => e.Id == eventId);
        var deliveries = new List<WebhookDelivery>();
        for (var i = 0; i < times; i++) deliveries.Add(await DeliverAsync(found));
        return deliveries;
    }

    /// <summary>Sends the held events — in the order given (e.g. reversed), or as they were made — and stops holding them.</summary>
    public async Task<IReadOnlyList<WebhookDelivery>> ReleaseHeldAsync(Func<IReadOnlyList<StandInEvent>, IEnumerable<StandInEvent>>? order = null)
    {
        List<StandInEvent> held;
        lock (_gate)
        {
            held = [.. _held];
            _held.Clear();
        }
        var deliveries = new List<WebhookDelivery>();
        foreach (var item in order?.Invoke(held) ?? held) deliveries.Add(await DeliverAsync(item));
        return deliveries;
    }

    /// <summary>POSTs one event to <see cref="WebhookUrl"/> with fresh transmission headers, signed as <paramref name="signing"/> says.</summary>
    public async Task<WebhookDelivery> DeliverAsync(StandInEvent webhookEvent, WebhookSigning? signing = null, CancellationToken cancellationToken = default)
    {
        var url = WebhookUrl ?? throw new InvalidOperationException("The stand-in has no WebhookUrl to send events to.");
        var signed = Sign(webhookEvent, signing);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(webhookEvent.Body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(JsonType);
        foreach (var (name, value) in signed.Headers) request.Headers.TryAddWithoutValidation(name, value);
        request.Headers.UserAgent.ParseAdd("PayPal-Stand-in/1.0");
        WebhookDelivery delivery;
        try
        {
            using var response = await _webhookClient.SendAsync(request, cancellationToken);
            delivery = new WebhookDelivery(webhookEvent.Id, webhookEvent.EventType, signed.Headers["PAYPAL-TRANSMISSION-ID"], (int)response.StatusCode, null);
        }
        catch (HttpRequestException e)
        {
            delivery = new WebhookDelivery(webhookEvent.Id, webhookEvent.EventType, signed.Headers["PAYPAL-TRANSMISSION-ID"], null, e.Message);
        }
        _deliveries.Enqueue(delivery);
        return delivery;
    }

    /// <summary>
    /// The transmission headers PayPal would send with the event now (facts §3.7, §3.9): a new transmission id, the
    /// clock's time, <c>SHA256withRSA</c> over <c>id|time|webhookId|crc32(body)</c>, and the certificate URL on the https listener.
    /// </summary>
    public SignedWebhook Sign(StandInEvent webhookEvent, WebhookSigning? signing = null)
    {
        ArgumentNullException.ThrowIfNull(webhookEvent);
        signing ??= WebhookSigning.Genuine;
        var chain = _certificates.For(signing.Certificate);
        var transmissionId = Guid.NewGuid().ToString();
        var transmissionTime = StandInJson.Time(_time.GetUtcNow() + signing.TransmissionTimeOffset);
        var crc = Crc32.HashToUInt32(webhookEvent.Body).ToString(CultureInfo.InvariantCulture);
        var message = Encoding.UTF8.GetBytes($"{transmissionId}|{transmissionTime}|{signing.WebhookId ?? WebhookId}|{crc}");
        var signature = chain.Key.SignData(message, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var certUrl = $"https://{signing.CertificateHost}:{CertificateBaseUrl.Port.ToString(CultureInfo.InvariantCulture)}/v1/notifications/certs/{chain.Name}";
        return new SignedWebhook(webhookEvent, new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["PAYPAL-TRANSMISSION-ID"] = transmissionId,
            ["PAYPAL-TRANSMISSION-TIME"] = transmissionTime,
            ["PAYPAL-TRANSMISSION-SIG"] = Convert.ToBase64String(signature),
            ["PAYPAL-CERT-URL"] = certUrl,
            ["PAYPAL-AUTH-ALGO"] = "SHA256withRSA",
        });
    }

    /// <summary>The next <paramref name="count"/> REST requests (token included) fail with <paramref name="status"/> before being looked at.</summary>
    public void FailNextRequests(int count, HttpStatusCode status)
    {
        lock (_gate) _failures = (count, (int)status);
    }

    /// <summary>Every token issued so far stops working (PayPal answers 401 until a new one is fetched).</summary>
    public void RevokeTokens()
    {
        lock (_gate) _tokens.Clear();
    }

    /// <summary>Waits until events sent in the background (after REST calls and approve-page clicks) are delivered.</summary>
    public async Task DrainAsync()
    {
        while (!_sending.IsEmpty) await Task.WhenAll(_sending.Keys);
    }

    // ---- HTTP -------------------------------------------------------------------------------------------------------

    private void Map(WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            var path = context.Request.Path.Value ?? "";
            var isApi = path.StartsWith("/v1/oauth2/", StringComparison.Ordinal) || path.StartsWith("/v2/", StringComparison.Ordinal);
            if (isApi && TakeFailure() is { } status)
            {
                await Json(context, status, Failure(status));
            }
            else
            {
                await next(context);
            }
            if (isApi)
            {
                _requests.Enqueue(new StandInRequest(context.Request.Method, path, context.Request.Headers["PayPal-Request-Id"].FirstOrDefault(), context.Response.StatusCode));
            }
        });

        app.MapPost("/v1/oauth2/token", Token);
        app.MapPost("/v2/checkout/orders", context => Authorized(context, CreateOrder));
        app.MapGet("/v2/checkout/orders/{id}", context => Authorized(context, GetOrder));
        app.MapPost("/v2/checkout/orders/{id}/capture", context => Authorized(context, CaptureOrder));
        app.MapGet("/v2/payments/captures/{id}", context => Authorized(context, GetCapture));
        app.MapGet("/v2/payments/refunds/{id}", context => Authorized(context, GetRefund));
        app.MapGet("/checkoutnow", ApprovePage);
        app.MapPost("/checkoutnow", ApproveFromPage);
        app.MapGet("/v1/notifications/certs/{name}", Certificate);

        // Hooks for a person running ./points run (the tests call the methods directly).
        app.MapGet("/stand-in", Overview);
        app.MapPost("/stand-in/captures/{id}/{action}", CaptureAction);
        app.MapPost("/stand-in/events/{id}/resend", ResendFromHttp);
    }

    private async Task Token(HttpContext context)
    {
        Interlocked.Increment(ref _tokenRequests);
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{ClientId}:{ClientSecret}"));
        if (!string.Equals(context.Request.Headers.Authorization.ToString(), expected, StringComparison.Ordinal))
        {
            await Json(context, 401, new JsonObject { ["error"] = "invalid_client", ["error_description"] = "Client Authentication failed" });
            return;
        }
        if (!context.Request.HasFormContentType || (await context.Request.ReadFormAsync(context.RequestAborted))["grant_type"] != "client_credentials")
        {
            await Json(context, 400, new JsonObject { ["error"] = "unsupported_grant_type", ["error_description"] = "Grant Type is NULL" });
            return;
        }
        var token = "A21AA" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)).Replace('+', '-').Replace('/', '_').TrimEnd('=');
        var now = _time.GetUtcNow();
        lock (_gate) _tokens[token] = now + _options.TokenLifetime;
        await Json(context, 200, new JsonObject
        {
            ["scope"] = "https://uri.paypal.com/services/payments/payment https://uri.paypal.com/services/payments/refund",
            ["access_token"] = token,
            ["token_type"] = "Bearer",
            ["app_id"] = "APP-STANDIN0000000000",
            ["expires_in"] = (long)_options.TokenLifetime.TotalSeconds,
            ["nonce"] = StandInJson.Time(now) + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
        });
    }

    private async Task Authorized(HttpContext context, Func<HttpContext, Task> handler)
    {
        var header = context.Request.Headers.Authorization.ToString();
        bool valid;
        lock (_gate)
        {
            valid = header.StartsWith("Bearer ", StringComparison.Ordinal)
                && _tokens.TryGetValue(header["Bearer ".Length..], out var expires) && _time.GetUtcNow() < expires;
        }
        if (!valid)
        {
            await Json(context, 401, new JsonObject
            {
                ["name"] = "AUTHENTICATION_FAILURE",
                ["message"] = "Authentication failed due to invalid authentication credentials or a missing Authorization header.",
                ["links"] = new JsonArray(new JsonObject { ["href"] = "https://developer.paypal.com/docs/api/overview/#error", ["rel"] = "information_link" }),
            });
            return;
        }
        await handler(context);
    }

    private async Task CreateOrder(HttpContext context)
    {
        var requestId = context.Request.Headers["PayPal-Request-Id"].FirstOrDefault();
        JsonObject? replay = null;
        lock (_gate)
        {
            if (requestId is not null && _createRequests.TryGetValue(requestId, out var existing))
            {
                // Same PayPal-Request-Id: the latest status of the first request's order (facts §3.5), 200 not 201.
                replay = StandInJson.Order(_orders[existing], BaseUrl);
            }
        }
        if (replay is not null)
        {
            await Json(context, 200, replay);
            return;
        }

        JsonNode? body;
        try
        {
            body = JsonNode.Parse(await ReadBodyAsync(context));
        }
        catch (JsonException)
        {
            await Json(context, 400, Invalid("MALFORMED_REQUEST_JSON", "The request JSON is not well formed."));
            return;
        }
        if (body?["intent"]?.GetValueKind() != JsonValueKind.String || (string?)body["intent"] != "CAPTURE")
        {
            await Json(context, 400, Invalid("INVALID_PARAMETER_VALUE", "The stand-in supports intent CAPTURE only."));
            return;
        }
        if (body["purchase_units"] is not JsonArray { Count: 1 } units || units[0] is not JsonObject unit)
        {
            await Json(context, 400, Invalid("INVALID_PARAMETER_VALUE", "The stand-in supports exactly one purchase unit."));
            return;
        }
        var currency = Text(unit["amount"]?["currency_code"]);
        var value = Text(unit["amount"]?["value"]);
        if (currency is null || value is null)
        {
            await Json(context, 400, Invalid("MISSING_REQUIRED_PARAMETER", "A required field / parameter is missing: purchase_units[0].amount."));
            return;
        }
        if (currency != "JPY")
        {
            await Json(context, 400, Invalid("INVALID_PARAMETER_VALUE", "The stand-in sells in JPY only."));
            return;
        }
        if (value.Contains('.', StringComparison.Ordinal))
        {
            // PayPal: "This currency does not support decimals" (facts §3.3).
            await Json(context, 422, StandInJson.Error("UNPROCESSABLE_ENTITY", Unprocessable, "DECIMALS_NOT_SUPPORTED", "Currency does not support decimals."));
            return;
        }
        if (value.Length is 0 or > 14 || !value.All(char.IsAsciiDigit) || long.Parse(value, CultureInfo.InvariantCulture) < 1)
        {
            await Json(context, 400, Invalid("INVALID_PARAMETER_VALUE", "purchase_units[0].amount.value must be a positive amount."));
            return;
        }
        var customId = Text(unit["custom_id"]);
        var invoiceId = Text(unit["invoice_id"]);
        var description = Text(unit["description"]);
        var referenceId = Text(unit["reference_id"]) ?? "default";
        if (new[] { customId, invoiceId, description, referenceId }.Any(t => t is { Length: 0 or > 127 }))
        {
            await Json(context, 400, Invalid("INVALID_STRING_LENGTH", "The value of a field is either too short or too long."));
            return;
        }
        var experience = body["payment_source"]?["paypal"]?["experience_context"] as JsonObject;

        JsonObject answer;
        lock (_gate)
        {
            if (invoiceId is not null && _orders.Values.Any(o => o.InvoiceId == invoiceId))
            {
                // PayPal refuses a repeated invoice id (facts §3.3; the issue name is not in its spec).
                answer = StandInJson.Error("UNPROCESSABLE_ENTITY", Unprocessable, "DUPLICATE_INVOICE_ID", "Duplicate Invoice ID detected.");
            }
            else
            {
                var now = _time.GetUtcNow();
                var order = new StandInOrder
                {
                    Id = StandInJson.NewId(),
                    ReferenceId = referenceId,
                    CustomId = customId,
                    InvoiceId = invoiceId,
                    Description = description,
                    Value = value,
                    Yen = long.Parse(value, CultureInfo.InvariantCulture),
                    PayerAction = experience is not null,
                    ReturnUrl = Text(experience?["return_url"]),
                    CancelUrl = Text(experience?["cancel_url"]),
                    CreateTime = now,
                    Status = experience is not null ? "PAYER_ACTION_REQUIRED" : "CREATED",
                    UpdateTime = now,
                };
                _orders[order.Id] = order;
                if (requestId is not null) _createRequests[requestId] = order.Id;
                answer = StandInJson.Order(order, BaseUrl);
            }
        }
        await Json(context, answer.ContainsKey("debug_id") ? 422 : 201, answer);
    }

    private Task GetOrder(HttpContext context)
    {
        var id = (string)context.Request.RouteValues["id"]!;
        lock (_gate)
        {
            return _orders.TryGetValue(id, out var order) ? Json(context, 200, StandInJson.Order(order, BaseUrl)) : NotFound(context);
        }
    }

    private async Task CaptureOrder(HttpContext context)
    {
        var id = (string)context.Request.RouteValues["id"]!;
        var requestId = context.Request.Headers["PayPal-Request-Id"].FirstOrDefault();
        StandInEvent? made = null;
        int status;
        JsonObject answer;
        lock (_gate)
        {
            if (requestId is not null && _captureRequests.TryGetValue(requestId, out var earlier))
            {
                // The same capture again: its latest state, 200 (facts §3.4).
                (status, answer) = (200, StandInJson.Order(_orders[earlier], BaseUrl));
            }
            else if (!_orders.TryGetValue(id, out var order))
            {
                (status, answer) = (404, NotFoundError());
            }
            else if (order.Capture is not null)
            {
                (status, answer) = (422, StandInJson.Error("UNPROCESSABLE_ENTITY", Unprocessable, "ORDER_ALREADY_CAPTURED", "Order already captured.If 'intent=CAPTURE' only one capture per order is allowed."));
            }
            else if (order.Status != "APPROVED")
            {
                (status, answer) = (422, StandInJson.Error("UNPROCESSABLE_ENTITY", Unprocessable, "ORDER_NOT_APPROVED",
                    "Payer has not yet approved the Order for payment. Please redirect the payer to the 'rel':'approve' url returned as part of the HATEOAS links within the Create Order call or provide a valid payment_source in the request."));
            }
            else if (order.CaptureBehaviour == CaptureBehaviour.DeclineInstrument)
            {
                (status, answer) = (422, StandInJson.Error("UNPROCESSABLE_ENTITY", Unprocessable, "INSTRUMENT_DECLINED",
                    "The instrument presented was either declined by the processor or bank, or it can't be used for this payment."));
            }
            else
            {
                var now = _time.GetUtcNow();
                var pending = order.CaptureBehaviour == CaptureBehaviour.Pend;
                var capture = new StandInCapture
                {
                    Id = StandInJson.NewId(),
                    Order = order,
                    CreateTime = now,
                    Status = pending ? "PENDING" : "COMPLETED",
                    StatusReason = pending ? "PENDING_REVIEW" : null,
                    UpdateTime = now,
                };
                order.Capture = capture;
                order.Status = "COMPLETED";
                order.UpdateTime = now;
                _captures[capture.Id] = capture;
                if (requestId is not null) _captureRequests[requestId] = order.Id;
                (status, answer) = (201, StandInJson.Order(order, BaseUrl));
                made = MakeEvent(pending ? "PAYMENT.CAPTURE.PENDING" : "PAYMENT.CAPTURE.COMPLETED", "capture", capture.Id,
                    StandInJson.Capture(capture, BaseUrl), $"{(pending ? "Payment pending for" : "Payment completed for")} JPY {order.Value} JPY");
            }
        }
        await Json(context, status, answer);
        if (made is not null) EmitInBackground(made);
    }

    private Task GetCapture(HttpContext context)
    {
        var id = (string)context.Request.RouteValues["id"]!;
        lock (_gate)
        {
            return _captures.TryGetValue(id, out var capture) ? Json(context, 200, StandInJson.Capture(capture, BaseUrl)) : NotFound(context);
        }
    }

    private Task GetRefund(HttpContext context)
    {
        var id = (string)context.Request.RouteValues["id"]!;
        lock (_gate)
        {
            return _refunds.TryGetValue(id, out var refund) ? Json(context, 200, StandInJson.Refund(refund, BaseUrl)) : NotFound(context);
        }
    }

    private Task ApprovePage(HttpContext context)
    {
        var id = context.Request.Query["token"].ToString();
        string html;
        lock (_gate)
        {
            if (!_orders.TryGetValue(id, out var order))
            {
                return Html(context, 404, "<p>No such order.</p>");
            }
            var encode = HtmlEncoder.Default;
            var what = $"<p><strong>¥{long.Parse(order.Value, CultureInfo.InvariantCulture).ToString("N0", CultureInfo.InvariantCulture)}</strong>"
                + $"{(order.Description is null ? "" : " — " + encode.Encode(order.Description))}</p><p>Order {encode.Encode(order.Id)}: {order.Status}</p>";
            html = order.Status is "CREATED" or "PAYER_ACTION_REQUIRED"
                ? what + $"""<form method="post" action="/checkoutnow?token={encode.Encode(order.Id)}"><button type="submit">Approve</button></form>"""
                : what + "<p>Nothing to approve.</p>";
        }
        return Html(context, 200, html);
    }

    private async Task ApproveFromPage(HttpContext context)
    {
        var id = context.Request.Query["token"].ToString();
        bool known;
        lock (_gate) known = _orders.ContainsKey(id);
        if (!known)
        {
            await Html(context, 404, "<p>No such order.</p>");
            return;
        }
        var approved = Approve(id);
        if (approved is null)
        {
            await Html(context, 409, "<p>This order cannot be approved now.</p>");
            return;
        }
        if (approved.Event is { } made) EmitInBackground(made);
        if (approved.ReturnUrl is { } returnUrl)
        {
            // PayPal sends the payer back with the order id as token and the payer id.
            var separator = returnUrl.Contains('?', StringComparison.Ordinal) ? '&' : '?';
            context.Response.Redirect($"{returnUrl}{separator}token={Uri.EscapeDataString(id)}&PayerID={Uri.EscapeDataString(approved.PayerId)}");
            return;
        }
        await Html(context, 200, $"<p>Order {HtmlEncoder.Default.Encode(id)} approved. You can close this page.</p>");
    }

    private Task Certificate(HttpContext context)
    {
        // Served on the https listener only, as PayPal serves its certificates over https.
        var chain = context.Request.IsHttps ? _certificates.ByName((string)context.Request.RouteValues["name"]!) : null;
        if (chain is null)
        {
            context.Response.StatusCode = 404;
            return Task.CompletedTask;
        }
        Interlocked.Increment(ref _certificateDownloads);
        context.Response.ContentType = "text/plain";
        return context.Response.WriteAsync(chain.Pem, context.RequestAborted);
    }

    private Task Overview(HttpContext context)
    {
        lock (_gate)
        {
            return Json(context, 200, new JsonObject
            {
                ["orders"] = new JsonArray([.. _orders.Values.Select(o => (JsonNode)StandInJson.Order(o, BaseUrl))]),
                ["events"] = new JsonArray([.. _events.Select(e => (JsonNode)new JsonObject { ["id"] = e.Id, ["event_type"] = e.EventType, ["resource_id"] = e.ResourceId })]),
            });
        }
    }

    private async Task CaptureAction(HttpContext context)
    {
        var id = (string)context.Request.RouteValues["id"]!;
        var action = (string)context.Request.RouteValues["action"]!;
        long? yen = long.TryParse(context.Request.Query["yen"], NumberStyles.None, CultureInfo.InvariantCulture, out var y) ? y : null;
        try
        {
            var made = action switch
            {
                "complete" => await CompleteCaptureAsync(id),
                "deny" => await DenyCaptureAsync(id),
                "refund" => await RefundCaptureAsync(id, yen),
                "reverse" => await ReverseCaptureAsync(id),
                _ => null,
            };
            await (made is null ? NotFound(context) : Json(context, 200, new JsonObject { ["event_id"] = made.Id, ["event_type"] = made.EventType }));
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or KeyNotFoundException)
        {
            await Json(context, 409, new JsonObject { ["error"] = e.Message });
        }
    }

    private async Task ResendFromHttp(HttpContext context)
    {
        var times = int.TryParse(context.Request.Query["times"], NumberStyles.None, CultureInfo.InvariantCulture, out var t) ? t : 1;
        try
        {
            var deliveries = await ResendAsync((string)context.Request.RouteValues["id"]!, times);
            await Json(context, 200, new JsonObject { ["statuses"] = new JsonArray([.. deliveries.Select(d => (JsonNode?)d.Status)]) });
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            await Json(context, 409, new JsonObject { ["error"] = e.Message });
        }
    }

    // ---- State changes and events -----------------------------------------------------------------------------------

    private sealed record Approval(StandInEvent? Event, string? ReturnUrl, string PayerId);

    /// <summary>Approves an order awaiting the payer; the same order approved again makes no event. Null when it cannot be approved.</summary>
    private Approval? Approve(string orderId)
    {
        lock (_gate)
        {
            var order = _orders[orderId];
            if (order.Status == "APPROVED") return new Approval(null, order.ReturnUrl, order.PayerId!);
            if (order.Status is not ("CREATED" or "PAYER_ACTION_REQUIRED")) return null;
            order.Status = "APPROVED";
            order.PayerId = StandInJson.NewId()[..13];
            order.UpdateTime = _time.GetUtcNow();
            var made = MakeEvent("CHECKOUT.ORDER.APPROVED", "checkout-order", order.Id, StandInJson.Order(order, BaseUrl), "An order has been approved by buyer");
            return new Approval(made, order.ReturnUrl, order.PayerId);
        }
    }

    private Task<StandInEvent> SettlePendingAsync(string captureId, string status, string eventType, string summary)
    {
        StandInEvent made;
        lock (_gate)
        {
            var capture = _captures[captureId];
            if (capture.Status != "PENDING") throw new InvalidOperationException($"Capture {captureId} is {capture.Status}, not PENDING.");
            capture.Status = status;
            capture.StatusReason = null;
            capture.UpdateTime = _time.GetUtcNow();
            made = MakeEvent(eventType, "capture", capture.Id, StandInJson.Capture(capture, BaseUrl), $"{summary} JPY {capture.Order.Value} JPY");
        }
        return EmitAsync(made);
    }

    private StandInEvent RefundOrReverse(string captureId, long? yen, bool reversal)
    {
        lock (_gate)
        {
            var capture = _captures[captureId];
            if (capture.Status is not ("COMPLETED" or "PARTIALLY_REFUNDED")) throw new InvalidOperationException($"Capture {captureId} is {capture.Status}: nothing to give back.");
            var left = capture.Order.Yen - capture.RefundedYen;
            var amount = yen ?? left;
            if (amount < 1 || amount > left) throw new ArgumentOutOfRangeException(nameof(yen), amount, $"Capture {captureId} has ¥{left} left to give back.");
            var now = _time.GetUtcNow();
            var refund = new StandInRefund { Id = StandInJson.NewId(), Capture = capture, Yen = amount, NoteToPayer = reversal ? "Payment reversed" : null, CreateTime = now };
            capture.Refunds.Add(refund);
            capture.Status = capture.RefundedYen == capture.Order.Yen ? "REFUNDED" : "PARTIALLY_REFUNDED";
            capture.UpdateTime = now;
            _refunds[refund.Id] = refund;
            var amountText = amount.ToString(CultureInfo.InvariantCulture);
            return reversal
                ? MakeEvent("PAYMENT.CAPTURE.REVERSED", "refund", refund.Id, StandInJson.Refund(refund, BaseUrl), $"A JPY {amountText} JPY capture payment was reversed")
                : MakeEvent("PAYMENT.CAPTURE.REFUNDED", "refund", refund.Id, StandInJson.Refund(refund, BaseUrl), $"A JPY {amountText} JPY capture payment was refunded");
        }
    }

    /// <summary>The event envelope of facts §3.6 (id WH-…, event_version 1.0, resource_version 2.0, self and resend links). Call under the lock.</summary>
    private StandInEvent MakeEvent(string eventType, string resourceType, string resourceId, JsonObject resource, string summary)
    {
        var id = $"WH-{StandInJson.NewId()}-{StandInJson.NewId()}";
        var envelope = new JsonObject
        {
            ["id"] = id,
            ["event_version"] = "1.0",
            ["create_time"] = StandInJson.Time(_time.GetUtcNow()),
            ["resource_type"] = resourceType,
            ["resource_version"] = "2.0",
            ["event_type"] = eventType,
            ["summary"] = summary,
            ["resource"] = resource,
            ["links"] = new JsonArray(
                StandInJson.Link(BaseUrl, $"v1/notifications/webhooks-events/{id}", "self", "GET"),
                StandInJson.Link(BaseUrl, $"v1/notifications/webhooks-events/{id}/resend", "resend", "POST")),
        };
        var made = new StandInEvent(id, eventType, resourceType, resourceId, Encoding.UTF8.GetBytes(envelope.ToJsonString()));
        _events.Add(made);
        return made;
    }

    /// <summary>Sends a new event now, or holds it (while <see cref="HoldWebhooks"/>, or without a webhook URL).</summary>
    private async Task<StandInEvent> EmitAsync(StandInEvent made)
    {
        if (Hold(made)) return made;
        await DeliverAsync(made);
        return made;
    }

    private void EmitInBackground(StandInEvent made)
    {
        if (Hold(made)) return;
        var sending = Task.Run(() => DeliverAsync(made));
        _sending.TryAdd(sending, 0);
        sending.ContinueWith(done => _sending.TryRemove(done, out _), TaskScheduler.Default);
    }

    private bool Hold(StandInEvent made)
    {
        if (!HoldWebhooks && WebhookUrl is not null) return false;
        lock (_gate) _held.Add(made);
        return true;
    }

    // ---- Helpers ----------------------------------------------------------------------------------------------------

    private const string Unprocessable = "The requested action could not be performed, semantically incorrect, or failed business validation.";

    private int? TakeFailure()
    {
        lock (_gate)
        {
            if (_failures.Count <= 0) return null;
            _failures = (_failures.Count - 1, _failures.Status);
            return _failures.Status;
        }
    }

    private static JsonObject Failure(int status) => status switch
    {
        429 => StandInJson.Error("RATE_LIMIT_REACHED", "Too many requests. Blocked due to rate limiting.", "RATE_LIMIT_REACHED", "Too many requests."),
        >= 500 => StandInJson.Error("INTERNAL_SERVER_ERROR", "An internal server error occurred.", "INTERNAL_SERVICE_ERROR", "An internal service error has occurred."),
        _ => Invalid("INVALID_PARAMETER_VALUE", "Injected failure."),
    };

    private static JsonObject Invalid(string issue, string description) =>
        StandInJson.Error("INVALID_REQUEST", "Request is not well-formed, syntactically incorrect, or violates schema.", issue, description);

    private static JsonObject NotFoundError() =>
        StandInJson.Error("RESOURCE_NOT_FOUND", "The specified resource does not exist.", "INVALID_RESOURCE_ID", "Specified resource ID does not exist. Please check the resource ID and try again.");

    private static Task NotFound(HttpContext context) => Json(context, 404, NotFoundError());

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static async Task<byte[]> ReadBodyAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        return buffer.ToArray();
    }

    private static Task Json(HttpContext context, int status, JsonObject body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = JsonType;
        return context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }

    private static Task Html(HttpContext context, int status, string content)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync(
            $"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>PayPal stand-in</title></head><body><h1>PayPal stand-in</h1>{content}</body></html>""",
            context.RequestAborted);
    }
}
