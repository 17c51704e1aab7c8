using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Options;
using Points.Domain.Primitives;
using Points.Domain.Withdrawals;
using Points.Functions.Hosting;
using Points.Functions.Storage;

namespace Points.Functions.Withdrawals;

/// <summary>Keys that encrypt bank account data (section <c>BankData</c>; in Azure a Key Vault reference).</summary>
public sealed class BankDataOptions
{
    /// <summary>The current AES-256 key, base64 (32 bytes). Every new or re-encrypted account uses it.</summary>
    public string? EncryptionKey { get; set; }
    /// <summary>Earlier keys, base64, comma-separated: still read during a rotation until every account is re-encrypted.</summary>
    public string? PreviousKeys { get; set; }
}

/// <summary>Ciphertext of one bank account: the key's id (a fingerprint of the key), nonce, ciphertext and tag, base64.</summary>
public sealed record SealedData(string KeyId, string Nonce, string Ciphertext, string Tag);

/// <summary>
/// AES-GCM encryption of bank account data under keys from configuration. The key id stored beside the ciphertext is a
/// fingerprint of the key, so a rotation needs no id bookkeeping: put the new key in <c>EncryptionKey</c>, the old one
/// in <c>PreviousKeys</c>, re-encrypt (<c>POST /api/v1/admin/bank-accounts/re-encrypt</c>), then drop the old key.
/// The member id is bound in as associated data: a ciphertext copied to another member does not open.
/// </summary>
public sealed class BankDataProtector
{
    private const int KeyBytes = 32;
    private const int NonceBytes = 12;
    private const int TagBytes = 16;
    /// <summary>Outside Azure and Production only, when no key is configured (local runs, tests).</summary>
    private static readonly byte[] DevelopmentKey = SHA256.HashData("points-local-development-bank-data-key"u8);

    private readonly (string Id, byte[] Key)? _current;
    private readonly Dictionary<string, byte[]> _byId = new(StringComparer.Ordinal);

    public BankDataProtector(IOptions<BankDataOptions> options, IHostEnvironment environment)
    {
        var current = AzureHosting.ResolvedSetting(options.Value.EncryptionKey) is { } configured ? Decode(configured)
            : AzureHosting.AllowsDevelopmentSecrets(environment) ? DevelopmentKey : null;
        if (current is not null) _current = (IdOf(current), current);
        foreach (var key in new[] { current }.Concat((AzureHosting.ResolvedSetting(options.Value.PreviousKeys) ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Decode)).OfType<byte[]>())
        {
            _byId[IdOf(key)] = key;
        }
    }

    /// <summary>The id of the key new ciphertexts use.</summary>
    public string CurrentKeyId => Current.Id;

    private (string Id, byte[] Key) Current =>
        _current ?? throw new InvalidOperationException("BankData:EncryptionKey is not configured; bank accounts are unavailable.");

    public SealedData Seal(ReadOnlySpan<byte> plaintext, MemberId memberId) => Seal(plaintext, memberId.Value);

    public byte[] Open(SealedData sealedData, MemberId memberId) => Open(sealedData, memberId.Value);

    /// <summary>
    /// Seals other secrets at rest under the same keys and rotation (partners' webhook secrets), bound to
    /// <paramref name="owner"/>: a name no member id can take (e.g. <c>webhook-secret/{id}</c>; member ids have no slash).
    /// </summary>
    public SealedData Seal(ReadOnlySpan<byte> plaintext, string owner)
    {
        var (id, key) = Current;
        var nonce = RandomNumberGenerator.GetBytes(NonceBytes);
        var ciphertext = new byte[plaintext.Length];
        var tag = new byte[TagBytes];
        using var aes = new AesGcm(key, TagBytes);
        aes.Encrypt(nonce, plaintext, ciphertext, tag, Encoding.UTF8.GetBytes(owner));
        return new SealedData(id, Convert.ToBase64String(nonce), Convert.ToBase64String(ciphertext), Convert.ToBase64String(tag));
    }

    public byte[] Open(SealedData sealedData, string owner)
    {
        var key = _byId.GetValueOrDefault(sealedData.KeyId)
            ?? throw new InvalidOperationException($"Bank data key {sealedData.KeyId} is not configured (BankData:EncryptionKey or PreviousKeys).");
        var ciphertext = Convert.FromBase64String(sealedData.Ciphertext);
        var plaintext = new byte[ciphertext.Length];
        using var aes = new AesGcm(key, TagBytes);
        aes.Decrypt(Convert.FromBase64String(sealedData.Nonce), ciphertext, Convert.FromBase64String(sealedData.Tag), plaintext,
            Encoding.UTF8.GetBytes(owner));
        return plaintext;
    }

    private static byte[] Decode(string base64) =>
        Convert.FromBase64String(base64) is { Length: KeyBytes } key ? key : throw new InvalidOperationException($"A bank data key must be {KeyBytes} bytes, base64.");

    private static string IdOf(byte[] key) => Convert.ToHexStringLower(SHA256.HashData(key))[..8];
}

/// <summary>What may be shown of an account: everything but the number, of which the last four digits.</summary>
public sealed record MaskedBankAccount(string BankCode, string BranchCode, AccountType AccountType, string AccountNumberLast4, string HolderKana)
{
    public static MaskedBankAccount Of(BankAccount account) =>
        new(account.BankCode, account.BranchCode, account.AccountType, account.MaskedNumber, account.HolderKana);
}

/// <summary>A member's bank account: beside the member document (same partition), the account sealed, the masked view in clear.</summary>
public sealed record BankAccountDocument
{
    public const string DocumentId = "bank-account";

    [JsonPropertyName("id")]
    public string Id { get; init; } = DocumentId;
    public required string MemberId { get; init; }
    public string DocType { get; init; } = "bankAccount";
    public required SealedData Sealed { get; init; }
    public required MaskedBankAccount Masked { get; init; }
    public required int Version { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>The sealed account as a request keeps it: what the payout goes to, even if the member changes the account later.</summary>
public sealed record BankAccountSnapshot(SealedData Sealed, MaskedBankAccount Masked, int Version);

/// <summary>Stores, reads, opens and re-encrypts members' bank accounts. The number is never logged or answered.</summary>
public sealed class BankAccounts(CosmosStorage cosmos, BankDataProtector protector, TimeProvider clock)
{
    /// <summary>Accounts re-encrypted per call of the rotation command (a page of the read feed).</summary>
    public const int ReEncryptPageMax = 500;

    private sealed record Plain(string BankCode, string BranchCode, AccountType AccountType, string AccountNumber, string HolderKana);

    public async Task<MaskedBankAccount> SaveAsync(MemberId memberId, BankAccount account, CancellationToken cancellationToken)
    {
        var (existing, _) = await CosmosStorage.ReadOrNullAsync<BankAccountDocument>(cosmos.Ledger, BankAccountDocument.DocumentId, memberId.Value, cancellationToken);
        var document = new BankAccountDocument
        {
            MemberId = memberId.Value,
            Sealed = Seal(account, memberId),
            Masked = MaskedBankAccount.Of(account),
            Version = (existing?.Version ?? 0) + 1,
            UpdatedAt = clock.GetUtcNow(),
        };
        await cosmos.Ledger.UpsertItemAsync(document, new PartitionKey(memberId.Value), cancellationToken: cancellationToken);
        return document.Masked;
    }

    public async Task<BankAccountDocument?> ReadAsync(MemberId memberId, CancellationToken cancellationToken) =>
        (await CosmosStorage.ReadOrNullAsync<BankAccountDocument>(cosmos.Ledger, BankAccountDocument.DocumentId, memberId.Value, cancellationToken)).Item;

    public Task<bool> DeleteAsync(MemberId memberId, CancellationToken cancellationToken) =>
        CosmosStorage.DeleteIfExistsAsync(cosmos.Ledger, BankAccountDocument.DocumentId, memberId.Value, cancellationToken);

    public BankAccount Open(BankAccountSnapshot snapshot, MemberId memberId)
    {
        var plain = JsonSerializer.Deserialize<Plain>(protector.Open(snapshot.Sealed, memberId), JsonDefaults.Options)!;
        return BankAccount.FromStored(plain.BankCode, plain.BranchCode, plain.AccountType, plain.AccountNumber, plain.HolderKana);
    }

    /// <summary>
    /// One page of the rotation: every account sealed under another key is re-encrypted under the current one — the
    /// members' accounts and the copies withdrawal records keep (read feed of the ledger container). Returns how many
    /// and where to continue (null: done).
    /// </summary>
    public async Task<(int ReEncrypted, string? Continuation)> ReEncryptPageAsync(string? continuation, CancellationToken cancellationToken)
    {
        using var feed = cosmos.Ledger.GetItemQueryIterator<JsonElement>((string?)null, continuation,
            new QueryRequestOptions { MaxItemCount = ReEncryptPageMax });
        var page = await feed.ReadNextAsync(cancellationToken);
        var reEncrypted = 0;
        foreach (var item in page)
        {
            switch (item.TryGetProperty("docType", out var type) ? type.GetString() : null)
            {
                case "bankAccount" when item.Deserialize<BankAccountDocument>(JsonDefaults.Options) is { } account && account.Sealed.KeyId != protector.CurrentKeyId:
                    await cosmos.Ledger.UpsertItemAsync(account with { Sealed = ReSeal(account.Sealed, account.MemberId) }, new PartitionKey(account.MemberId),
                        cancellationToken: cancellationToken);
                    reEncrypted++;
                    break;
                case "withdrawal" when item.Deserialize<WithdrawalDocument>(JsonDefaults.Options) is { BankAccount: { } copy } record && copy.Sealed.KeyId != protector.CurrentKeyId:
                    // Unconditional: a record's other fields change only by its own handler, which keeps a set copy as it is.
                    await cosmos.Ledger.PatchItemAsync<WithdrawalDocument>(record.Id, new PartitionKey(record.MemberId),
                        [PatchOperation.Set("/bankAccount/sealed", ReSeal(copy.Sealed, record.MemberId))], cancellationToken: cancellationToken);
                    reEncrypted++;
                    break;
            }
        }
        return (reEncrypted, feed.HasMoreResults ? page.ContinuationToken : null);
    }

    private SealedData ReSeal(SealedData sealedData, string memberId) =>
        protector.Seal(protector.Open(sealedData, MemberId.Parse(memberId)), MemberId.Parse(memberId));

    private SealedData Seal(BankAccount account, MemberId memberId) =>
        protector.Seal(JsonSerializer.SerializeToUtf8Bytes(new Plain(account.BankCode, account.BranchCode, account.AccountType, account.AccountNumber,
            account.HolderKana), JsonDefaults.Options), memberId);
}
