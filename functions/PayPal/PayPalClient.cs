using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Points.Functions.PayPal;

/// <summary>
/// PayPal's REST API over HTTP (no SDK: it cannot be restored here, platform.md): Orders v2 create, get and capture, and
/// the Payments v2 lookups a webhook needs. Every call carries a bearer token (<see cref="PayPalAccessTokens"/>) and
/// goes through the retrying, time-limited <c>PayPal</c> HTTP client. Create and capture take the caller's
/// <c>PayPal-Request-Id</c>, so a retry — ours, the resilience handler's or the purchase flow's — is the same order or
/// capture (facts §3.5: PayPal keeps the ids 6 hours).
/// </summary>
/// <remarks>
/// Results are typed; refusals the purchase flow handles are outcomes (<see cref="PayPalCaptureOutcome"/>, null for an
/// unknown id); any other error status is a <see cref="PayPalApiException"/>, an answer of another shape a
/// <see cref="PayPalProtocolException"/>, and an outage an <see cref="HttpRequestException"/>.
/// </remarks>
public sealed partial class PayPalClient
{
    /// <summary>PayPal-Request-Id: 1–108 characters (facts §3.5).</summary>
    public const int RequestIdLengthMax = 108;

    /// <summary><c>custom_id</c>, <c>invoice_id</c>, <c>reference_id</c> (we keep it within custom_id's 127) and <c>description</c>: at most 127 characters (facts §3.3).</summary>
    public const int PurchaseUnitTextLengthMax = 127;

    /// <summary>Largest REST answer read (an order with a few captures is a few KiB).</summary>
    public const int ResponseBytesMax = 1024 * 1024;

    private readonly IHttpClientFactory _httpClients;
    private readonly PayPalAccessTokens _tokens;
    private readonly IOptions<PayPalOptions> _options;
    private readonly ILogger<PayPalClient> _logger;

    internal PayPalClient(IHttpClientFactory httpClients, PayPalAccessTokens tokens, IOptions<PayPalOptions> options, ILogger<PayPalClient> logger)
    {
        _httpClients = httpClients;
        _tokens = tokens;
        _options = options;
        _logger = logger;
    }

    /// <summary>
    /// <c>POST /v2/checkout/orders</c> (intent CAPTURE, one purchase unit in JPY). The same <paramref name="requestId"/>
    /// again answers the same order with its latest status (200 instead of 201).
    /// </summary>
    /// <param name="requestId">Derived from the purchase, e.g. <c>create-{purchaseId}</c> (facts §3.5).</param>
    public async Task<PayPalOrder> CreateOrderAsync(PayPalOrderRequest order, string requestId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(order);
        CheckText(order.PurchaseId, nameof(order.PurchaseId));
        CheckText(order.InvoiceId, nameof(order.InvoiceId));
        CheckText(order.Description, nameof(order.Description));
        if (order.Amount.Value < 1) throw new ArgumentOutOfRangeException(nameof(order), order.Amount.Value, "An order is for at least ¥1.");
        CheckRequestId(requestId);

        var unit = new JsonObject
        {
            ["reference_id"] = order.PurchaseId,
            ["custom_id"] = order.PurchaseId,
            ["invoice_id"] = order.InvoiceId,
            ["description"] = order.Description,
            ["amount"] = new JsonObject { ["currency_code"] = "JPY", ["value"] = PayPalJson.Value(order.Amount) },
        };
        var body = new JsonObject { ["intent"] = "CAPTURE", ["purchase_units"] = new JsonArray(unit) };
        if (order.Experience is { } experience)
        {
            var context = new JsonObject
            {
                ["locale"] = experience.Locale,
                ["shipping_preference"] = "NO_SHIPPING", // points are not shipped
                ["user_action"] = "PAY_NOW",             // the payer confirms on PayPal; we capture right after
                ["return_url"] = experience.ReturnUrl.AbsoluteUri,
                ["cancel_url"] = experience.CancelUrl.AbsoluteUri,
            };
            if (experience.BrandName is { } brand) context["brand_name"] = brand;
            body["payment_source"] = new JsonObject { ["paypal"] = new JsonObject { ["experience_context"] = context } };
        }

        const string Operation = "orders.create";
        var (status, answer) = await SendAsync(HttpMethod.Post, "v2/checkout/orders", Operation, body, requestId, cancellationToken);
        if (status is not (200 or 201)) throw new PayPalApiException(Operation, PayPalJson.Error(status, answer));
        var created = Read(answer, Operation, root => PayPalJson.Order(root, Operation));
        if (created.Status is PayPalOrderStatus.Created or PayPalOrderStatus.PayerActionRequired && created.PayerUrl is null)
        {
            throw PayPalJson.Expected($"{Operation}: a \"payer-action\" or \"approve\" link on an order awaiting the payer");
        }
        return created;
    }

    /// <summary><c>GET /v2/checkout/orders/{id}</c>; null when PayPal does not know the order (404), e.g. expired unapproved.</summary>
    public async Task<PayPalOrder?> GetOrderAsync(string orderId, CancellationToken cancellationToken)
    {
        CheckId(orderId, nameof(orderId));
        const string Operation = "orders.get";
        var (status, answer) = await SendAsync(HttpMethod.Get, $"v2/checkout/orders/{orderId}", Operation, null, null, cancellationToken);
        if (status == 404) return null;
        if (status != 200) throw new PayPalApiException(Operation, PayPalJson.Error(status, answer));
        return Read(answer, Operation, root => PayPalJson.Order(root, Operation));
    }

    /// <summary>
    /// <c>POST /v2/checkout/orders/{id}/capture</c>. The same <paramref name="requestId"/> again answers the same capture
    /// (200). Refusals the flow handles (not approved, already captured, declined, unknown order) are outcomes.
    /// </summary>
    /// <param name="requestId">Derived from the order, e.g. <c>capture-{orderId}</c> (facts §3.5).</param>
    public async Task<PayPalCaptureOutcome> CaptureOrderAsync(string orderId, string requestId, CancellationToken cancellationToken)
    {
        CheckId(orderId, nameof(orderId));
        CheckRequestId(requestId);
        const string Operation = "orders.capture";
        var (status, answer) = await SendAsync(HttpMethod.Post, $"v2/checkout/orders/{orderId}/capture", Operation, null, requestId, cancellationToken);
        if (status is 200 or 201)
        {
            var order = Read(answer, Operation, root => PayPalJson.Order(root, Operation));
            if (order.Captures.Count == 0) throw PayPalJson.Expected($"{Operation}: order.purchase_units[0].payments.captures[0] in a successful capture");
            return new PayPalCaptureOutcome.Captured(order.Status, order.Captures[0]);
        }
        var error = PayPalJson.Error(status, answer);
        PayPalCaptureRefusal? refusal = (status, error.Issue) switch
        {
            (404, _) => PayPalCaptureRefusal.OrderNotFound,
            (422, "ORDER_NOT_APPROVED") => PayPalCaptureRefusal.OrderNotApproved,
            (422, "ORDER_ALREADY_CAPTURED") => PayPalCaptureRefusal.OrderAlreadyCaptured,
            (422, "INSTRUMENT_DECLINED") => PayPalCaptureRefusal.InstrumentDeclined,
            (422, _) => PayPalCaptureRefusal.Unprocessable,
            _ => null,
        };
        return refusal is { } reason ? new PayPalCaptureOutcome.Refused(reason, error) : throw new PayPalApiException(Operation, error);
    }

    /// <summary><c>GET /v2/payments/captures/{id}</c>; null when PayPal does not know it.</summary>
    public async Task<PayPalCapture?> GetCaptureAsync(string captureId, CancellationToken cancellationToken)
    {
        CheckId(captureId, nameof(captureId));
        const string Operation = "captures.get";
        var (status, answer) = await SendAsync(HttpMethod.Get, $"v2/payments/captures/{captureId}", Operation, null, null, cancellationToken);
        if (status == 404) return null;
        if (status != 200) throw new PayPalApiException(Operation, PayPalJson.Error(status, answer));
        return Read(answer, Operation, root => PayPalJson.Capture(root, $"{Operation}: capture"));
    }

    /// <summary>
    /// <c>GET /v2/payments/refunds/{id}</c>, for <c>PAYMENT.CAPTURE.REFUNDED</c>: the refund's <c>up</c> link names the
    /// refunded capture (<see cref="PayPalRefund.CaptureId"/>). Null when PayPal does not know it.
    /// </summary>
    public async Task<PayPalRefund?> GetRefundAsync(string refundId, CancellationToken cancellationToken)
    {
        CheckId(refundId, nameof(refundId));
        const string Operation = "refunds.get";
        var (status, answer) = await SendAsync(HttpMethod.Get, $"v2/payments/refunds/{refundId}", Operation, null, null, cancellationToken);
        if (status == 404) return null;
        if (status != 200) throw new PayPalApiException(Operation, PayPalJson.Error(status, answer));
        return Read(answer, Operation, root => PayPalJson.Refund(root, $"{Operation}: refund"));
    }

    private async Task<(int Status, byte[] Body)> SendAsync(
        HttpMethod method, string path, string operation, JsonObject? body, string? requestId, CancellationToken cancellationToken)
    {
        _options.Value.ValidateForRestCalls();
        var started = Stopwatch.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            var token = await _tokens.GetAsync(cancellationToken);
            using var request = new HttpRequestMessage(method, path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            // The whole resource in every answer, so the capture's id and status are there (facts §3.3 "Prefer").
            request.Headers.TryAddWithoutValidation("Prefer", "return=representation");
            if (requestId is not null) request.Headers.TryAddWithoutValidation("PayPal-Request-Id", requestId);
            if (method == HttpMethod.Post)
            {
                // A capture has no body: PayPal's own C# sample posts an empty one as application/json (facts §3.4).
                request.Content = new ByteArrayContent(body is null ? [] : JsonSerializer.SerializeToUtf8Bytes(body));
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            }

            var (status, answer) = await PayPalHttp.SendAsync(_httpClients, request, operation, ResponseBytesMax, cancellationToken);
            if (status == 401 && attempt == 1)
            {
                // The token was revoked or expired early: one more attempt with a new one.
                _tokens.Forget(token);
                continue;
            }
            Log.Answered(_logger, operation, status, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return (status, answer);
        }
    }

    private static T Read<T>(byte[] body, string operation, Func<JsonElement, T> read)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            throw new PayPalProtocolException($"PayPal's {operation} answer was not JSON; expected its documented resource.", e);
        }
        using (document)
        {
            return read(document.RootElement);
        }
    }

    private static void CheckText(string value, string name)
    {
        if (string.IsNullOrEmpty(value) || value.Length > PurchaseUnitTextLengthMax)
        {
            throw new ArgumentException($"{name} must be 1–{PurchaseUnitTextLengthMax} characters (PayPal's purchase unit limits).", name);
        }
    }

    private static void CheckRequestId(string requestId)
    {
        if (string.IsNullOrEmpty(requestId) || requestId.Length > RequestIdLengthMax || requestId.Any(char.IsControl))
        {
            throw new ArgumentException($"A PayPal-Request-Id must be 1–{RequestIdLengthMax} printable characters.", nameof(requestId));
        }
    }

    private static void CheckId(string id, string name)
    {
        if (!ResourceId().IsMatch(id)) throw new ArgumentException($"{name} must be a PayPal id (letters, digits, '-' or '_', at most 64).", name);
    }

    /// <summary>PayPal's ids are short upper-case alphanumerics (e.g. 5O190127TN364715T); this only keeps paths well-formed.</summary>
    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex ResourceId();

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Debug, Message = "PayPal {Operation} answered {Status} in {ElapsedMs} ms")]
        public static partial void Answered(ILogger logger, string operation, int status, long elapsedMs);
    }
}
