using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Serialization;
using Microsoft.Azure.Cosmos;
using Points.Functions.Storage;

namespace Points.Functions.Members;

/// <summary>
/// Referral codes (F9): short, unambiguous (no I, L, O, U, 0, 1) and unique, guaranteed by one index document per
/// code (<c>indexes</c>, partition <c>referral|{code}</c>) created before the member is.
/// </summary>
public sealed class ReferralCodes(CosmosStorage cosmos)
{
    private const string Alphabet = "23456789ABCDEFGHJKMNPQRSTVWXYZ";
    public const int Length = 8;
    private const int ReserveAttemptsMax = 5;

    private sealed record CodeDocument([property: JsonPropertyName("id")] string Id, string Pk, string MemberId);

    private static string PartitionOf(string code) => "referral|" + code;

    /// <summary>Reserves a new unique code for <paramref name="memberId"/>.</summary>
    public async Task<string> ReserveAsync(string memberId, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < ReserveAttemptsMax; attempt++)
        {
            var code = NewCode();
            try
            {
                await cosmos.Indexes.CreateItemAsync(new CodeDocument(code, PartitionOf(code), memberId), new PartitionKey(PartitionOf(code)),
                    new ItemRequestOptions { EnableContentResponseOnWrite = false }, cancellationToken);
                return code;
            }
            catch (CosmosException e) when (e.StatusCode == HttpStatusCode.Conflict)
            {
            }
        }
        throw new InvalidOperationException($"No free referral code after {ReserveAttemptsMax} attempts.");
    }

    /// <summary>The member a code belongs to, or null. Codes are matched case-insensitively.</summary>
    public async Task<string?> FindAsync(string code, CancellationToken cancellationToken)
    {
        var normalized = code.Trim().ToUpperInvariant();
        if (normalized.Length != Length || normalized.Any(c => !Alphabet.Contains(c, StringComparison.Ordinal))) return null;
        var (document, _) = await CosmosStorage.ReadOrNullAsync<CodeDocument>(cosmos.Indexes, normalized, PartitionOf(normalized), cancellationToken);
        return document?.MemberId;
    }

    private static string NewCode() =>
        string.Create(Length, 0, static (span, _) =>
        {
            for (var i = 0; i < span.Length; i++) span[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        });
}
