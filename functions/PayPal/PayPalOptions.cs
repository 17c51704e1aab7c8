using Points.Functions.Hosting;

namespace Points.Functions.PayPal;

/// <summary>
/// How the app talks to PayPal and checks its webhooks. Bound from configuration section <c>PayPal</c>
/// (app settings <c>PayPal__BaseUrl</c>, <c>PayPal__ClientId</c>, …). Checked when first used (<see cref="Validate"/>),
/// not at start, so an app without purchases runs without PayPal settings.
/// </summary>
public sealed class PayPalOptions
{
    public const string Section = "PayPal";

    /// <summary>PayPal's sandbox REST host (facts §3.1).</summary>
    public const string SandboxBaseUrl = "https://api-m.sandbox.paypal.com";

    /// <summary>PayPal's live REST host (facts §3.1).</summary>
    public const string LiveBaseUrl = "https://api-m.paypal.com";

    /// <summary>
    /// The hosts PayPal serves webhook certificates from (facts §3.1 and §3.9: live and sandbox, with and without
    /// <c>-m</c>), used when <see cref="CertificateHosts"/> is not configured.
    /// </summary>
    public static readonly IReadOnlyList<string> PayPalCertificateHosts =
        ["api.paypal.com", "api-m.paypal.com", "api.sandbox.paypal.com", "api-m.sandbox.paypal.com"];

    /// <summary>REST base URL: <see cref="SandboxBaseUrl"/> (the default) or <see cref="LiveBaseUrl"/>. https, or http to a loopback stand-in.</summary>
    public string BaseUrl { get; set; } = SandboxBaseUrl;

    /// <summary>The REST app's client id (not a secret).</summary>
    public string? ClientId { get; set; }

    /// <summary>The REST app's client secret; in Azure the Key Vault reference <c>PayPal__ClientSecret</c> (infra-bicep/modules/appsettings.bicep).</summary>
    public string? ClientSecret { get; set; }

    /// <summary>Our webhook's id from PayPal's dashboard: part of every signed message (facts §3.9 step 2).</summary>
    public string? WebhookId { get; set; }

    /// <summary>
    /// Hosts a <c>PAYPAL-CERT-URL</c> may point at. Not configured: <see cref="PayPalCertificateHosts"/>. Configured
    /// (<c>PayPal:CertificateHosts:0</c>, …): exactly the hosts listed, PayPal's included only if listed.
    /// </summary>
    public string[]? CertificateHosts { get; set; }

    /// <summary>
    /// The PEM of the local stand-in's test root (tools/PayPalStandIn). Only when set is that root trusted, and then
    /// only as one extra anchor: for the stand-in's certificate download (TLS) and for its webhook signing chain.
    /// Refused when the app runs in Azure.
    /// </summary>
    public string? StandInRootCertificate { get; set; }

    /// <summary>How far a webhook's <c>PAYPAL-TRANSMISSION-TIME</c> may be from our clock, either way.</summary>
    public TimeSpan TransmissionTimeTolerance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Retries of one REST call after a 5xx, a 429 or a timeout (never after another 4xx).</summary>
    public int RetryAttempts { get; set; } = 3;

    /// <summary>First retry delay; later ones back off exponentially, with jitter (a 429's Retry-After wins).</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Time one attempt of a REST call may take.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Time a REST call may take with all its attempts and delays.</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromMinutes(2);

    public IReadOnlyList<string> EffectiveCertificateHosts => CertificateHosts is { Length: > 0 } hosts ? hosts : PayPalCertificateHosts;

    /// <summary>What the REST client needs; throws naming the missing or wrong setting (never a value).</summary>
    public void ValidateForRestCalls()
    {
        Validate();
        if (string.IsNullOrWhiteSpace(ClientId)) throw Missing(nameof(ClientId));
        if (AzureHosting.ResolvedSetting(ClientSecret) is null) throw Missing(nameof(ClientSecret));
    }

    /// <summary>What webhook verification needs; throws naming the missing or wrong setting (never a value).</summary>
    public void ValidateForWebhooks()
    {
        Validate();
        if (string.IsNullOrWhiteSpace(WebhookId)) throw Missing(nameof(WebhookId));
    }

    /// <summary>The settings both need.</summary>
    public void Validate()
    {
        if (!Uri.TryCreate(BaseUrl, UriKind.Absolute, out var baseUrl)
            || !(baseUrl.Scheme == Uri.UriSchemeHttps || (baseUrl.Scheme == Uri.UriSchemeHttp && baseUrl.IsLoopback))
            || baseUrl.AbsolutePath != "/" || !string.IsNullOrEmpty(baseUrl.Query) || !string.IsNullOrEmpty(baseUrl.UserInfo))
        {
            throw new InvalidOperationException(
                $"{Section}:{nameof(BaseUrl)} must be an https origin such as {SandboxBaseUrl} or {LiveBaseUrl} (http only to a loopback stand-in).");
        }
        if (StandInRootCertificate is not null && AzureHosting.IsRunningInAzure)
        {
            throw new InvalidOperationException($"{Section}:{nameof(StandInRootCertificate)} is for the local stand-in only and is refused in Azure.");
        }
        if (TransmissionTimeTolerance <= TimeSpan.Zero || TransmissionTimeTolerance > TimeSpan.FromHours(1))
        {
            throw new InvalidOperationException($"{Section}:{nameof(TransmissionTimeTolerance)} must be more than zero and at most 1 hour.");
        }
        if (RetryAttempts is < 0 or > 10) throw new InvalidOperationException($"{Section}:{nameof(RetryAttempts)} must be within 0..10.");
        if (RetryBaseDelay < TimeSpan.Zero || AttemptTimeout <= TimeSpan.Zero || TotalTimeout < AttemptTimeout)
        {
            throw new InvalidOperationException(
                $"{Section}: {nameof(RetryBaseDelay)} must not be negative, {nameof(AttemptTimeout)} must be positive and at most {nameof(TotalTimeout)}.");
        }
    }

    internal Uri BaseUri => new(BaseUrl.TrimEnd('/') + "/", UriKind.Absolute);

    private static InvalidOperationException Missing(string name) =>
        new($"{Section}:{name} is not configured (a Key Vault reference that does not resolve counts as not configured).");
}
