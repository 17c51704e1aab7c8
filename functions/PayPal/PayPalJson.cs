using System.Globalization;
using System.Text.Json;
using Points.Domain.Primitives;

namespace Points.Functions.PayPal;

/// <summary>PayPal answered with an error status that is not one of the outcomes the caller handles.</summary>
public sealed class PayPalApiException(string operation, PayPalError error)
    : Exception($"PayPal {operation} answered {error}.")
{
    public string Operation { get; } = operation;
    public PayPalError Error { get; } = error;
}

/// <summary>PayPal answered something other than what its documentation describes; the message names what was expected (never a value that could be a secret).</summary>
public sealed class PayPalProtocolException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Reads PayPal's documented JSON shapes (Orders v2, Payments v2, facts §3.3–3.6) into the typed results. A field that
/// must be there and is not, or has another type, is a <see cref="PayPalProtocolException"/> naming it.
/// </summary>
internal static class PayPalJson
{
    /// <summary>The order in an answer of <c>orders.create</c>, <c>orders.get</c> or <c>orders.capture</c>, or a webhook's order resource.</summary>
    public static PayPalOrder Order(JsonElement order, string source)
    {
        var where = $"{source}: order";
        var id = RequiredString(order, "id", where);
        var status = OrderStatus(RequiredString(order, "status", where), where);
        var links = Links(order, where);
        string? customId = null, invoiceId = null;
        Yen? amount = null;
        var captures = new List<PayPalCapture>();
        if (order.TryGetProperty("purchase_units", out var units))
        {
            if (units.ValueKind != JsonValueKind.Array) throw Expected($"{where}.purchase_units as an array");
            if (units.GetArrayLength() > 0)
            {
                var unit = units[0];
                customId = OptionalString(unit, "custom_id", $"{where}.purchase_units[0]");
                invoiceId = OptionalString(unit, "invoice_id", $"{where}.purchase_units[0]");
                if (unit.TryGetProperty("amount", out var money)) amount = Yen(money, $"{where}.purchase_units[0].amount");
                if (unit.TryGetProperty("payments", out var payments) && payments.TryGetProperty("captures", out var list))
                {
                    if (list.ValueKind != JsonValueKind.Array) throw Expected($"{where}.purchase_units[0].payments.captures as an array");
                    captures.AddRange(list.EnumerateArray().Select((c, i) => Capture(c, $"{where}.purchase_units[0].payments.captures[{i}]", id)));
                }
            }
        }
        return new PayPalOrder(id, status, links.GetValueOrDefault("payer-action"), links.GetValueOrDefault("approve"), customId, invoiceId, amount, captures);
    }

    /// <summary>A capture: in an order's purchase unit, from <c>GET /v2/payments/captures/{id}</c>, or a webhook's capture resource.</summary>
    public static PayPalCapture Capture(JsonElement capture, string where, string? orderId = null)
    {
        var id = RequiredString(capture, "id", where);
        var status = CaptureStatus(RequiredString(capture, "status", where), where);
        if (!capture.TryGetProperty("amount", out var money)) throw Expected($"{where}.amount");
        var amount = Yen(money, $"{where}.amount");
        orderId ??= capture.TryGetProperty("supplementary_data", out var supplementary)
            && supplementary.TryGetProperty("related_ids", out var related)
            ? OptionalString(related, "order_id", $"{where}.supplementary_data.related_ids")
            : null;
        orderId ??= LastSegmentAfter(Links(capture, where).GetValueOrDefault("up"), "/v2/checkout/orders/");
        return new PayPalCapture(id, status, amount, OptionalString(capture, "custom_id", where), OptionalString(capture, "invoice_id", where), orderId);
    }

    /// <summary>A refund from <c>GET /v2/payments/refunds/{id}</c> or a webhook's refund resource; its capture is its <c>up</c> link (facts §3.6).</summary>
    public static PayPalRefund Refund(JsonElement refund, string where)
    {
        var id = RequiredString(refund, "id", where);
        var status = RefundStatus(RequiredString(refund, "status", where), where);
        if (!refund.TryGetProperty("amount", out var money)) throw Expected($"{where}.amount");
        var amount = Yen(money, $"{where}.amount");
        var captureId = LastSegmentAfter(Links(refund, where).GetValueOrDefault("up"), "/v2/payments/captures/")
            ?? throw Expected($"{where}.links with rel \"up\" to /v2/payments/captures/{{capture_id}}");
        return new PayPalRefund(id, status, amount, captureId, OptionalString(refund, "custom_id", where), OptionalString(refund, "invoice_id", where));
    }

    /// <summary>PayPal's error body; whatever of it is missing stays null (the status alone still says what happened).</summary>
    public static PayPalError Error(int status, ReadOnlySpan<byte> body)
    {
        string name = "(no error name)";
        string? issue = null, debugId = null;
        try
        {
            using var document = JsonDocument.Parse(body.ToArray());
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                // Orders/Payments errors: name, details[].issue, debug_id. OAuth errors: error (e.g. invalid_client).
                if (root.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String) name = n.GetString()!;
                else if (root.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String) name = e.GetString()!;
                if (root.TryGetProperty("details", out var details) && details.ValueKind == JsonValueKind.Array && details.GetArrayLength() > 0
                    && details[0].TryGetProperty("issue", out var i) && i.ValueKind == JsonValueKind.String)
                {
                    issue = i.GetString();
                }
                if (root.TryGetProperty("debug_id", out var d) && d.ValueKind == JsonValueKind.String) debugId = d.GetString();
            }
        }
        catch (JsonException)
        {
            name = "(not JSON)";
        }
        return new PayPalError(status, Truncate(name), issue is null ? null : Truncate(issue), debugId is null ? null : Truncate(debugId));
    }

    /// <summary>An amount in JPY: <c>{currency_code: "JPY", value: "1000"}</c>, an integer string (facts §3.3).</summary>
    public static Yen Yen(JsonElement money, string where)
    {
        var currency = RequiredString(money, "currency_code", where);
        var value = RequiredString(money, "value", where);
        if (currency != "JPY") throw Expected($"{where}.currency_code \"JPY\"");
        if (value.Length is 0 or > 14 || !value.All(char.IsAsciiDigit)
            || !long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var yen) || yen > Domain.Primitives.Yen.Max)
        {
            throw Expected($"{where}.value as a non-negative integer string of yen (JPY has no decimals)");
        }
        return new Yen(yen);
    }

    /// <summary>Yen as PayPal wants it: an integer string, invariant culture, no separators or decimals.</summary>
    public static string Value(Yen amount) => amount.Value.ToString(CultureInfo.InvariantCulture);

    public static string RequiredString(JsonElement obj, string name, string where)
    {
        if (obj.ValueKind != JsonValueKind.Object) throw Expected($"{where} as an object");
        return obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : throw Expected($"{where}.{name} as a non-empty string");
    }

    public static string? OptionalString(JsonElement obj, string name, string where)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw Expected($"{where}.{name} as a string");
    }

    /// <summary>HATEOAS links by <c>rel</c> (the first of each), absolute URLs only.</summary>
    public static Dictionary<string, Uri> Links(JsonElement obj, string where)
    {
        var links = new Dictionary<string, Uri>(StringComparer.Ordinal);
        if (!obj.TryGetProperty("links", out var list)) return links;
        if (list.ValueKind != JsonValueKind.Array) throw Expected($"{where}.links as an array");
        foreach (var link in list.EnumerateArray())
        {
            var rel = RequiredString(link, "rel", $"{where}.links[]");
            var href = RequiredString(link, "href", $"{where}.links[]");
            if (!Uri.TryCreate(href, UriKind.Absolute, out var uri)) throw Expected($"{where}.links[rel={rel}].href as an absolute URL");
            links.TryAdd(rel, uri);
        }
        return links;
    }

    public static PayPalProtocolException Expected(string what) => new($"PayPal's answer did not have the documented shape: expected {what}.");

    private static PayPalOrderStatus OrderStatus(string status, string where) => status switch
    {
        "CREATED" => PayPalOrderStatus.Created,
        "SAVED" => PayPalOrderStatus.Saved,
        "APPROVED" => PayPalOrderStatus.Approved,
        "VOIDED" => PayPalOrderStatus.Voided,
        "COMPLETED" => PayPalOrderStatus.Completed,
        "PAYER_ACTION_REQUIRED" => PayPalOrderStatus.PayerActionRequired,
        _ => throw Expected($"{where}.status one of CREATED, SAVED, APPROVED, VOIDED, COMPLETED, PAYER_ACTION_REQUIRED"),
    };

    private static PayPalCaptureStatus CaptureStatus(string status, string where) => status switch
    {
        "COMPLETED" => PayPalCaptureStatus.Completed,
        "DECLINED" => PayPalCaptureStatus.Declined,
        "PARTIALLY_REFUNDED" => PayPalCaptureStatus.PartiallyRefunded,
        "PENDING" => PayPalCaptureStatus.Pending,
        "REFUNDED" => PayPalCaptureStatus.Refunded,
        "FAILED" => PayPalCaptureStatus.Failed,
        _ => throw Expected($"{where}.status one of COMPLETED, DECLINED, PARTIALLY_REFUNDED, PENDING, REFUNDED, FAILED"),
    };

    private static PayPalRefundStatus RefundStatus(string status, string where) => status switch
    {
        "CANCELLED" => PayPalRefundStatus.Cancelled,
        "FAILED" => PayPalRefundStatus.Failed,
        "PENDING" => PayPalRefundStatus.Pending,
        "COMPLETED" => PayPalRefundStatus.Completed,
        _ => throw Expected($"{where}.status one of CANCELLED, FAILED, PENDING, COMPLETED"),
    };

    /// <summary>The id after <paramref name="prefix"/> in a link such as https://api-m.paypal.com/v2/payments/captures/{id}.</summary>
    private static string? LastSegmentAfter(Uri? link, string prefix)
    {
        if (link is null) return null;
        var path = link.AbsolutePath;
        if (!path.StartsWith(prefix, StringComparison.Ordinal)) return null;
        var id = path[prefix.Length..].TrimEnd('/');
        return id.Length > 0 && !id.Contains('/', StringComparison.Ordinal) ? Uri.UnescapeDataString(id) : null;
    }

    private static string Truncate(string text) => text.Length <= 64 ? text : text[..64];
}
