using System.Text.Json;
using System.Text.Json.Serialization;
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

    /// <summary>As a shard document keeps them.</summary>
    public IReadOnlyDictionary<string, long> ToDictionary() => new Dictionary<string, long>
    {
        ["documentsRead"] = DocumentsRead, ["membersRead"] = MembersRead, ["targeted"] = Targeted, ["granted"] = Granted,
        ["grantedBefore"] = GrantedBefore, ["skipped"] = Skipped, ["historyReads"] = HistoryReads, ["pages"] = Pages,
    };

    public static ScanCounts From(IReadOnlyDictionary<string, long> counts)
    {
        long Of(string name) => counts.TryGetValue(name, out var value) ? value : 0;
        return new(Of("documentsRead"), Of("membersRead"), Of("targeted"), Of("granted"), Of("grantedBefore"), Of("skipped"), Of("historyReads"), Of("pages"));
    }
}

/// <summary>The campaign documents.</summary>
public sealed class SpecialCampaignStore(CosmosStorage cosmos)
    : JobDocuments<SpecialCampaignDocument>(cosmos, SpecialCampaignDocument.Partition, campaign => campaign.Id);
