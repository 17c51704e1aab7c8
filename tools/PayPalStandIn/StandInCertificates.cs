using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Points.Tools.PayPalStandIn;

/// <summary>Which certificate a webhook is signed with (and so which chain its PAYPAL-CERT-URL serves).</summary>
public enum SigningCertificate
{
    /// <summary>The leaf of the stand-in's chain (test root → intermediate → leaf): trusted by an app configured with <see cref="PayPalStandIn.RootCertificatePem"/>.</summary>
    Genuine,
    /// <summary>A leaf of the same chain whose validity ended a day before the stand-in's clock.</summary>
    Expired,
    /// <summary>A leaf of another chain with its own root, which no app is told to trust.</summary>
    Untrusted,
}

/// <summary>
/// The stand-in's test certificates, generated at start with <see cref="CertificateRequest"/>: a root, an
/// intermediate and PayPal-like signing leaves (RSA, for SHA256withRSA; CN messageverificationcerts…paypal.com, as
/// PayPal's Java SDK expects, facts §3.9), and the TLS certificate of the https listener that serves them (issued by
/// the root for 127.0.0.1 and localhost). CA keys are ECDSA P-256: quick to make, and nothing requires RSA there.
/// </summary>
internal sealed class StandInCertificates : IDisposable
{
    private readonly Dictionary<SigningCertificate, Lazy<SigningChain>> _chains;

    public StandInCertificates(DateTimeOffset clockNow)
    {
        // The signing chain is judged by the app's clock (a test's fake one), TLS by the real one: cover both.
        var realNow = DateTimeOffset.UtcNow;
        var earliest = clockNow < realNow ? clockNow : realNow;
        var latest = clockNow > realNow ? clockNow : realNow;

        (Root, var rootKey) = CreateAuthority("CN=Points PayPal Stand-in Test Root", issuer: null, null, earliest.AddYears(-1), latest.AddYears(10));
        (Intermediate, var intermediateKey) = CreateAuthority("CN=Points PayPal Stand-in Test Intermediate", Root, rootKey, earliest.AddYears(-1), latest.AddYears(9));
        TlsCertificate = CreateTls(Root, rootKey, realNow.AddDays(-1), realNow.AddYears(1));
        rootKey.Dispose();

        _chains = new()
        {
            [SigningCertificate.Genuine] = new(() => SigningChain.Issue(Intermediate, intermediateKey, clockNow.AddDays(-30), clockNow.AddYears(2), "genuine")),
            [SigningCertificate.Expired] = new(() => SigningChain.Issue(Intermediate, intermediateKey, clockNow.AddDays(-60), clockNow.AddDays(-1), "expired")),
            [SigningCertificate.Untrusted] = new(() => SigningChain.IssueUnderOwnRoot(clockNow)),
        };
        _intermediateKey = intermediateKey;
    }

    private readonly ECDsa _intermediateKey;

    public X509Certificate2 Root { get; }
    public X509Certificate2 Intermediate { get; }
    public X509Certificate2 TlsCertificate { get; }

    public string RootPem => Root.ExportCertificatePem();

    public SigningChain For(SigningCertificate which) => _chains[which].Value;

    public SigningChain? ByName(string name) => _chains.Values.Where(c => c.IsValueCreated).Select(c => c.Value).FirstOrDefault(c => c.Name == name);

    public void Dispose()
    {
        foreach (var chain in _chains.Values.Where(c => c.IsValueCreated)) chain.Value.Dispose();
        _intermediateKey.Dispose();
        Root.Dispose();
        Intermediate.Dispose();
        TlsCertificate.Dispose();
    }

    internal static (X509Certificate2 Certificate, ECDsa Key) CreateAuthority(
        string subject, X509Certificate2? issuer, ECDsa? issuerKey, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, hasPathLengthConstraint: issuer is not null, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        if (issuer is null)
        {
            return (request.CreateSelfSigned(notBefore, notAfter), key);
        }
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        using var signed = request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey!), notBefore, notAfter, Serial());
        return (signed.CopyWithPrivateKey(key), key);
    }

    private static X509Certificate2 CreateTls(X509Certificate2 root, ECDsa rootKey, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // serverAuth
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));
        using var signed = request.Create(root.SubjectName, X509SignatureGenerator.CreateForECDsa(rootKey), notBefore, notAfter, Serial());
        using var withKey = signed.CopyWithPrivateKey(key);
        // Through PKCS#12, so that TLS can use the key on every platform.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>A random positive serial number.</summary>
    internal static byte[] Serial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        return serial;
    }
}

/// <summary>A signing leaf with its key, and the PEM its certificate URL serves (leaf, then intermediate).</summary>
internal sealed class SigningChain : IDisposable
{
    private readonly IDisposable[] _owned;

    private SigningChain(string name, X509Certificate2 leaf, RSA key, string pem, IDisposable[] owned)
    {
        Name = name;
        Leaf = leaf;
        Key = key;
        Pem = pem;
        _owned = owned;
    }

    /// <summary>The certificate URL's last segment: CERT-{kind}-{thumbprint prefix}.</summary>
    public string Name { get; }
    public X509Certificate2 Leaf { get; }
    public RSA Key { get; }
    public string Pem { get; }

    public static SigningChain Issue(X509Certificate2 intermediate, ECDsa intermediateKey, DateTimeOffset notBefore, DateTimeOffset notAfter, string kind)
    {
        var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=messageverificationcerts.stand-in.paypal.com", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(intermediate, true, false));
        var leaf = request.Create(intermediate.SubjectName, X509SignatureGenerator.CreateForECDsa(intermediateKey), notBefore, notAfter, StandInCertificates.Serial());
        var pem = leaf.ExportCertificatePem() + "\n" + intermediate.ExportCertificatePem() + "\n";
        return new SigningChain($"CERT-{kind}-{leaf.Thumbprint[..16].ToLowerInvariant()}", leaf, key, pem, [leaf, key]);
    }

    /// <summary>Root → intermediate → leaf of their own: what a forger with a chain of their own would serve.</summary>
    public static SigningChain IssueUnderOwnRoot(DateTimeOffset clockNow)
    {
        var (root, rootKey) = StandInCertificates.CreateAuthority("CN=Points PayPal Stand-in Untrusted Root", null, null, clockNow.AddYears(-2), clockNow.AddYears(5));
        var (intermediate, intermediateKey) = StandInCertificates.CreateAuthority("CN=Points PayPal Stand-in Untrusted Intermediate", root, rootKey, clockNow.AddYears(-2), clockNow.AddYears(4));
        using (root)
        using (rootKey)
        using (intermediate)
        using (intermediateKey)
        {
            return Issue(intermediate, intermediateKey, clockNow.AddDays(-30), clockNow.AddYears(2), "untrusted");
        }
    }

    public void Dispose()
    {
        foreach (var owned in _owned) owned.Dispose();
    }
}
