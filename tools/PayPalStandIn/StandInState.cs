using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Points.Tools.PayPalStandIn;

/// <summary>How the stand-in answers a capture of an approved order.</summary>
public enum CaptureBehaviour
{
    /// <summary>201, capture COMPLETED, then PAYMENT.CAPTURE.COMPLETED.</summary>
    Complete,
    /// <summary>201, capture PENDING (PENDING_REVIEW), then PAYMENT.CAPTURE.PENDING; complete or deny it later with the test hooks.</summary>
    Pend,
    /// <summary>422 INSTRUMENT_DECLINED; the order stays APPROVED.</summary>
    DeclineInstrument,
}

/// <summary>What a test sees of an order in the stand-in.</summary>
/// <param name="Value">The amount's <c>value</c> exactly as the client sent it (e.g. "1000").</param>
public sealed record StandInOrderView(
    string Id, string Status, string CurrencyCode, string Value, string? CustomId, string? InvoiceId,
    string? CaptureId, string? CaptureStatus, long RefundedYen);

internal sealed class StandInOrder
{
    public required string Id { get; init; }
    public required string ReferenceId { get; init; }
    public required string? CustomId { get; init; }
    public required string? InvoiceId { get; init; }
    public required string? Description { get; init; }
    public required string Value { get; init; }
    public required long Yen { get; init; }
    /// <summary>Created with payment_source.paypal.experience_context: a payer-action link and PAYER_ACTION_REQUIRED (facts §3.3).</summary>
    public required bool PayerAction { get; init; }
    public required string? ReturnUrl { get; init; }
    public required string? CancelUrl { get; init; }
    public required DateTimeOffset CreateTime { get; init; }
    public string Status { get; set; } = "CREATED";
    public DateTimeOffset UpdateTime { get; set; }
    public string? PayerId { get; set; }
    public CaptureBehaviour CaptureBehaviour { get; set; }
    public StandInCapture? Capture { get; set; }
}

internal sealed class StandInCapture
{
    public required string Id { get; init; }
    public required StandInOrder Order { get; init; }
    public required DateTimeOffset CreateTime { get; init; }
    public string Status { get; set; } = "COMPLETED";
    public string? StatusReason { get; set; }
    public DateTimeOffset UpdateTime { get; set; }
    public List<StandInRefund> Refunds { get; } = [];
    public long RefundedYen => Refunds.Sum(r => r.Yen);
}

internal sealed class StandInRefund
{
    public required string Id { get; init; }
    public required StandInCapture Capture { get; init; }
    public required long Yen { get; init; }
    public required string? NoteToPayer { get; init; }
    public required DateTimeOffset CreateTime { get; init; }
}

/// <summary>
/// PayPal's resource shapes, as documented (facts §3.3, §3.4, §3.6: Orders v2 order and capture, Payments v2 refund,
/// the webhook event envelope). Only the fields the documentation and the samples there show; figures that PayPal
/// computes (fees) are the stand-in's own.
/// </summary>
internal static class StandInJson
{
    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static JsonObject Money(long yen) => new() { ["currency_code"] = "JPY", ["value"] = yen.ToString(CultureInfo.InvariantCulture) };

    public static JsonObject Link(Uri baseUrl, string path, string rel, string method) =>
        new() { ["href"] = new Uri(baseUrl, path).AbsoluteUri, ["rel"] = rel, ["method"] = method };

    public static JsonObject Order(StandInOrder order, Uri baseUrl)
    {
        var unit = new JsonObject
        {
            ["reference_id"] = order.ReferenceId,
            ["amount"] = new JsonObject { ["currency_code"] = "JPY", ["value"] = order.Value },
            ["payee"] = new JsonObject { ["email_address"] = "merchant@stand-in.example", ["merchant_id"] = "STANDINMERCHANT" },
        };
        if (order.CustomId is not null) unit["custom_id"] = order.CustomId;
        if (order.InvoiceId is not null) unit["invoice_id"] = order.InvoiceId;
        if (order.Description is not null) unit["description"] = order.Description;
        if (order.Capture is { } capture) unit["payments"] = new JsonObject { ["captures"] = new JsonArray(Capture(capture, baseUrl)) };

        var links = new JsonArray(Link(baseUrl, $"v2/checkout/orders/{order.Id}", "self", "GET"));
        if (order.Status is "CREATED" or "PAYER_ACTION_REQUIRED")
        {
            links.Add(Link(baseUrl, $"checkoutnow?token={order.Id}", order.PayerAction ? "payer-action" : "approve", "GET"));
        }
        if (order.Status is "CREATED" or "PAYER_ACTION_REQUIRED" or "APPROVED")
        {
            links.Add(Link(baseUrl, $"v2/checkout/orders/{order.Id}", "update", "PATCH"));
            links.Add(Link(baseUrl, $"v2/checkout/orders/{order.Id}/capture", "capture", "POST"));
        }
        var json = new JsonObject
        {
            ["id"] = order.Id,
            ["intent"] = "CAPTURE",
            ["status"] = order.Status,
            ["purchase_units"] = new JsonArray(unit),
            ["create_time"] = Time(order.CreateTime),
            ["update_time"] = Time(order.UpdateTime),
            ["links"] = links,
        };
        if (order.PayerId is not null)
        {
            json["payer"] = new JsonObject
            {
                ["name"] = new JsonObject { ["given_name"] = "Taro", ["surname"] = "Stand-in" },
                ["email_address"] = "buyer@stand-in.example",
                ["payer_id"] = order.PayerId,
                ["address"] = new JsonObject { ["country_code"] = "JP" },
            };
        }
        return json;
    }

    public static JsonObject Capture(StandInCapture capture, Uri baseUrl)
    {
        var json = new JsonObject
        {
            ["id"] = capture.Id,
            ["status"] = capture.Status,
            ["amount"] = Money(capture.Order.Yen),
            ["final_capture"] = true,
            ["seller_protection"] = new JsonObject { ["status"] = "ELIGIBLE", ["dispute_categories"] = new JsonArray("ITEM_NOT_RECEIVED", "UNAUTHORIZED_TRANSACTION") },
            ["seller_receivable_breakdown"] = new JsonObject
            {
                ["gross_amount"] = Money(capture.Order.Yen),
                ["paypal_fee"] = Money(Fee(capture.Order.Yen)),
                ["net_amount"] = Money(capture.Order.Yen - Fee(capture.Order.Yen)),
            },
            ["supplementary_data"] = new JsonObject { ["related_ids"] = new JsonObject { ["order_id"] = capture.Order.Id } },
            ["create_time"] = Time(capture.CreateTime),
            ["update_time"] = Time(capture.UpdateTime),
            ["links"] = new JsonArray(
                Link(baseUrl, $"v2/payments/captures/{capture.Id}", "self", "GET"),
                Link(baseUrl, $"v2/payments/captures/{capture.Id}/refund", "refund", "POST"),
                Link(baseUrl, $"v2/checkout/orders/{capture.Order.Id}", "up", "GET")),
        };
        if (capture.Order.CustomId is not null) json["custom_id"] = capture.Order.CustomId;
        if (capture.Order.InvoiceId is not null) json["invoice_id"] = capture.Order.InvoiceId;
        if (capture.StatusReason is not null) json["status_details"] = new JsonObject { ["reason"] = capture.StatusReason };
        return json;
    }

    public static JsonObject Refund(StandInRefund refund, Uri baseUrl)
    {
        var json = new JsonObject
        {
            ["id"] = refund.Id,
            ["amount"] = Money(refund.Yen),
            ["status"] = "COMPLETED",
            ["seller_payable_breakdown"] = new JsonObject
            {
                ["gross_amount"] = Money(refund.Yen),
                ["paypal_fee"] = Money(0),
                ["net_amount"] = Money(refund.Yen),
                ["total_refunded_amount"] = Money(refund.Capture.RefundedYen),
            },
            ["create_time"] = Time(refund.CreateTime),
            ["update_time"] = Time(refund.CreateTime),
            // The up link is how a refund names its capture (facts §3.6).
            ["links"] = new JsonArray(
                Link(baseUrl, $"v2/payments/refunds/{refund.Id}", "self", "GET"),
                Link(baseUrl, $"v2/payments/captures/{refund.Capture.Id}", "up", "GET")),
        };
        if (refund.Capture.Order.InvoiceId is not null) json["invoice_id"] = refund.Capture.Order.InvoiceId;
        if (refund.Capture.Order.CustomId is not null) json["custom_id"] = refund.Capture.Order.CustomId;
        if (refund.NoteToPayer is not null) json["note_to_payer"] = refund.NoteToPayer;
        return json;
    }

    /// <summary>PayPal's error shape (name, message, debug_id, details[].issue, links: facts §3.4 errors).</summary>
    public static JsonObject Error(string name, string message, string issue, string description) => new()
    {
        ["name"] = name,
        ["message"] = message,
        ["debug_id"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(7)),
        ["details"] = new JsonArray(new JsonObject { ["issue"] = issue, ["description"] = description }),
        ["links"] = new JsonArray(new JsonObject
        {
            ["href"] = $"https://developer.paypal.com/docs/api/orders/v2/#error-{issue}",
            ["rel"] = "information_link",
            ["method"] = "GET",
        }),
    };

    /// <summary>A PayPal-looking id: 17 upper-case letters and digits (e.g. 5O190127TN364715T).</summary>
    public static string NewId() => RandomNumberGenerator.GetString("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", 17);

    /// <summary>The stand-in's fee (3.6% + ¥40, rounded down): a plausible figure, not PayPal's price list.</summary>
    private static long Fee(long yen) => Math.Min(yen, yen * 36 / 1000 + 40);
}
