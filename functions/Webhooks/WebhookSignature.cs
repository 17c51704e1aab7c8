using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Points.Functions.Webhooks;

/// <summary>
/// How deliveries are signed, in the Standard Webhooks style: the signed content is <c>{id}.{timestamp}.{body}</c>,
/// the signature <c>v1,{base64 HMAC-SHA256}</c> under the secret's bytes (<c>whsec_{base64}</c>); during a rotation
/// the header lists one signature per live secret, space-separated, and a partner accepts any that verifies.
/// </summary>
public static class WebhookSignature
{
    public const string IdHeader = "Points-Webhook-Id";
    public const string TimestampHeader = "Points-Webhook-Timestamp";
    public const string SignatureHeader = "Points-Webhook-Signature";
    public const string SecretPrefix = "whsec_";
    private const string Version = "v1,";
    /// <summary>How far a partner should accept a timestamp from its own clock (replay protection).</summary>
    public static readonly TimeSpan ToleranceDefault = TimeSpan.FromMinutes(5);

    public static string SecretOf(byte[] key) => SecretPrefix + Convert.ToBase64String(key);

    public static byte[] KeyOf(string secret) =>
        secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? Convert.FromBase64String(secret[SecretPrefix.Length..])
            : throw new FormatException($"A webhook secret begins with {SecretPrefix}.");

    /// <summary>The header value: a signature per key.</summary>
    public static string Sign(IEnumerable<byte[]> keys, string id, long timestamp, ReadOnlySpan<byte> body)
    {
        var content = Content(id, timestamp, body);
        return string.Join(' ', keys.Select(key => Version + Convert.ToBase64String(HMACSHA256.HashData(key, content))));
    }

    /// <summary>What a partner runs (README "Outbound webhooks"): true when one of the header's signatures is the secret's and the timestamp is fresh.</summary>
    public static bool Verify(string secret, string id, string timestamp, ReadOnlySpan<byte> body, string signatureHeader, DateTimeOffset now, TimeSpan tolerance)
    {
        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || Math.Abs(now.ToUnixTimeSeconds() - seconds) > tolerance.TotalSeconds)
        {
            return false;
        }
        var expected = HMACSHA256.HashData(KeyOf(secret), Content(id, seconds, body));
        foreach (var signature in signatureHeader.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!signature.StartsWith(Version, StringComparison.Ordinal)) continue;
            var given = new byte[expected.Length];
            if (Convert.TryFromBase64String(signature[Version.Length..], given, out var written) && written == expected.Length
                && CryptographicOperations.FixedTimeEquals(given, expected))
            {
                return true;
            }
        }
        return false;
    }

    private static byte[] Content(string id, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes($"{id}.{timestamp.ToString(CultureInfo.InvariantCulture)}.");
        return [.. prefix, .. body];
    }
}
