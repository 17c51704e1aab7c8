using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Options;

namespace Points.Functions.PayPal;

/// <summary>
/// The certificate chains named by webhooks' <c>PAYPAL-CERT-URL</c> (facts §3.9 step 3 and "Recommended checks"):
/// downloaded over https from an allow-listed host only, size- and time-limited, without redirects, cached by URL;
/// and judged at each use against the injected clock (validity) and the trust anchors (chain).
/// </summary>
internal sealed partial class PayPalWebhookCertificates(
    IHttpClientFactory httpClients, IOptions<PayPalOptions> options, TimeProvider time, ILogger<PayPalWebhookCertificates> logger)
{
    /// <summary>The named HTTP client that downloads certificates (no retries, no redirects; see <see cref="CreateHandler"/>).</summary>
    public const string HttpClientName = "PayPal.Certificates";

    /// <summary>A PEM chain of a few certificates is a few KiB.</summary>
    public const int CertificateBytesMax = 64 * 1024;

    /// <summary>How long one download may take.</summary>
    public static readonly TimeSpan DownloadTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Certificate URLs kept; PayPal rotates by URL, so a full cache is simply emptied.</summary>
    public const int CachedUrlsMax = 32;

    /// <summary>The path PayPal serves them under (facts §3.1 samples, §3.9 hardening).</summary>
    public const string CertificatePathPrefix = "/v1/notifications/certs/";

    /// <summary>PayPal's signing certificates are named messageverificationcerts…paypal.com (facts §3.9: PayPal's Java SDK checks the CN).</summary>
    private const string SubjectPrefix = "messageverificationcerts";
    private const string SubjectSuffix = ".paypal.com";

    private readonly ConcurrentDictionary<string, X509Certificate2Collection> _cache = new(StringComparer.Ordinal);
    private readonly Lazy<X509Certificate2?> _standInRoot = new(() => StandInRoot(options.Value));

    public bool IsAllowed(string certUrl, out Uri url)
    {
        url = null!;
        if (!Uri.TryCreate(certUrl, UriKind.Absolute, out var parsed)) return false;
        url = parsed;
        return parsed.Scheme == Uri.UriSchemeHttps
            && parsed.UserInfo.Length == 0
            && parsed.Query.Length == 0
            && parsed.Fragment.Length == 0
            && parsed.AbsolutePath.StartsWith(CertificatePathPrefix, StringComparison.Ordinal)
            && options.Value.EffectiveCertificateHosts.Contains(parsed.IdnHost, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The chain at <paramref name="url"/> (leaf first), from the cache or downloaded; null when it cannot be had.</summary>
    public async Task<X509Certificate2Collection?> GetAsync(Uri url, CancellationToken cancellationToken)
    {
        if (_cache.TryGetValue(url.AbsoluteUri, out var cached)) return cached;
        var downloaded = await DownloadAsync(url, cancellationToken);
        if (downloaded is null) return null;
        if (_cache.Count >= CachedUrlsMax) _cache.Clear();
        return _cache.GetOrAdd(url.AbsoluteUri, downloaded);
    }

    /// <summary>Whether the leaf is valid now (by the injected clock).</summary>
    public bool IsTimeValid(X509Certificate2 leaf)
    {
        var now = time.GetUtcNow();
        return now >= leaf.NotBefore.ToUniversalTime() && now <= leaf.NotAfter.ToUniversalTime();
    }

    /// <summary>
    /// Whether the leaf is PayPal's message verification certificate, chained (with the downloaded intermediates) to a
    /// root the system trusts — or, only when configured for the stand-in, to the stand-in's root — and valid now.
    /// </summary>
    public bool IsTrusted(X509Certificate2Collection chain)
    {
        var leaf = chain[0];
        var name = leaf.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        if (!name.StartsWith(SubjectPrefix, StringComparison.OrdinalIgnoreCase) || !name.EndsWith(SubjectSuffix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        if (Builds(chain, customRoot: null)) return true;
        return _standInRoot.Value is { } root && Builds(chain, root);
    }

    /// <summary>
    /// The download client's handler: no redirects (a redirect could leave the allow-list), and TLS trust as the system's,
    /// plus the stand-in's root only when <see cref="PayPalOptions.StandInRootCertificate"/> is set.
    /// </summary>
    public static SocketsHttpHandler CreateHandler(PayPalOptions settings)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectTimeout = DownloadTimeout,
            MaxResponseHeadersLength = 64, // KiB
            UseCookies = false,
        };
        if (StandInRoot(settings) is { } root)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                errors == SslPolicyErrors.None
                || (errors == SslPolicyErrors.RemoteCertificateChainErrors && certificate is X509Certificate2 served && BuildsTo(served, root));
        }
        return handler;
    }

    private bool Builds(X509Certificate2Collection chain, X509Certificate2? customRoot)
    {
        using var builder = new X509Chain();
        // No network per webhook: no revocation lookups, no fetching of missing intermediates (README "PayPal").
        builder.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        builder.ChainPolicy.DisableCertificateDownloads = true;
        builder.ChainPolicy.VerificationTime = time.GetUtcNow().UtcDateTime;
        builder.ChainPolicy.ExtraStore.AddRange(chain.Skip(1).ToArray());
        if (customRoot is not null)
        {
            builder.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            builder.ChainPolicy.CustomTrustStore.Add(customRoot);
        }
        return builder.Build(chain[0]);
    }

    private static bool BuildsTo(X509Certificate2 certificate, X509Certificate2 root)
    {
        using var builder = new X509Chain();
        builder.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        builder.ChainPolicy.DisableCertificateDownloads = true;
        builder.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        builder.ChainPolicy.CustomTrustStore.Add(root);
        return builder.Build(certificate);
    }

    private async Task<X509Certificate2Collection?> DownloadAsync(Uri url, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(DownloadTimeout);
        try
        {
            var http = httpClients.CreateClient(HttpClientName);
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                Log.DownloadFailed(logger, url.IdnHost, $"status {(int)response.StatusCode}");
                return null;
            }
            var pem = await PayPalHttp.ReadLimitedAsync(response.Content, CertificateBytesMax, "certificate", timeout.Token);
            var chain = new X509Certificate2Collection();
            chain.ImportFromPem(Encoding.ASCII.GetString(pem));
            if (chain.Count == 0)
            {
                Log.DownloadFailed(logger, url.IdnHost, "no certificate in the PEM");
                return null;
            }
            return chain;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Log.DownloadFailed(logger, url.IdnHost, $"no answer within {DownloadTimeout.TotalSeconds} s");
            return null;
        }
        catch (Exception e) when (e is HttpRequestException or CryptographicException or PayPalProtocolException)
        {
            Log.DownloadFailed(logger, url.IdnHost, e.GetType().Name);
            return null;
        }
    }

    private static X509Certificate2? StandInRoot(PayPalOptions settings) =>
        string.IsNullOrWhiteSpace(settings.StandInRootCertificate) ? null : X509Certificate2.CreateFromPem(settings.StandInRootCertificate);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "PayPal webhook certificate from {Host} not obtained: {Reason}")]
        public static partial void DownloadFailed(ILogger logger, string host, string reason);
    }
}
