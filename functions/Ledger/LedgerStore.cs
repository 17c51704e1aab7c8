using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Azure.Cosmos;
using Points.Domain.Ledger;
using Points.Domain.Primitives;
using Points.Functions.Storage;

namespace Points.Functions.Ledger;

/// <summary>Cosmos reads and writes of the ledger container (partition = member). Point operations and single-partition queries only.</summary>
public sealed class LedgerStore(CosmosStorage cosmos)
{
    private Container Ledger => cosmos.Ledger;

    public Task<(AccountDocument? Account, string? ETag)> ReadAccountAsync(MemberId memberId, CancellationToken cancellationToken) =>
        CosmosStorage.ReadOrNullAsync<AccountDocument>(Ledger, AccountDocument.DocumentId, memberId.Value, cancellationToken);

    /// <summary>The account as stored now, or null when the member does not exist.</summary>
    public async Task<AccountVersion?> ReadAccountVersionAsync(MemberId memberId, CancellationToken cancellationToken)
    {
        using var response = await Ledger.ReadItemStreamAsync(AccountDocument.DocumentId, new PartitionKey(memberId.Value), cancellationToken: cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        var (account, bytes) = await DeserializeAsync(response.Content, cancellationToken);
        return new AccountVersion(account ?? throw new InvalidOperationException($"Member {memberId}: the account document is null."),
            response.Headers.ETag, bytes);
    }

    /// <summary>
    /// The account and the bytes of its JSON. The SDK hands over the answer buffered (a seekable stream): read in place,
    /// not copied into a buffer of our own first.
    /// </summary>
    private static async Task<(AccountDocument? Account, int Bytes)> DeserializeAsync(Stream content, CancellationToken cancellationToken)
    {
        if (content.CanSeek) return (JsonSerializer.Deserialize<AccountDocument>(content, JsonDefaults.Documents), (int)content.Length);
        using var json = new MemoryStream();
        await content.CopyToAsync(json, cancellationToken);
        return (JsonSerializer.Deserialize<AccountDocument>(json.GetBuffer().AsSpan(0, (int)json.Length), JsonDefaults.Documents), (int)json.Length);
    }

    /// <summary>Creates the account; the version written, or null when it exists already.</summary>
    public Task<AccountVersion?> TryCreateAccountAsync(AccountDocument account, CancellationToken cancellationToken) =>
        TryWriteAccountAsync(account, etag: null, cancellationToken);

    /// <summary>
    /// Replaces the account if nobody changed it since <paramref name="etag"/>; the version written, or null on
    /// conflict. A document gone since that version (404) is a conflict too: the caller's version (a cached one, say)
    /// is not the stored one, and its retry reads and finds what is there now.
    /// </summary>
    public Task<AccountVersion?> TryReplaceAccountAsync(AccountDocument account, string etag, CancellationToken cancellationToken) =>
        TryWriteAccountAsync(account, etag, cancellationToken);

    /// <summary>
    /// Serialized here rather than by the SDK (with the SDK's options, <see cref="JsonDefaults.Documents"/>, so the same
    /// JSON) to learn its size, which bounds the account cache; conflicts come back as status codes, not exceptions.
    /// </summary>
    private async Task<AccountVersion?> TryWriteAccountAsync(AccountDocument account, string? etag, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(account, JsonDefaults.Documents);
        // Its buffer visible, so that the SDK can send it without copying it first.
        using var content = new MemoryStream(json, 0, json.Length, writable: false, publiclyVisible: true);
        var partition = new PartitionKey(account.MemberId);
        using var response = etag is null
            ? await Ledger.CreateItemStreamAsync(content, partition, cancellationToken: cancellationToken)
            : await Ledger.ReplaceItemStreamAsync(content, account.Id, partition, new ItemRequestOptions { IfMatchEtag = etag }, cancellationToken);
        if (etag is null ? response.StatusCode == HttpStatusCode.Conflict : response.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
        {
            return null;
        }
        response.EnsureSuccessStatusCode();
        return new AccountVersion(account, response.Headers.ETag, json.Length);
    }

    /// <summary>Writes a sealed page; a page that exists already holds the same committed entries.</summary>
    public async Task CreatePageAsync(JournalPageDocument page, CancellationToken cancellationToken)
    {
        try
        {
            await Ledger.CreateItemAsync(page, new PartitionKey(page.MemberId), cancellationToken: cancellationToken);
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
        }
    }

    public async Task<JournalPageDocument?> ReadPageAsync(MemberId memberId, long pageNo, CancellationToken cancellationToken) =>
        (await CosmosStorage.ReadOrNullAsync<JournalPageDocument>(Ledger, JournalPageDocument.IdOf(pageNo), memberId.Value, cancellationToken)).Item;

    /// <summary>Sealed entries found under a reference (the original and its reversals): one single-partition query.</summary>
    public async Task<IReadOnlyList<JournalEntry>> FindSealedEntriesAsync(MemberId memberId, string reference, CancellationToken cancellationToken)
    {
        var query = new QueryDefinition("SELECT * FROM c WHERE c.docType = 'journal' AND ARRAY_CONTAINS(c.references, @reference)")
            .WithParameter("@reference", reference);
        var found = new List<JournalEntry>();
        using var iterator = Ledger.GetItemQueryIterator<JournalPageDocument>(query,
            requestOptions: new QueryRequestOptions { PartitionKey = new PartitionKey(memberId.Value) });
        while (iterator.HasMoreResults)
        {
            foreach (var page in await iterator.ReadNextAsync(cancellationToken))
            {
                found.AddRange(page.Entries.Where(e => e.References.Contains(reference)));
            }
        }
        return found;
    }

    /// <summary>
    /// The spilled record of <paramref name="key"/>, or null: in a spill page (one query), or as a document of its own
    /// (how records spilled before spill pages; read while such records may still be within retention).
    /// </summary>
    public async Task<IdempotencyRecord?> ReadSpilledRecordAsync(MemberId memberId, string key, CancellationToken cancellationToken)
    {
        var query = new QueryDefinition("SELECT * FROM c WHERE c.memberId = @member AND c.docType = @type AND ARRAY_CONTAINS(c.keys, @key)")
            .WithParameter("@member", memberId.Value).WithParameter("@type", SpilledIdempotencyPage.Type).WithParameter("@key", key);
        using var iterator = Ledger.GetItemQueryIterator<SpilledIdempotencyPage>(query,
            requestOptions: new QueryRequestOptions { PartitionKey = new PartitionKey(memberId.Value) });
        while (iterator.HasMoreResults)
        {
            foreach (var page in await iterator.ReadNextAsync(cancellationToken))
            {
                if (page.Records.FirstOrDefault(r => r.Key == key) is { } record) return record;
            }
        }
        return (await CosmosStorage.ReadOrNullAsync<SpilledIdempotencyDocument>(Ledger, SpilledIdOf(key), memberId.Value, cancellationToken)).Item?.Record;
    }

    /// <summary>Writes the records of one spill as one page (rewriting the same page is harmless: same keys, same records).</summary>
    public Task SpillRecordsAsync(MemberId memberId, IReadOnlyList<IdempotencyRecord> records, CancellationToken cancellationToken)
    {
        var keys = records.Select(r => r.Key).Order(StringComparer.Ordinal).ToList();
        var id = "idem-page-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', keys))))[..40];
        return Ledger.UpsertItemAsync(new SpilledIdempotencyPage { Id = id, MemberId = memberId.Value, Keys = keys, Records = records },
            new PartitionKey(memberId.Value), cancellationToken: cancellationToken);
    }

    /// <summary>Keys may hold any of [A-Za-z0-9._:-]; ids get a fixed-length hash of the key.</summary>
    private static string SpilledIdOf(string key) =>
        "idem-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..40];
}

/// <summary>One stored version of a member's account: the document, its ETag, and the bytes of its JSON.</summary>
public sealed record AccountVersion(AccountDocument Account, string ETag, int Bytes);
