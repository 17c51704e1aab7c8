using System.Globalization;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Options;

namespace Points.Functions.PayPal;

/// <summary>PayPal's webhook transmission headers (facts §3.7). Names are case-insensitive.</summary>
public static class PayPalWebhookHeaders
{
    public const string TransmissionId = "PAYPAL-TRANSMISSION-ID";
    public const string TransmissionTime = "PAYPAL-TRANSMISSION-TIME";
    public const string TransmissionSig = "PAYPAL-TRANSMISSION-SIG";
    public const string CertUrl = "PAYPAL-CERT-URL";
    public const string AuthAlgo = "PAYPAL-AUTH-ALGO";

    public static readonly IReadOnlyList<string> All = [TransmissionId, TransmissionTime, TransmissionSig, CertUrl, AuthAlgo];

    /// <summary>The one algorithm PayPal signs with (facts §3.9 step 4): RSASSA-PKCS1-v1_5 with SHA-256.</summary>
    public const string Sha256WithRsa = "SHA256withRSA";
}

/// <summary>
/// What offline verification of a webhook found: <see cref="Verified"/>, or the first check that failed, in the order
/// they are made. Every failure is answered 400 <c>invalid_signature</c> and nothing of the event is applied.
/// </summary>
public enum PayPalWebhookVerification
{
    Verified,
    /// <summary>One of the five <see cref="PayPalWebhookHeaders"/> is absent, empty or repeated.</summary>
    HeaderMissing,
    /// <summary><c>PAYPAL-AUTH-ALGO</c> is not <c>SHA256withRSA</c>.</summary>
    AlgorithmNotSupported,
    /// <summary><c>PAYPAL-TRANSMISSION-TIME</c> is not a time, or further from our clock than the tolerance (default 5 minutes).</summary>
    TransmissionTimeOutsideWindow,
    /// <summary><c>PAYPAL-CERT-URL</c> is not https on an allow-listed host under /v1/notifications/certs/.</summary>
    CertificateUrlNotAllowed,
    /// <summary>The certificate could not be downloaded (status, timeout, size, not PEM).</summary>
    CertificateUnavailable,
    /// <summary>The signing certificate is not yet valid or has expired.</summary>
    CertificateExpired,
    /// <summary>The chain does not build to a trusted root, or the leaf is not PayPal's message verification certificate.</summary>
    CertificateUntrusted,
    /// <summary>The signature does not verify over <c>transmissionId|transmissionTime|webhookId|crc32</c> (a changed byte, another webhook id, a forged signature).</summary>
    SignatureMismatch,
}

/// <summary>
/// Verifies a PayPal webhook offline (facts §3.9): CRC-32 of the raw body bytes as an unsigned decimal, the message
/// <c>transmissionId|transmissionTime|webhookId|crc32</c> (header strings verbatim, our own webhook id, UTF-8), and the
/// base64 <c>PAYPAL-TRANSMISSION-SIG</c> checked with SHA256withRSA (PKCS#1 v1.5) against the leaf of the chain at
/// <c>PAYPAL-CERT-URL</c>. Give it the exact bytes received: a re-serialized body does not verify.
/// </summary>
public sealed partial class PayPalWebhookVerifier
{
    private readonly PayPalWebhookCertificates _certificates;
    private readonly IOptions<PayPalOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<PayPalWebhookVerifier> _logger;

    internal PayPalWebhookVerifier(PayPalWebhookCertificates certificates, IOptions<PayPalOptions> options, TimeProvider time, ILogger<PayPalWebhookVerifier> logger)
    {
        _certificates = certificates;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>Checks, in order: headers, algorithm, transmission time, certificate URL, download, validity, chain, signature.</summary>
    /// <param name="headers">The request's headers.</param>
    /// <param name="body">The raw request body, exactly as received.</param>
    public async Task<PayPalWebhookVerification> VerifyAsync(IHeaderDictionary headers, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var settings = _options.Value;
        settings.ValidateForWebhooks();

        var result = await CheckAsync(headers, body, settings, cancellationToken);
        if (result != PayPalWebhookVerification.Verified)
        {
            // The id is unverified input: logged short, as a structured field.
            var transmissionId = Single(headers, PayPalWebhookHeaders.TransmissionId) ?? "(none)";
            Log.Refused(_logger, result, transmissionId.Length <= 64 ? transmissionId : transmissionId[..64]);
        }
        return result;
    }

    /// <summary>PayPal's CRC-32 of the body (IEEE, as java.util.zip.CRC32), as the unsigned decimal that is signed.</summary>
    public static string Crc32Decimal(ReadOnlySpan<byte> body) => Crc32.HashToUInt32(body).ToString(CultureInfo.InvariantCulture);

    /// <summary>The signed message (facts §3.9 step 2), UTF-8.</summary>
    public static byte[] SignedMessage(string transmissionId, string transmissionTime, string webhookId, ReadOnlySpan<byte> body) =>
        Encoding.UTF8.GetBytes($"{transmissionId}|{transmissionTime}|{webhookId}|{Crc32Decimal(body)}");

    private async Task<PayPalWebhookVerification> CheckAsync(IHeaderDictionary headers, ReadOnlyMemory<byte> body, PayPalOptions settings, CancellationToken cancellationToken)
    {
        if (Single(headers, PayPalWebhookHeaders.TransmissionId) is not { } transmissionId
            || Single(headers, PayPalWebhookHeaders.TransmissionTime) is not { } transmissionTime
            || Single(headers, PayPalWebhookHeaders.TransmissionSig) is not { } signature
            || Single(headers, PayPalWebhookHeaders.CertUrl) is not { } certUrl
            || Single(headers, PayPalWebhookHeaders.AuthAlgo) is not { } algorithm)
        {
            return PayPalWebhookVerification.HeaderMissing;
        }
        if (!string.Equals(algorithm, PayPalWebhookHeaders.Sha256WithRsa, StringComparison.OrdinalIgnoreCase))
        {
            return PayPalWebhookVerification.AlgorithmNotSupported;
        }
        if (!DateTimeOffset.TryParse(transmissionTime, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var sentAt)
            || (_time.GetUtcNow() - sentAt).Duration() > settings.TransmissionTimeTolerance)
        {
            return PayPalWebhookVerification.TransmissionTimeOutsideWindow;
        }
        if (!_certificates.IsAllowed(certUrl, out var url))
        {
            return PayPalWebhookVerification.CertificateUrlNotAllowed;
        }
        if (await _certificates.GetAsync(url, cancellationToken) is not { } chain)
        {
            return PayPalWebhookVerification.CertificateUnavailable;
        }
        if (!_certificates.IsTimeValid(chain[0]))
        {
            return PayPalWebhookVerification.CertificateExpired;
        }
        if (!_certificates.IsTrusted(chain))
        {
            return PayPalWebhookVerification.CertificateUntrusted;
        }

        var signatureBytes = new byte[signature.Length];
        if (!Convert.TryFromBase64String(signature, signatureBytes, out var length)) return PayPalWebhookVerification.SignatureMismatch;
        using var key = chain[0].GetRSAPublicKey();
        if (key is null) return PayPalWebhookVerification.CertificateUntrusted;
        var message = SignedMessage(transmissionId, transmissionTime, settings.WebhookId!, body.Span);
        return key.VerifyData(message, signatureBytes.AsSpan(0, length), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            ? PayPalWebhookVerification.Verified
            : PayPalWebhookVerification.SignatureMismatch;
    }

    /// <summary>The header's one non-empty value; null when it is absent, empty or repeated.</summary>
    private static string? Single(IHeaderDictionary headers, string name) =>
        headers.TryGetValue(name, out var values) && values.Count == 1 && !string.IsNullOrEmpty(values[0]) ? values[0] : null;

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "PayPal webhook refused: {Check} (transmission {TransmissionId})")]
        public static partial void Refused(ILogger logger, PayPalWebhookVerification check, string transmissionId);
    }
}
