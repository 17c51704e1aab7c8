using System.Net;
using System.Text.Json.Nodes;
using Points.Functions.Tests.Infrastructure;
using Points.Tools.PayPalStandIn;
using static Points.Functions.Tests.Infrastructure.Api;

namespace Points.Functions.Tests.Purchases;

/// <summary>
/// The app configured for the PayPal stand-in (both on loopback, one fake clock), the stand-in sending its webhooks to the
/// app's webhook route, and purchases turned on at 1 yen a point.
/// </summary>
public sealed class PurchaseFixture : AppFixture
{
    public PayPalStandIn StandIn { get; private set; } = null!;

    protected override async Task BeforeConfigureAsync() =>
        StandIn = await PayPalStandIn.StartAsync(new PayPalStandInOptions { TimeProvider = Clock, HoldWebhooks = true });

    protected override void Configure(Dictionary<string, string?> settings)
    {
        foreach (var (name, value) in StandIn.AppSettings) settings[name] = value;
        settings["PayPal:RetryBaseDelay"] = "00:00:00.010";
    }

    protected override async Task AfterStartAsync()
    {
        StandIn.WebhookUrl = new Uri(BaseAddress, "/api/v1/webhooks/paypal");
        await SetSettingsSectionAsync("purchases", Purchases());
    }

    protected override ValueTask OnDisposeAsync() => StandIn.DisposeAsync();

    /// <summary>Purchases on, 100..10,000 points, 15,000 a day; <paramref name="change"/> edits the section.</summary>
    public static JsonObject Purchases(Action<JsonObject>? change = null)
    {
        var section = new JsonObject { ["enabled"] = true, ["yenPerPoint"] = 1, ["minimumPoints"] = 100, ["maximumPoints"] = 10_000, ["dailyPointsMax"] = 15_000 };
        change?.Invoke(section);
        return section;
    }

    /// <summary>Creates a purchase and answers its id and PayPal order id.</summary>
    public async Task<(string PurchaseId, string OrderId)> BuyAsync(string member, long points, string? key = null)
    {
        var created = await Client().SendAsync(HttpMethod.Post, $"/api/v1/members/{member}/purchases", new { points }, key ?? Unique("buy-"));
        if (created.Status != HttpStatusCode.Created) throw new InvalidOperationException($"Purchase refused: {created.Status} {created.Text}");
        return (created.Body.GetProperty("purchaseId").GetString()!, created.Body.GetProperty("paypalOrderId").GetString()!);
    }

    public Task<Reply> CaptureAsync(string member, string purchaseId) =>
        Client().SendAsync(HttpMethod.Post, $"/api/v1/members/{member}/purchases/{purchaseId}/capture");

    public Task<Reply> PurchaseAsync(string member, string purchaseId) =>
        Client().SendAsync(HttpMethod.Get, $"/api/v1/members/{member}/purchases/{purchaseId}");

    /// <summary>The events the stand-in made for an order and its capture, in order.</summary>
    public IReadOnlyList<StandInEvent> EventsOf(string orderId)
    {
        var captureId = StandIn.Order(orderId).CaptureId;
        return [.. StandIn.Events.Where(e => e.ResourceId == orderId || (captureId is not null && e.ResourceId == captureId) || Mentions(e, captureId))];
    }

    /// <summary>Refund events name the refund; their body links the capture.</summary>
    private static bool Mentions(StandInEvent e, string? captureId) =>
        captureId is not null && System.Text.Encoding.UTF8.GetString(e.Body).Contains(captureId, StringComparison.Ordinal);

    /// <summary>Delivers held events until none are left (an applied event may make the next one, e.g. approval → capture → completed).</summary>
    public async Task DeliverHeldAsync()
    {
        for (var round = 0; round < 10; round++)
        {
            await StandIn.DrainAsync();
            if (StandIn.HeldEvents.Count == 0) return;
            foreach (var delivery in await StandIn.ReleaseHeldAsync())
                if (delivery.Status != 200) throw new InvalidOperationException($"Webhook {delivery.EventType} answered {delivery.Status} {delivery.Failure}");
        }
        throw new InvalidOperationException("Webhooks kept coming.");
    }
}
