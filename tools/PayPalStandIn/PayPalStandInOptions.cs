namespace Points.Tools.PayPalStandIn;

/// <summary>How to start the stand-in (<see cref="PayPalStandIn.StartAsync"/>). Every default suits a test.</summary>
public sealed record PayPalStandInOptions
{
    /// <summary>The REST app's client id the token endpoint accepts.</summary>
    public string ClientId { get; init; } = "stand-in-client-id";

    /// <summary>The client secret the token endpoint accepts (a test value, never a real one).</summary>
    public string ClientSecret { get; init; } = "stand-in-client-secret";

    /// <summary>The webhook id every event is signed for (PayPal: alphanumeric, at most 50, facts §3.8).</summary>
    public string WebhookId { get; init; } = "STANDINWEBHOOK0000001";

    /// <summary>Where events are POSTed; may also be set later (<see cref="PayPalStandIn.WebhookUrl"/>). Without one, events are only held.</summary>
    public Uri? WebhookUrl { get; init; }

    /// <summary>Keep events instead of sending them as they happen, so a test sends them itself, in any order.</summary>
    public bool HoldWebhooks { get; init; }

    /// <summary>The clock of transmission times, token expiry, resource times and the signing certificates' validity (share the app's in tests).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Access tokens' <c>expires_in</c>; PayPal's are typically 32,400 s (facts §3.2).</summary>
    public TimeSpan TokenLifetime { get; init; } = TimeSpan.FromSeconds(32400);

    /// <summary>Port of the REST API and approve pages (plain HTTP on 127.0.0.1); 0 picks a free one.</summary>
    public int Port { get; init; }

    /// <summary>Port of the https listener that serves the webhook certificates; 0 picks a free one.</summary>
    public int CertificatePort { get; init; }

    /// <summary>Write the stand-in's ASP.NET Core warnings to the console.</summary>
    public bool ShowOutput { get; init; }
}

/// <summary>How a delivery is signed: genuinely by default; each other value spoils exactly one thing a verifier checks.</summary>
public sealed record WebhookSigning
{
    public static readonly WebhookSigning Genuine = new();

    /// <summary>The certificate that signs, and that PAYPAL-CERT-URL serves.</summary>
    public SigningCertificate Certificate { get; init; } = SigningCertificate.Genuine;

    /// <summary>Sign for another webhook id than the stand-in's (an event meant for another webhook).</summary>
    public string? WebhookId { get; init; }

    /// <summary>Added to the clock for PAYPAL-TRANSMISSION-TIME (negative: a stale transmission).</summary>
    public TimeSpan TransmissionTimeOffset { get; init; }

    /// <summary>The host written in PAYPAL-CERT-URL (e.g. "localhost": the same server under a name an app may not allow).</summary>
    public string CertificateHost { get; init; } = "127.0.0.1";
}

/// <summary>A webhook event as PayPal would send it: its body is fixed once made and every delivery sends the same bytes.</summary>
/// <param name="ResourceId">The order, capture or refund id in <c>resource.id</c>.</param>
public sealed record StandInEvent(string Id, string EventType, string ResourceType, string ResourceId, byte[] Body);

/// <summary>One POST of an event: the app's status code, or why there was none.</summary>
public sealed record WebhookDelivery(string EventId, string EventType, string TransmissionId, int? Status, string? Failure);

/// <summary>The five transmission headers of one delivery (facts §3.7), with the body they sign.</summary>
public sealed record SignedWebhook(StandInEvent Event, IReadOnlyDictionary<string, string> Headers);

/// <summary>One REST request the stand-in answered (method, path, PayPal-Request-Id, status), for tests.</summary>
public sealed record StandInRequest(string Method, string Path, string? RequestId, int Status);
