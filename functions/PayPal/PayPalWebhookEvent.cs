using System.Text.Json;

namespace Points.Functions.PayPal;

/// <summary>
/// A verified webhook event (facts §3.6): its id (<c>WH-…</c>, the dedupe key), type, and its resource read by
/// <c>resource_type</c>: an order for <c>checkout-order</c> (CHECKOUT.ORDER.APPROVED), a capture for <c>capture</c>
/// (PAYMENT.CAPTURE.COMPLETED/PENDING/DENIED/DECLINED), a refund for <c>refund</c> (PAYMENT.CAPTURE.REFUNDED, and
/// PAYMENT.CAPTURE.REVERSED, whose published samples carry a refund resource). Other resource types leave all three null.
/// </summary>
public sealed record PayPalWebhookEvent(string Id, string EventType, string ResourceType, PayPalOrder? Order, PayPalCapture? Capture, PayPalRefund? Refund)
{
    /// <summary>Reads the raw body (after <see cref="PayPalWebhookVerifier"/> said it is PayPal's).</summary>
    /// <exception cref="PayPalProtocolException">The body is not an event of the documented shape; the message names what was expected.</exception>
    public static PayPalWebhookEvent Parse(ReadOnlyMemory<byte> body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            throw new PayPalProtocolException("A PayPal webhook body was not JSON; expected an event {id, event_type, resource_type, resource}.", e);
        }
        using (document)
        {
            const string Where = "webhook event";
            var root = document.RootElement;
            var id = PayPalJson.RequiredString(root, "id", Where);
            var eventType = PayPalJson.RequiredString(root, "event_type", Where);
            var resourceType = PayPalJson.RequiredString(root, "resource_type", Where);
            if (!root.TryGetProperty("resource", out var resource) || resource.ValueKind != JsonValueKind.Object)
            {
                throw PayPalJson.Expected($"{Where}.resource as an object");
            }
            var where = $"{Where} {eventType}: resource";
            return resourceType switch
            {
                "checkout-order" => new PayPalWebhookEvent(id, eventType, resourceType, PayPalJson.Order(resource, $"{Where} {eventType}"), null, null),
                "capture" => new PayPalWebhookEvent(id, eventType, resourceType, null, PayPalJson.Capture(resource, where), null),
                "refund" => new PayPalWebhookEvent(id, eventType, resourceType, null, null, PayPalJson.Refund(resource, where)),
                _ => new PayPalWebhookEvent(id, eventType, resourceType, null, null, null),
            };
        }
    }
}
