using System.Security.Cryptography;
using System.Text;
using Points.Domain.Primitives;
using Points.Domain.Purchases;
using Points.Functions.Api;
using Points.Functions.Auth;
using Points.Functions.Hosting;
using Points.Functions.Ledger;
using Points.Functions.Ledger.Outbox;
using Points.Functions.PayPal;
using Points.Functions.Settings;
using Points.Functions.Storage;

namespace Points.Functions.Purchases;

public sealed record PurchaseRequest(long Points);

/// <summary>A purchase as the API shows it.</summary>
public sealed record PurchaseView(string PurchaseId, string PaypalOrderId, string? ApproveUrl, long Points, long AmountYen, PurchaseStatus Status,
    long PointsCredited, long RefundedPoints, DateTimeOffset CreatedAt)
{
    public static PurchaseView Of(Purchase p) => new(p.PurchaseId, p.OrderId, p.ApproveUrl, p.Points.Value, p.AmountYen.Value, p.Status,
        p.CaptureId is null ? 0 : p.Points.Value - p.RefundedPoints.Value, p.RefundedPoints.Value, p.CreatedAt);

    public static PurchaseView Of(PurchaseDocument d) => new(d.PurchaseId, d.PaypalOrderId, d.ApproveUrl, d.Points, d.AmountYen, d.Status,
        d.CaptureId is null ? 0 : d.Points - d.RefundedPoints, d.RefundedPoints, d.CreatedAt);
}

/// <summary>A PayPal webhook event as PayPal posts it (facts §3.6); read from the raw bytes after the signature is verified.</summary>
public sealed record PayPalEventBody(
    [property: System.Text.Json.Serialization.JsonPropertyName("id")] string Id,
    [property: System.Text.Json.Serialization.JsonPropertyName("event_type")] string EventType,
    [property: System.Text.Json.Serialization.JsonPropertyName("resource_type")] string ResourceType,
    [property: System.Text.Json.Serialization.JsonPropertyName("resource")] System.Text.Json.JsonElement Resource);

/// <summary>What the webhook answers PayPal once the event is recorded.</summary>
public sealed record WebhookReceipt(string EventId, bool Duplicate);

/// <summary>
/// Buying points with PayPal (F20–F21; api.md "Buying points"): a purchase creates a PayPal order and answers its approve
/// link; the capture (by the partner's call, PayPal's webhook or the hourly reconciliation, whichever comes first)
/// credits purchased points once; refunds and reversals take their share back.
/// </summary>
public sealed class PurchasesFeature : Feature
{
    /// <summary>Purchase ids: 'B' and 31 hex digits of a hash of the member and the Idempotency-Key.</summary>
    public const int PurchaseIdLength = 32;
    /// <summary>A webhook body larger than this is not PayPal's.</summary>
    public const int WebhookBytesMax = 256 * 1024;
    public const int EventIdLengthMax = 128;

    public static readonly ProblemType PayPalUnavailable = new("paypal_unavailable", 502, "PayPal did not answer as expected; retry later.");
    public static readonly ProblemType OrderNotApproved = new("order_not_approved", 409, "The payer has not approved the order yet.");
    public static readonly ProblemType PaymentDeclined = new("payment_declined", 422, "PayPal declined the payment.");
    public static readonly ProblemType InvalidSignature = new("invalid_signature", 400, "The webhook's PayPal signature did not verify.");

    public override void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddPayPal(configuration);
        services.AddSingleton<PurchaseRecords>();
        services.AddOutboxHandler<RecordPurchase, PurchaseRecords>("purchase-record");
        services.AddSingleton<PayPalEventLog>();
        services.AddSingleton<PurchaseSettlement>();
        services.AddSingleton<PayPalEventHandler>();
        services.AddSingleton<PurchaseReconciliation>();
    }

    public override void MapFunctions(WebApplication app) =>
        app.MapTimerFunction<PurchaseReconciliation>(PurchaseReconciliation.FunctionName, (job, _, cancellationToken) => job.RunAsync(cancellationToken));

    public override IEnumerable<RejectionProblem> Rejections =>
    [
        new(PurchaseRejection.PurchasesDisabled, new("purchases_disabled", 422, "The program does not sell points.")),
        new(PurchaseRejection.BelowMinimum, Problems.BelowMinimum),
        new(PurchaseRejection.AboveMaximum, new("above_maximum", 422, "More points than the largest purchase.")),
        new(PurchaseRejection.DailyLimitReached, new("daily_limit_reached", 422, "The member bought as many points as allowed today.")),
        new(PurchaseRejection.PurchaseNotFound, new("purchase_not_found", 404, "The member has no such purchase.")),
    ];

    public override IEnumerable<ProblemType> AlsoAnswers => [PayPalUnavailable, OrderNotApproved, PaymentDeclined, InvalidSignature];

    public override void MapRoutes(IEndpointRouteBuilder api)
    {
        api.MapPost("/v1/members/{memberId}/purchases", Create).RequireScope(Scopes.MembersWrite)
            .Describe("createPurchase", ApiTags.Purchases, "Buy points: create a PayPal order",
                "Checks, in this order: purchases offered, the minimum and maximum points, the member's daily limit. Creates a PayPal order for "
                + "points × the price per point (JPY, no decimals) and answers the purchase with `approveUrl`, where the payer approves it. "
                + "The same Idempotency-Key answers the same purchase and order.")
            .RequiresIdempotencyKey()
            .TakesJson<PurchaseRequest>()
            .Produces<PurchaseResponse>(201)
            .Refuses(Problems.InvalidRequest, Problems.MemberNotFound, PayPalUnavailable)
            .Refuses(PurchaseRejection.PurchasesDisabled, PurchaseRejection.BelowMinimum, PurchaseRejection.AboveMaximum, PurchaseRejection.DailyLimitReached);
        api.MapGet("/v1/members/{memberId}/purchases/{purchaseId}", Get).RequireScope(Scopes.MembersRead)
            .Describe("getPurchase", ApiTags.Purchases, "Read a purchase",
                "Its status (created, pending, completed, failed, refunded), the points credited so far (less refunds) and the approve link.")
            .Produces<PurchaseView>()
            .Refuses(Problems.InvalidRequest, Problems.MemberNotFound)
            .Refuses(PurchaseRejection.PurchaseNotFound);
        api.MapPost("/v1/members/{memberId}/purchases/{purchaseId}/capture", Capture).RequireScope(Scopes.MembersWrite)
            .Describe("capturePurchase", ApiTags.Purchases, "Capture an approved purchase and credit its points",
                "Captures the PayPal order once the payer approved it. The points are credited as purchased points when PayPal says the capture "
                + "completed (status `completed`); a capture PayPal still clears answers `pending` and is credited when it completes. Capturing "
                + "again, or after PayPal's webhook did, answers the purchase as it is: points are credited once (no Idempotency-Key needed).")
            .Produces<PurchaseResponse>()
            .Refuses(Problems.InvalidRequest, Problems.MemberNotFound, OrderNotApproved, PaymentDeclined, PayPalUnavailable)
            .Refuses(PurchaseRejection.PurchaseNotFound);
        api.MapPost("/v1/webhooks/paypal", Webhook).OpenToAll()
            .Describe("receivePayPalWebhook", ApiTags.Purchases, "PayPal's webhook (signed by PayPal, no API key)",
                "Verifies PayPal's signature over the raw body (PAYPAL-TRANSMISSION-ID, -TIME, -SIG, -CERT-URL, -AUTH-ALGO headers) and answers "
                + "200 once the event is recorded; each event id is applied once in effect. Applies CHECKOUT.ORDER.APPROVED (capture), "
                + "PAYMENT.CAPTURE.COMPLETED (credit), .PENDING, .DENIED, .DECLINED, .REFUNDED and .REVERSED; others are recorded and ignored. "
                + "400 `invalid_signature` when verification fails: nothing is applied.")
            .TakesJson<PayPalEventBody>()
            .Produces<WebhookReceipt>()
            .Refuses(Problems.InvalidRequest, InvalidSignature);
    }

    /// <summary>The purchase a member's Idempotency-Key makes: the same key, the same purchase, the same PayPal request id, the same order.</summary>
    public static string PurchaseIdOf(MemberId memberId, string idempotencyKey) =>
        "B" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(memberId.Value + "\n" + idempotencyKey)))[..(PurchaseIdLength - 1)];

    private static async Task<IResult> Create(string memberId, HttpContext http, MemberLedger ledger, LedgerStore members, PurchaseRecords records,
        PayPalClient paypal, ProgramSettingsStore settingsStore, TimeProvider clock)
    {
        if (!RequestReader.TryMemberId(memberId, out var id, out var problem)) return problem!;
        if (!RequestReader.TryIdempotencyKey(http, out var key, out problem)) return problem!;
        var (request, bodyProblem) = await RequestReader.ReadBodyAsync<PurchaseRequest>(http);
        if (bodyProblem is not null) return bodyProblem;
        // Out of any purchase's range either way: kept just outside it, the checks below refuse it by name.
        var points = new PointAmount(Math.Clamp(request!.Points, 0, PointAmount.PerRequestMax + 1));

        var settings = await settingsStore.GetAsync(http.RequestAborted);
        var policy = settings.Purchases.ToPolicy();
        if ((await members.ReadAccountAsync(id, http.RequestAborted)).Account?.Member is not { } member) return Problems.For(Problems.MemberNotFound);
        var purchaseId = PurchaseIdOf(id, key);
        var hash = RequestReader.HashOf("POST", http.Request.Path, request);
        string orderId;
        string? approveUrl;
        if (member.Purchases.Find(purchaseId) is { } existing)
            (orderId, approveUrl) = (existing.OrderId, existing.ApproveUrl); // made before: the commit below answers it again
        else
        {
            var now = clock.GetUtcNow();
            if (PurchaseDecider.Check(member, points, policy, settings.DateOf(now)) is { } refused) return Problems.For(refused.Reason, refused.Detail);
            var price = PurchaseDecider.PriceOf(points, policy);
            await records.BeginAsync(id, purchaseId, points, price, now, http.RequestAborted);
            try
            {
                var order = await paypal.CreateOrderAsync(PurchaseSettlement.OrderFor(purchaseId, points, price, settings.Purchases),
                    PurchaseSettlement.CreateRequestId(purchaseId), http.RequestAborted);
                (orderId, approveUrl) = (order.Id, order.PayerUrl?.AbsoluteUri);
            }
            catch (Exception e) when (PayPalFailure(e))
            {
                // No approve link went out, so nobody can pay an order PayPal may have made: nothing to reconcile.
                await records.CloseAsync(purchaseId, CancellationToken.None);
                return Problems.For(PayPalUnavailable, "PayPal did not create the order; retry with the same Idempotency-Key.");
            }
        }
        var result = await ledger.ExecuteAsync(id, new MemberOperation(http.CallerName(), key, hash,
            input => PurchaseDecider.Create(input.Member, purchaseId, points, orderId, approveUrl, policy, input.Context)));
        if (result is OperationResult.Rejected) await records.CloseAsync(purchaseId, http.RequestAborted); // refused after all: nobody will pay this order
        return result.ToHttp(http, StatusCodes.Status201Created);
    }

    private static async Task<IResult> Get(string memberId, string purchaseId, HttpContext http, LedgerStore members, PurchaseRecords records)
    {
        if (!RequestReader.TryMemberId(memberId, out var id, out var problem)) return problem!;
        if (!RequestReader.IsWellFormedId(purchaseId)) return RequestReader.InvalidId("purchaseId");
        if ((await members.ReadAccountAsync(id, http.RequestAborted)).Account?.Member is not { } member) return Problems.For(Problems.MemberNotFound);
        if (member.Purchases.Find(purchaseId) is { } recent) return Results.Json(PurchaseView.Of(recent), JsonDefaults.Options);
        return await records.ReadAsync(id, purchaseId, http.RequestAborted) is { } older
            ? Results.Json(PurchaseView.Of(older), JsonDefaults.Options)
            : Problems.For(PurchaseRejection.PurchaseNotFound, $"The member has no purchase '{purchaseId}'.");
    }

    private static async Task<IResult> Capture(string memberId, string purchaseId, HttpContext http, PurchaseSettlement settlement, LedgerStore members)
    {
        if (!RequestReader.TryMemberId(memberId, out var id, out var problem)) return problem!;
        if (!RequestReader.IsWellFormedId(purchaseId)) return RequestReader.InvalidId("purchaseId");
        if ((await members.ReadAccountAsync(id, http.RequestAborted)).Account?.Member is not { } member) return Problems.For(Problems.MemberNotFound);
        if (member.Purchases.Find(purchaseId) is not { } purchase)
            return Problems.For(PurchaseRejection.PurchaseNotFound, $"The member has no recent purchase '{purchaseId}'.");
        CaptureOutcome outcome;
        try
        {
            outcome = await settlement.CaptureAsync(id, purchase, http.RequestAborted);
        }
        catch (Exception e) when (PayPalFailure(e))
        {
            return Problems.For(PayPalUnavailable, "PayPal did not answer the capture; retry: the order is captured once.");
        }
        return outcome switch
        {
            { Result: { } result } => result.ToHttp(http, StatusCodes.Status200OK),
            { Refusal: CaptureRefusal.NotApproved } => Problems.For(OrderNotApproved, outcome.Detail),
            { Refusal: CaptureRefusal.Declined } => Problems.For(PaymentDeclined, outcome.Detail),
            _ => Problems.For(PayPalUnavailable, outcome.Detail),
        };
    }

    private static async Task<IResult> Webhook(HttpContext http, PayPalWebhookVerifier verifier, PayPalEventLog events, PayPalEventHandler handler,
        TimeProvider clock, ILogger<PurchasesFeature> log)
    {
        if (RequestReader.UnsupportedMediaType(http) is { } unsupported) return unsupported; // PayPal posts application/json
        var body = await ReadRawAsync(http, WebhookBytesMax);
        if (body is null) return Problems.For(Problems.InvalidRequest, $"A webhook body is at most {WebhookBytesMax} bytes.");
        if (await verifier.VerifyAsync(http.Request.Headers, body, http.RequestAborted) != PayPalWebhookVerification.Verified)
            return Problems.For(InvalidSignature, "Nothing was applied.");
        PayPalWebhookEvent paypalEvent;
        try
        {
            paypalEvent = PayPalWebhookEvent.Parse(body);
        }
        catch (PayPalProtocolException e)
        {
            return Problems.For(Problems.InvalidRequest, e.Message);
        }
        if (paypalEvent.Id.Length > EventIdLengthMax || !RequestReader.IsWellFormedKey(paypalEvent.Id))
            return Problems.Invalid("id", "PayPal's event ids are short and of letters, digits and dashes.");

        var pending = await events.RecordAsync(paypalEvent.Id, paypalEvent.EventType, Encoding.UTF8.GetString(body), clock.GetUtcNow(), http.RequestAborted);
        if (pending)
        {
            try
            {
                await handler.ApplyAsync(paypalEvent, CancellationToken.None); // recorded: applied to the end even if PayPal hangs up
                await events.AppliedAsync(paypalEvent.Id, CancellationToken.None);
            }
            catch (Exception e)
            {
                // Recorded and answered: the hourly reconciliation applies it again.
                log.LogWarning(e, "PayPal event {EventId} ({EventType}) recorded, not applied yet", paypalEvent.Id, paypalEvent.EventType);
            }
        }
        return Results.Json(new WebhookReceipt(paypalEvent.Id, !pending), JsonDefaults.Options);
    }

    /// <summary>The request body exactly as received (the signature covers these bytes); null when longer than <paramref name="bytesMax"/>.</summary>
    private static async Task<byte[]?> ReadRawAsync(HttpContext http, int bytesMax)
    {
        if (http.Request.ContentLength > bytesMax) return null;
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
        {
            if (buffer.Length + read > bytesMax) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>PayPal unreachable, refusing our call, or answering what we cannot read: the caller retries later.</summary>
    private static bool PayPalFailure(Exception e) =>
        e is PayPalApiException or PayPalProtocolException or HttpRequestException or Polly.Timeout.TimeoutRejectedException;
}
