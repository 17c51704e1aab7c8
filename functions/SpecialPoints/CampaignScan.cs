using System.Globalization;
using System.Text.Json;
using Azure.Storage.Blobs.Specialized;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Domain.SpecialPoints;
using Points.Functions.Imports.Csv;
using Points.Functions.Ledger;
using Points.Functions.Ranks;
using Points.Functions.Settings;
using Points.Functions.Storage;

namespace Points.Functions.SpecialPoints;

/// <summary>
/// Previews and grants of special points campaigns (F26–F27), as a scan of every member (<see cref="LedgerScanJob"/>).
/// Each page's members are evaluated against the segment (with their purchase history when the segment asks about
/// purchases); a grant gives each targeted member the campaign's special lot once (the member document records the
/// campaign in the same commit), so a page done again after a stop grants nobody twice and counts the same. The step
/// that finds every shard done completes the campaign (and writes the notification list).
/// </summary>
public sealed partial class CampaignScan(SpecialCampaignStore campaigns, LedgerScanStore store, PurchaseHistory history, MemberLedger ledger,
    LedgerJobQueue queue, BlobStorage blobs, ProgramSettingsStore settingsStore, TimeProvider clock, ILogger<CampaignScan> log)
    : LedgerScanJob(store, queue, clock, log)
{
    public const string JobName = "SpecialCampaignScan";
    public const string Preview = "preview";
    public const string Grant = "grant";
    /// <summary>Members of a page evaluated and granted at once.</summary>
    public const int ParallelMembersMax = 16;

    public override string Name => JobName;

    public static string NotifyBlobOf(string campaignId) => $"special-campaigns/{campaignId}/notify.csv";

    private static string PartOf(string campaignId, int range, int page) => $"special-campaigns/{campaignId}/parts/{range:D3}-{page:D6}.csv";

    /// <summary>csv.md-style notification list: who to tell, how many points, until when.</summary>
    public static readonly IReadOnlyList<CsvColumn> NotifyColumns =
        [new("member_id"), new("points", IsNumeric: true), new("expires_on"), new("newsletter_opt_in")];

    /// <summary>The counts of a phase so far, with up to 20 targets; null before it started.</summary>
    public async Task<(ScanCounts Counts, IReadOnlyList<string> Sample)?> ProgressAsync(string campaignId, string phase, CancellationToken cancellationToken)
    {
        var shards = await Store.ShardsAsync(campaignId, phase, cancellationToken);
        return shards.Count == 0 ? null
            : (ScanCounts.From(ScanShardDocument.Sum(shards.Select(s => s.Counts))), [.. shards.SelectMany(s => s.Sample).Take(ScanShardDocument.SampleMax)]);
    }

    protected override async Task<ScanPageResult?> ProcessPageAsync(ScanStep step, JsonDocument page, CancellationToken cancellationToken)
    {
        var (campaign, _) = await campaigns.ReadAsync(step.Subject, cancellationToken);
        if (campaign is null) return null;
        var settings = await settingsStore.GetAsync(cancellationToken);
        var segment = SegmentJson.Parse(campaign.Segment, "segment", []) ?? throw new InvalidOperationException($"Campaign {campaign.Id} holds a segment that does not parse.");
        var (counts, sample) = await ProcessPageAsync(campaign, step, segment, (LedgerScanStore.Documents(page).Count(), LedgerScanStore.Members(page)), settings, cancellationToken);
        return new ScanPageResult(counts.ToDictionary(), sample);
    }

    /// <summary>
    /// Counts the members of <paramref name="segment"/> now, in this request (api.md's synchronous preview): the same read
    /// feed pages, one after the other. For a large program use a campaign's preview, which spreads the pages over the queue.
    /// </summary>
    public async Task<(ScanCounts Counts, IReadOnlyList<string> Sample)> CountAsync(Segment segment, CancellationToken cancellationToken)
    {
        var today = (await settingsStore.GetAsync(cancellationToken)).DateOf(Clock.GetUtcNow());
        var counts = ScanCounts.Zero;
        var sample = new List<string>();
        foreach (var range in await Store.FeedRangesAsync(cancellationToken))
        {
            string? continuation = null;
            do
            {
                var (page, next) = await Store.ReadFeedPageAsync(range, continuation, PageSize, cancellationToken);
                continuation = next;
                using (page)
                {
                    var (documents, members) = (LedgerScanStore.Documents(page).Count(), LedgerScanStore.Members(page));
                    var matches = new (bool Matches, int Reads)[members.Count];
                    await Parallel.ForEachAsync(Enumerable.Range(0, members.Count), new ParallelOptions { MaxDegreeOfParallelism = ParallelMembersMax, CancellationToken = cancellationToken },
                        async (i, ct) => matches[i] = await MatchesAsync(segment, members[i], today, ct));
                    counts += new ScanCounts(documents, members.Count, matches.Count(m => m.Matches), 0, 0, 0, matches.Sum(m => m.Reads), 1);
                    sample.AddRange(members.Where((_, i) => matches[i].Matches).Select(m => m.Id.Value).Take(ScanShardDocument.SampleMax - sample.Count));
                }
            }
            while (continuation is not null);
        }
        return (counts, sample);
    }

    /// <summary>
    /// Whether the member is in the segment, and how many purchase history pages that took to know: none when the member
    /// document decides it (or the member bought nothing in the segment's span).
    /// </summary>
    private async Task<(bool Matches, int Reads)> MatchesAsync(Segment segment, Member member, DateOnly today, CancellationToken cancellationToken)
    {
        if (segment.MatchesWithoutPurchases(member, today) is { } decided) return (decided, 0);
        var (purchases, reads) = await history.ReadAsync(member, segment.PurchasesFrom, cancellationToken);
        return (segment.Matches(new MemberSnapshot(member, purchases, today)), reads);
    }

    private async Task<(ScanCounts Counts, IReadOnlyList<string> Sample)> ProcessPageAsync(SpecialCampaignDocument campaign, ScanStep step, Segment segment,
        (int Documents, List<Member> Members) page, ProgramSettings settings, CancellationToken cancellationToken)
    {
        var today = settings.DateOf(Clock.GetUtcNow());
        var outcomes = new MemberOutcome[page.Members.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, page.Members.Count), new ParallelOptions { MaxDegreeOfParallelism = ParallelMembersMax, CancellationToken = cancellationToken },
            async (i, ct) => outcomes[i] = await DecideAsync(campaign, step.Phase, segment, page.Members[i], today, settings.SpecialPoints.PurgeAfterDays, ct));
        var targeted = outcomes.Where(o => o.Targeted).ToList();
        if (step.Phase == Grant)
        {
            await WriteNotifyPartAsync(campaign, step, targeted.Where(o => o.Holds && (!campaign.NewsletterOnly || o.Newsletter)).ToList(), cancellationToken);
        }
        var counts = new ScanCounts(page.Documents, page.Members.Count, targeted.Count, targeted.Count(o => o.Holds), targeted.Count(o => o.HeldBefore),
            targeted.Count(o => !o.Holds && step.Phase == Grant), outcomes.Sum(o => o.HistoryReads), 1);
        return (counts, [.. targeted.Select(o => o.MemberId).Take(ScanShardDocument.SampleMax)]);
    }

    private sealed record MemberOutcome(string MemberId, bool Targeted, bool Holds, bool HeldBefore, bool Newsletter, int HistoryReads);

    private async Task<MemberOutcome> DecideAsync(SpecialCampaignDocument campaign, string phase, Segment segment, Member member, DateOnly today, int purgeAfterDays,
        CancellationToken cancellationToken)
    {
        var newsletter = member.Profile.NewsletterOptIn;
        var (matches, reads) = await MatchesAsync(segment, member, today, cancellationToken);
        if (!matches)
        {
            return new(member.Id.Value, false, false, false, newsletter, reads);
        }
        if (phase != Grant)
        {
            return new(member.Id.Value, true, false, false, newsletter, reads);
        }
        var special = new SpecialCampaign(campaign.Id, campaign.Name, new PointAmount(campaign.Points), campaign.ExpiresOn);
        var result = await ledger.ExecuteAsync(member.Id, new MemberOperation(JobName, null, "",
            input => SpecialPointsDecider.Grant(input.Member, special, purgeAfterDays, input.Context)));
        return result switch
        {
            OperationResult.Applied { Result: SpecialGrantResponse granted } => new(member.Id.Value, true, true, !granted.GrantedNow, newsletter, reads),
            OperationResult.Rejected rejected => Skipped(rejected.Detail),
            _ => Skipped("the member is gone"),
        };

        MemberOutcome Skipped(string why)
        {
            LogSkipped(campaign.Id, member.Id.Value, why);
            return new(member.Id.Value, true, false, false, newsletter, reads);
        }
    }

    private async Task WriteNotifyPartAsync(SpecialCampaignDocument campaign, ScanStep step, IReadOnlyList<MemberOutcome> members, CancellationToken cancellationToken)
    {
        var blob = blobs.Container(BlobContainers.Exports).GetBlockBlobClient(PartOf(campaign.Id, step.Range, step.Page));
        await using var output = await blob.OpenWriteAsync(overwrite: true, cancellationToken: cancellationToken);
        await using var csv = CsvResultWriter.Create(output, NotifyColumns, header: false);
        foreach (var member in members)
        {
            await csv.WriteRowAsync([member.MemberId, campaign.Points.ToString(CultureInfo.InvariantCulture), CalendarText.DayOf(campaign.ExpiresOn),
                member.Newsletter ? "true" : "false"], cancellationToken);
        }
    }

    /// <summary>
    /// Every shard of the phase is done: the notification list (grant) from the parts in order, then the campaign's
    /// state. Any step may get here; the campaign's ETag lets one of them complete it.
    /// </summary>
    protected override async Task CompleteAsync(string campaignId, string phase, IReadOnlyList<ScanShardDocument> shards, CancellationToken cancellationToken)
    {
        var (campaign, etag) = await campaigns.ReadAsync(campaignId, cancellationToken);
        var running = phase == Grant ? CampaignState.Granting : CampaignState.Previewing;
        if (campaign is null || campaign.State != running) return;
        string? notify = null;
        if (phase == Grant)
        {
            notify = NotifyBlobOf(campaignId);
            await MergeNotifyPartsAsync(campaignId, shards, notify, cancellationToken);
        }
        var now = Clock.GetUtcNow();
        var completed = phase == Grant
            ? campaign with { State = CampaignState.Granted, GrantedAt = now, NotifyBlob = $"{BlobContainers.Exports}/{notify}" }
            : campaign with { State = CampaignState.Previewed, PreviewedAt = now };
        if (await campaigns.TryReplaceAsync(completed, etag!, cancellationToken))
        {
            LogCompleted(campaignId, phase, ScanCounts.From(ScanShardDocument.Sum(shards.Select(s => s.Counts))).Targeted);
        }
    }

    private Task MergeNotifyPartsAsync(string campaignId, IReadOnlyList<ScanShardDocument> shards, string name, CancellationToken cancellationToken) =>
        CsvParts.MergeAsync(blobs.Container(BlobContainers.Exports), shards.SelectMany(s => Enumerable.Range(0, s.Page).Select(page => PartOf(campaignId, s.Range, page))),
            name, NotifyColumns, CsvOutputEncoding.Utf8Bom, cancellationToken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Special campaign {CampaignId}: member {MemberId} skipped: {Why}")]
    private partial void LogSkipped(string campaignId, string memberId, string why);

    [LoggerMessage(Level = LogLevel.Information, Message = "Special campaign {CampaignId}: {Phase} completed, {Targeted} targeted")]
    private partial void LogCompleted(string campaignId, string phase, long targeted);
}
