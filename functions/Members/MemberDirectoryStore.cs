using System.Text;
using System.Text.Json.Serialization;
using Microsoft.Azure.Cosmos;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Functions.Api;
using Points.Functions.Ledger.Outbox;
using Points.Functions.Storage;

namespace Points.Functions.Members;

/// <summary>One member's listing in the directory: the <c>indexes</c> container, partition <c>directory|{bucket}</c>, id = member id.</summary>
public sealed record DirectoryDocument
{
    public const string Type = "directoryEntry";

    [JsonPropertyName("id")]
    public required string Id { get; init; }
    public required string Pk { get; init; }
    public string DocType { get; init; } = Type;
    public required string MemberId { get; init; }
    public required IReadOnlyList<string> Tags { get; init; }
    public required string Rank { get; init; }
    public string? StoreId { get; init; }
    public required DateOnly JoinedOn { get; init; }
    public required bool NewsletterOptIn { get; init; }
    public required long Version { get; init; }

    public static string PkOf(int bucket) => "directory|" + bucket;

    public static DirectoryDocument Of(DirectoryEntry e) => new()
    {
        Id = e.MemberId, Pk = PkOf(DirectoryEntry.BucketOf(e.MemberId)), MemberId = e.MemberId, Tags = e.Tags, Rank = e.Rank, StoreId = e.StoreId,
        JoinedOn = e.JoinedOn, NewsletterOptIn = e.NewsletterOptIn, Version = e.Version,
    };
}

/// <summary>What admins search members by (<c>GET /admin/members</c>); every field given must match.</summary>
/// <param name="Q">The beginning of the member id.</param>
public sealed record MemberSearch(string? Tag, string? Rank, string? StoreId, DateOnly? JoinedFrom, DateOnly? JoinedTo, string? Q);

/// <summary>
/// The member directory (issue 17): a small document per member in <see cref="DirectoryEntry.Buckets"/> partitions of
/// the <c>indexes</c> container, written by the outbox of the commit that changed what it lists (a later version wins,
/// so two deliveries in any order leave the newer). A search reads the partitions in order with the filter as a
/// single-partition query each — never a cross-partition query — and pages by (partition, continuation).
/// </summary>
public sealed partial class MemberDirectoryStore(CosmosStorage cosmos, ILogger<MemberDirectoryStore> log) : IOutboxHandler<ListInDirectory>
{
    public async Task HandleAsync(MemberId memberId, ListInDirectory item, CancellationToken cancellationToken)
    {
        var document = DirectoryDocument.Of(item.Entry);
        // A new member's first listing is a create: no read. Anything else goes forward only (a late delivery loses).
        if (document.Version == 1 && await CosmosStorage.TryWriteAsync(cosmos.Indexes, document, document.Id, document.Pk, etag: null, cancellationToken)) return;
        await CosmosStorage.WriteForwardAsync(cosmos.Indexes, document, document.Id, document.Pk, stored => stored.Version >= document.Version,
            attempt => LogConflict(log, memberId.Value, attempt), () => new DirectoryContentionException(memberId.Value), cancellationToken);
    }

    /// <summary>Up to <paramref name="limit"/> members matching <paramref name="search"/> from <paramref name="start"/> on, and where the next page starts (null: the end).</summary>
    public async Task<(IReadOnlyList<DirectoryDocument> Items, SearchPosition? Next)> SearchAsync(MemberSearch search, int limit, SearchPosition start,
        CancellationToken cancellationToken)
    {
        var items = new List<DirectoryDocument>(limit);
        var (bucket, token) = (start.Bucket, start.Token);
        for (; bucket < DirectoryEntry.Buckets && items.Count < limit; (bucket, token) = (bucket + 1, null))
        {
            using var iterator = cosmos.Indexes.GetItemQueryIterator<DirectoryDocument>(Query(search, bucket), token,
                new QueryRequestOptions { PartitionKey = new PartitionKey(DirectoryDocument.PkOf(bucket)), MaxItemCount = limit - items.Count, EnableScanInQuery = true });
            if (!iterator.HasMoreResults) continue;
            var page = await iterator.ReadNextAsync(cancellationToken);
            items.AddRange(page);
            if (iterator.HasMoreResults && page.ContinuationToken is { } next) return (items, new SearchPosition(bucket, next));
        }
        return (items, bucket < DirectoryEntry.Buckets ? new SearchPosition(bucket, null) : null);
    }

    private static QueryDefinition Query(MemberSearch search, int bucket)
    {
        var sql = new StringBuilder("SELECT * FROM c WHERE c.pk = @pk AND c.docType = @type");
        var parameters = new List<(string, object)> { ("@pk", DirectoryDocument.PkOf(bucket)), ("@type", DirectoryDocument.Type) };
        void Where(string condition, string name, object? value)
        {
            if (value is null) return;
            sql.Append(" AND ").Append(condition);
            parameters.Add((name, value));
        }
        Where("ARRAY_CONTAINS(c.tags, @tag)", "@tag", search.Tag);
        Where("c[\"rank\"] = @rank", "@rank", search.Rank); // RANK is a keyword of the query language
        Where("c.storeId = @store", "@store", search.StoreId);
        Where("c.joinedOn >= @from", "@from", search.JoinedFrom?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        Where("c.joinedOn <= @to", "@to", search.JoinedTo?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        Where("STARTSWITH(c.memberId, @q)", "@q", search.Q);
        var query = new QueryDefinition(sql.ToString());
        foreach (var (name, value) in parameters) query = query.WithParameter(name, value);
        return query;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Directory listing of {MemberId}: write conflict (attempt {Attempt})")]
    private static partial void LogConflict(ILogger log, string memberId, int attempt);
}

/// <summary>Where a directory search goes on: the partition, and Cosmos's continuation within it.</summary>
public sealed record SearchPosition(int Bucket, string? Token)
{
    public static readonly SearchPosition Start = new(0, null);

    public string ToToken() => PageTokens.Write(this);

    public static SearchPosition? FromToken(string text) =>
        PageTokens.Read<SearchPosition>(text) is { Bucket: >= 0 and < DirectoryEntry.Buckets } position ? position : null;
}

public sealed class DirectoryContentionException(string memberId) : ContentionException($"The directory listing of member {memberId} is being changed by others.");
