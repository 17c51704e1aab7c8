using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Points.Domain.Primitives;
using Points.Domain.Store;

namespace Points.Functions.Store;

/// <summary>In-store settings, bound from configuration section <c>Store</c>.</summary>
public sealed class StoreOptions
{
    /// <summary>
    /// HMAC-SHA256 key of QR tokens, at least <see cref="QrTokens.SigningKeyLengthMin"/> characters (in Azure a Key Vault
    /// reference). Never logged. Outside Azure and outside Production a development key stands in when it is unset.
    /// </summary>
    public string? QrSigningKey { get; set; }

    /// <summary>Lifetime of a QR token, 1..<see cref="QrTokens.LifetimeMinutesMax"/> minutes (api.md: 5 by default).</summary>
    public int QrTokenMinutes { get; set; } = 5;
}

/// <summary>
/// Short-lived signed tokens a member shows as a QR code at a store terminal (F14).
/// <para>
/// Format: <c>{payload}.{signature}</c>, both base64url without padding. The payload is the UTF-8 text
/// <c>q1|{memberId}|{issuedAt}|{expiresAt}|{nonce}</c> (instants as Unix seconds; the nonce is 16 random bytes in
/// base64url; <c>|</c> cannot occur in a member id). The signature is HMAC-SHA256 over the payload's base64url text.
/// Tokens are bound to one member by the signature, so the terminal never names the member. Whether the token has
/// expired or was already used is decided with the member (<see cref="StoreDecider"/>), so a retried
/// transaction replays its first result even after the token lapsed.
/// </para>
/// </summary>
public sealed class QrTokens
{
    public const int SigningKeyLengthMin = 32;
    public const int LifetimeMinutesMax = 60;
    /// <summary>Longer input is not a token of ours: refused before any work.</summary>
    public const int TokenLengthMax = 256;
    private const string FormatVersion = "q1";
    private const int NonceBytes = 16;
    /// <summary>Public on purpose (it is in the source): only for local runs, refused in Azure and in Production.</summary>
    private const string DevelopmentSigningKey = "points-local-development-qr-signing-key";

    private readonly byte[]? _key;
    private readonly TimeSpan _lifetime;
    private readonly TimeProvider _clock;

    public QrTokens(IOptions<StoreOptions> options, IHostEnvironment environment, TimeProvider clock)
    {
        var configured = Hosting.AzureHosting.ResolvedSetting(options.Value.QrSigningKey);
        if (configured is { Length: > 0 } && configured.Length < SigningKeyLengthMin)
            throw new InvalidOperationException($"Store:QrSigningKey must have at least {SigningKeyLengthMin} characters.");
        var key = configured is { Length: > 0 } ? configured
            : Hosting.AzureHosting.AllowsDevelopmentSecrets(environment) ? DevelopmentSigningKey
            : null;
        _key = key is null ? null : Encoding.UTF8.GetBytes(key);
        if (options.Value.QrTokenMinutes is < 1 or > LifetimeMinutesMax)
            throw new InvalidOperationException($"Store:QrTokenMinutes must be 1..{LifetimeMinutesMax}.");
        _lifetime = TimeSpan.FromMinutes(options.Value.QrTokenMinutes);
        _clock = clock;
    }

    private byte[] Key => _key ?? throw new InvalidOperationException("Store:QrSigningKey is not configured; in-store transactions are unavailable.");

    public (string Token, DateTimeOffset ExpiresAt) Issue(MemberId memberId)
    {
        // Whole seconds, so the instant in the token and the one returned are the same.
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(_clock.GetUtcNow().ToUnixTimeSeconds());
        var expiresAt = issuedAt + _lifetime;
        var nonce = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(NonceBytes));
        var payload = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(string.Join('|', FormatVersion, memberId.Value,
            issuedAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), expiresAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), nonce)));
        return ($"{payload}.{Sign(payload)}", expiresAt);
    }

    /// <summary>Checks shape and signature (constant time). Expiry and reuse are the ledger's to decide.</summary>
    public bool TryRead(string? token, out QrToken read)
    {
        read = null!;
        if (token is not { Length: > 0 and <= TokenLengthMax }) return false;
        var dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || token.IndexOf('.', dot + 1) >= 0) return false;
        var payload = token[..dot];
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(token[(dot + 1)..]), Encoding.ASCII.GetBytes(Sign(payload)))) return false;

        // Signed by us, so well formed unless the format changed: still parsed defensively.
        if (!Base64Url.IsValid(payload)) return false;
        var fields = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(payload)).Split('|');
        if (fields is not [FormatVersion, var member, var issued, var expires, var nonce]
            || !MemberId.TryParse(member, out var memberId)
            || !long.TryParse(issued, NumberStyles.None, CultureInfo.InvariantCulture, out var issuedAt)
            || !long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var expiresAt)
            || expiresAt <= issuedAt || nonce.Length == 0)
        {
            return false;
        }
        read = new QrToken(memberId, DateTimeOffset.FromUnixTimeSeconds(issuedAt), DateTimeOffset.FromUnixTimeSeconds(expiresAt), nonce);
        return true;
    }

    private string Sign(string payload) => Base64Url.EncodeToString(HMACSHA256.HashData(Key, Encoding.ASCII.GetBytes(payload)));
}
