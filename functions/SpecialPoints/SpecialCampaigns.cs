using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Azure.Cosmos;
using Points.Functions.Storage;

namespace Points.Functions.SpecialPoints;

/// <summary>Where a campaign is: drafted, its targets being counted or counted, its points being granted or granted.</summary>
public enum CampaignState { Draft, Previewing, Previewed, Granting, Granted }

/// <summary>A special points campaign (F26–F27), in the <c>jobs</c> container (partition <c>special-campaigns</c>).</summary>
public sealed record SpecialCampaignDocument
{
    public const string Partition = "special-campaigns";

    [JsonPropertyName("id")]
    public required string Id { get; init; }
    public string Pk { get; init; } = Partition;
    public required string Name { get; init; }
    public required long Points { get; init; }
    public required DateOnly ExpiresOn { get; init; }
    /// <summary>The segment as the admin wrote it (checked when saved).</summary>
    public required JsonElement Segment { get; init; }
    /// <summary>The notification list leaves out members without newsletter opt-in.</summary>
    public bool NewsletterOnly { get; init; }
    public CampaignState State { get; init; } = CampaignState.Draft;
    /// <summary>Feed ranges of the ledger container the running phase scans (one shard each).</summary>
    public int Ranges { get; init; }
    /// <summary>Hash of the request that created it: the same Idempotency-Key with another body is refused.</summary>
    public required string RequestHash { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? PreviewedAt { get; init; }
    public DateTimeOffset? GrantStartedAt { get; init; }
    public DateTimeOffset? GrantedAt { get; init; }
    /// <summary>The notification list, once the grant completed: <c>exports/special-campaigns/{id}/notify.csv</c>.</summary>
    public string? NotifyBlob { get; init; }
}

/// <summary>
/// The progress of one phase (<c>preview</c> or <c>grant</c>) over one feed range: the read feed's continuation, the
/// next page, and what the pages done so far counted. Written once per page (If-Match), so it is the scan's checkpoint.
/// </summary>
public sealed record ScanShardDocument
{
    public const int SampleMax = 20;

    [JsonPropertyName("id")]
    public required string Id { get; init; }
    public required string Pk { get; init; }
    public required string Phase { get; init; }
    public required int Range { get; init; }
    public required string FeedRange { get; init; }
    public string? Continuation { get; init; }
    public int Page { get; init; }
    public bool Done { get; init; }
    public ScanCounts Counts { get; init; } = ScanCounts.Zero;
    public ImmutableArray<string> Sample { get; init; } = [];
    public DateTimeOffset? UpdatedAt { get; init; }

    public static string PartitionOf(string campaignId) => $"special-campaign|{campaignId}";

    public static string IdOf(string phase, int range) => $"{phase}-{range}";
}

/// <summary>
/// What a scan counted. <see cref="Granted"/> is every targeted member holding the campaign's points (granted by
/// this page or found granted before, so a page done again after a stop counts the same); <see cref="Skipped"/> the
/// targeted members the ledger refused (a balance at its bound) or that were gone. Requests: those the scan sent itself
/// (pages, purchase histories, grants as one read and one write each).
/// </summary>
public sealed record ScanCounts(long DocumentsRead, long MembersRead, long Targeted, long Granted, long GrantedBefore, long Skipped, long HistoryReads, long Pages)
{
    public static readonly ScanCounts Zero = new(0, 0, 0, 0, 0, 0, 0, 0);

    public static ScanCounts operator +(ScanCounts a, ScanCounts b) => new(a.DocumentsRead + b.DocumentsRead, a.MembersRead + b.MembersRead,
        a.Targeted + b.Targeted, a.Granted + b.Granted, a.GrantedBefore + b.GrantedBefore, a.Skipped + b.Skipped, a.HistoryReads + b.HistoryReads, a.Pages + b.Pages);
}

/// <summary>The campaign documents and their scan shards.</summary>
public sealed class SpecialCampaignStore(CosmosStorage cosmos)
{
    public async Task<(SpecialCampaignDocument? Campaign, string? ETag)> ReadAsync(string campaignId, CancellationToken cancellationToken) =>
        await CosmosStorage.ReadOrNullAsync<SpecialCampaignDocument>(cosmos.Jobs, campaignId, SpecialCampaignDocument.Partition, cancellationToken);

    /// <summary>Creates the campaign; false when one with its id exists.</summary>
    public Task<bool> CreateAsync(SpecialCampaignDocument campaign, CancellationToken cancellationToken) =>
        CosmosStorage.TryWriteAsync(cosmos.Jobs, campaign, campaign.Id, campaign.Pk, null, cancellationToken);

    /// <summary>Replaces that version of the campaign; false when another writer came first.</summary>
    public Task<bool> TryReplaceAsync(SpecialCampaignDocument campaign, string etag, CancellationToken cancellationToken) =>
        CosmosStorage.TryWriteAsync(cosmos.Jobs, campaign, campaign.Id, campaign.Pk, etag, cancellationToken);

    public async Task<(ScanShardDocument? Shard, string? ETag)> ReadShardAsync(string campaignId, string phase, int range, CancellationToken cancellationToken) =>
        await CosmosStorage.ReadOrNullAsync<ScanShardDocument>(cosmos.Jobs, ScanShardDocument.IdOf(phase, range), ScanShardDocument.PartitionOf(campaignId), cancellationToken);

    public Task<bool> TryWriteShardAsync(ScanShardDocument shard, string? etag, CancellationToken cancellationToken) =>
        CosmosStorage.TryWriteAsync(cosmos.Jobs, shard, shard.Id, shard.Pk, etag, cancellationToken);

    /// <summary>The shards of a phase (one single-partition query).</summary>
    public async Task<IReadOnlyList<ScanShardDocument>> ShardsAsync(string campaignId, string phase, CancellationToken cancellationToken) =>
        [.. (await CosmosStorage.ReadPartitionAsync<ScanShardDocument>(cosmos.Jobs, ScanShardDocument.PartitionOf(campaignId), "true", cancellationToken))
            .Where(s => s.Phase == phase).OrderBy(s => s.Range)];

    /// <summary>The feed ranges of the ledger container, serialized: one shard each.</summary>
    public async Task<IReadOnlyList<string>> FeedRangesAsync(CancellationToken cancellationToken) =>
        [.. (await cosmos.Ledger.GetFeedRangesAsync(cancellationToken)).Select(r => r.ToJsonString())];

    /// <summary>
    /// One page of the ledger container's read feed over a feed range (no query: the read feed, the cheapest way to
    /// see every document), from <paramref name="continuation"/>: the documents and the continuation after them (null at the end).
    /// </summary>
    public async Task<(JsonDocument Page, string? Continuation)> ReadFeedPageAsync(string feedRange, string? continuation, int pageSize,
        CancellationToken cancellationToken)
    {
        using var iterator = cosmos.Ledger.GetItemQueryStreamIterator(FeedRange.FromJsonString(feedRange), queryDefinition: null, continuation,
            new QueryRequestOptions { MaxItemCount = pageSize });
        using var response = await iterator.ReadNextAsync(cancellationToken);
        response.EnsureSuccessStatusCode();
        var page = await JsonDocument.ParseAsync(response.Content, cancellationToken: cancellationToken);
        return (page, response.ContinuationToken);
    }
}
