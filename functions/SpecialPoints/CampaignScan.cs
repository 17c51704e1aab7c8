using System.Globalization;
using System.Text;
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
/// Previews and grants of special points campaigns (F26–F27): a scan of every member through the ledger container's
/// read feed, one shard per feed range, a page per <c>ledger-jobs</c> message (so Azure spreads the pages over
/// instances). Each page's members are evaluated against the segment (with their purchase history when the segment
/// asks about purchases); a grant gives each targeted member the campaign's special lot once (the member document
/// records the campaign in the same commit). The shard document is the checkpoint: a step for a page already done is
/// dropped, a page done again after a stop grants nobody twice and counts the same, and starting a phase again resumes
/// it. The shard that finishes last completes the campaign (and writes the notification list).
/// </summary>
public sealed partial class CampaignScan(SpecialCampaignStore store, PurchaseHistory history, MemberLedger ledger, LedgerJobQueue queue, BlobStorage blobs,
    ProgramSettingsStore settingsStore, TimeProvider clock, ILogger<CampaignScan> log) : ILedgerScanJob
{
    public const string JobName = "SpecialCampaignScan";
    public const string Preview = "preview";
    public const string Grant = "grant";
    /// <summary>Documents per read feed page: a step takes seconds, far below the function timeout.</summary>
    public const int PageSize = 2_000;
    /// <summary>Members of a page evaluated and granted at once.</summary>
    public const int ParallelMembersMax = 16;

    public string Name => JobName;

    public static string NotifyBlobOf(string campaignId) => $"special-campaigns/{campaignId}/notify.csv";

    private static string PartOf(string campaignId, int range, int page) => $"special-campaigns/{campaignId}/parts/{range:D3}-{page:D6}.csv";

    /// <summary>csv.md-style notification list: who to tell, how many points, until when.</summary>
    public static readonly IReadOnlyList<CsvColumn> NotifyColumns =
        [new("member_id"), new("points", IsNumeric: true), new("expires_on"), new("newsletter_opt_in")];

    /// <summary>
    /// Starts <paramref name="phase"/> (or resumes it: shards already there keep their checkpoint, and each unfinished
    /// one gets a step for its next page; a duplicate step is dropped). Answers the campaign as it is then.
    /// </summary>
    public async Task StartAsync(SpecialCampaignDocument campaign, string phase, CancellationToken cancellationToken)
    {
        var ranges = await store.FeedRangesAsync(cancellationToken);
        for (var range = 0; range < ranges.Count; range++)
        {
            var (shard, _) = await store.ReadShardAsync(campaign.Id, phase, range, cancellationToken);
            if (shard is null)
            {
                shard = new ScanShardDocument
                {
                    Id = ScanShardDocument.IdOf(phase, range), Pk = ScanShardDocument.PartitionOf(campaign.Id), Phase = phase, Range = range, FeedRange = ranges[range],
                };
                if (!await store.TryWriteShardAsync(shard, null, cancellationToken))
                {
                    (shard, _) = await store.ReadShardAsync(campaign.Id, phase, range, cancellationToken); // created meanwhile
                }
            }
            if (shard is { Done: false })
            {
                await queue.SendScanStepAsync(JobName, new ScanStep(campaign.Id, phase, range, shard.Page), cancellationToken);
            }
        }
        await CompleteIfDoneAsync(campaign.Id, phase, cancellationToken);
    }

    public async Task<string> StepAsync(ScanStep step, CancellationToken cancellationToken)
    {
        var (campaign, _) = await store.ReadAsync(step.Subject, cancellationToken);
        var (shard, etag) = await store.ReadShardAsync(step.Subject, step.Phase, step.Range, cancellationToken);
        if (campaign is null || shard is null || shard.Done || shard.Page != step.Page)
        {
            return $"{JobName} {step.Subject} {step.Phase} range {step.Range} page {step.Page}: nothing to do (done, or a step seen before).";
        }
        var settings = await settingsStore.GetAsync(cancellationToken);
        var segment = SegmentJson.Parse(campaign.Segment, "segment", []) ?? throw new InvalidOperationException($"Campaign {campaign.Id} holds a segment that does not parse.");
        var (page, continuation) = await store.ReadFeedPageAsync(shard.FeedRange, shard.Continuation, PageSize, cancellationToken);
        ScanCounts counts;
        IReadOnlyList<string> sample;
        using (page)
        {
            (counts, sample) = await ProcessPageAsync(campaign, step, segment, Members(page), settings, cancellationToken);
        }
        var next = shard with
        {
            Continuation = continuation,
            Page = shard.Page + 1,
            Done = continuation is null,
            Counts = shard.Counts + counts,
            Sample = [.. shard.Sample.Concat(sample).Take(ScanShardDocument.SampleMax)],
            UpdatedAt = clock.GetUtcNow(),
        };
        if (!await store.TryWriteShardAsync(next, etag, cancellationToken))
        {
            return $"{JobName} {step.Subject} {step.Phase} range {step.Range} page {step.Page}: done by another delivery meanwhile.";
        }
        if (next.Done) await CompleteIfDoneAsync(campaign.Id, step.Phase, cancellationToken);
        else await queue.SendScanStepAsync(JobName, step with { Page = next.Page }, cancellationToken);
        LogPage(campaign.Id, step.Phase, step.Range, step.Page, counts.DocumentsRead, counts.MembersRead, counts.Targeted, counts.Granted, counts.GrantedBefore);
        return $"{JobName} {step.Subject} {step.Phase} range {step.Range} page {step.Page}: {counts.DocumentsRead} documents, {counts.MembersRead} members, "
            + $"{counts.Targeted} targeted, {counts.Granted} holding the points ({counts.GrantedBefore} before), {counts.Skipped} skipped.";
    }

    /// <summary>The members (account documents) of a read feed page; other documents (history pages, records beside members) are passed over.</summary>
    private static (int Documents, List<Member> Members) Members(JsonDocument page)
    {
        var documents = page.RootElement.TryGetProperty("Documents", out var items) ? items : default;
        var members = new List<Member>();
        if (documents.ValueKind != JsonValueKind.Array) return (0, members);
        foreach (var document in documents.EnumerateArray())
        {
            if (document.TryGetProperty("docType", out var type) && type.ValueEquals(AccountDocument.Type) && document.TryGetProperty("member", out var member))
            {
                members.Add(member.Deserialize<Member>(JsonDefaults.Options) ?? throw new InvalidOperationException("An account document without its member."));
            }
        }
        return (documents.GetArrayLength(), members);
    }

    private async Task<(ScanCounts Counts, IReadOnlyList<string> Sample)> ProcessPageAsync(SpecialCampaignDocument campaign, ScanStep step, Segment segment,
        (int Documents, List<Member> Members) page, ProgramSettings settings, CancellationToken cancellationToken)
    {
        var today = settings.DateOf(clock.GetUtcNow());
        var outcomes = new MemberOutcome[page.Members.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, page.Members.Count), new ParallelOptions { MaxDegreeOfParallelism = ParallelMembersMax, CancellationToken = cancellationToken },
            async (i, ct) => outcomes[i] = await DecideAsync(campaign, step.Phase, segment, page.Members[i], today, settings.SpecialPoints.PurgeAfterDays, ct));
        var targeted = outcomes.Where(o => o.Targeted).ToList();
        if (step.Phase == Grant)
        {
            await WriteNotifyPartAsync(campaign, step, targeted.Where(o => o.Holds && (!campaign.NewsletterOnly || o.Newsletter)).ToList(), cancellationToken);
        }
        var counts = new ScanCounts(page.Documents, page.Members.Count, targeted.Count, targeted.Count(o => o.Holds), targeted.Count(o => o.HeldBefore),
            targeted.Count(o => o.Targeted && !o.Holds && step.Phase == Grant), outcomes.Sum(o => o.HistoryReads), 1);
        return (counts, [.. targeted.Select(o => o.MemberId).Take(ScanShardDocument.SampleMax)]);
    }

    private sealed record MemberOutcome(string MemberId, bool Targeted, bool Holds, bool HeldBefore, bool Newsletter, int HistoryReads);

    /// <summary>
    /// Counts the members of <paramref name="segment"/> now, in this request (api.md's synchronous preview): the same read
    /// feed pages, one after the other. For a large program use a campaign's preview, which spreads the pages over the queue.
    /// </summary>
    public async Task<(ScanCounts Counts, IReadOnlyList<string> Sample)> CountAsync(Segment segment, CancellationToken cancellationToken)
    {
        var today = (await settingsStore.GetAsync(cancellationToken)).DateOf(clock.GetUtcNow());
        var counts = ScanCounts.Zero;
        var sample = new List<string>();
        foreach (var range in await store.FeedRangesAsync(cancellationToken))
        {
            string? continuation = null;
            do
            {
                var (page, next) = await store.ReadFeedPageAsync(range, continuation, PageSize, cancellationToken);
                continuation = next;
                using (page)
                {
                    var (documents, members) = Members(page);
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
        await using var csv = CsvResultWriter.Create(output, NotifyColumns);
        foreach (var member in members)
        {
            await csv.WriteRowAsync([member.MemberId, campaign.Points.ToString(CultureInfo.InvariantCulture), CalendarText.DayOf(campaign.ExpiresOn),
                member.Newsletter ? "true" : "false"], cancellationToken);
        }
    }

    /// <summary>
    /// When every shard of the phase is done: the notification list (grant) from the parts in order, then the campaign's
    /// state. Any shard may get here; the campaign's ETag lets one of them complete it.
    /// </summary>
    private async Task CompleteIfDoneAsync(string campaignId, string phase, CancellationToken cancellationToken)
    {
        var shards = await store.ShardsAsync(campaignId, phase, cancellationToken);
        var (campaign, etag) = await store.ReadAsync(campaignId, cancellationToken);
        var running = phase == Grant ? CampaignState.Granting : CampaignState.Previewing;
        if (campaign is null || campaign.State != running || shards.Count < campaign.Ranges || shards.Any(s => !s.Done)) return;
        string? notify = null;
        if (phase == Grant)
        {
            notify = NotifyBlobOf(campaignId);
            await MergeNotifyPartsAsync(campaignId, shards, notify, cancellationToken);
        }
        var now = clock.GetUtcNow();
        var completed = phase == Grant
            ? campaign with { State = CampaignState.Granted, GrantedAt = now, NotifyBlob = $"{BlobContainers.Exports}/{notify}" }
            : campaign with { State = CampaignState.Previewed, PreviewedAt = now };
        if (await store.TryReplaceAsync(completed, etag!, cancellationToken))
        {
            LogCompleted(campaignId, phase, shards.Aggregate(ScanCounts.Zero, (sum, s) => sum + s.Counts).Targeted);
        }
    }

    private async Task MergeNotifyPartsAsync(string campaignId, IReadOnlyList<ScanShardDocument> shards, string name, CancellationToken cancellationToken)
    {
        var exports = blobs.Container(BlobContainers.Exports);
        await using var output = new StagedBlockBlobStream(exports.GetBlockBlobClient(name));
        await using (var csv = CsvResultWriter.Create(output, NotifyColumns)) { } // the BOM and the header
        foreach (var shard in shards)
        {
            for (var page = 0; page < shard.Page; page++)
            {
                var part = exports.GetBlobClient(PartOf(campaignId, shard.Range, page));
                if (!await part.ExistsAsync(cancellationToken)) continue;
                var text = (await part.DownloadContentAsync(cancellationToken)).Value.Content.ToString().TrimStart('\uFEFF');
                var rows = text[(text.IndexOf("\r\n", StringComparison.Ordinal) + 2)..];
                await output.WriteAsync(Encoding.UTF8.GetBytes(rows), cancellationToken);
            }
        }
        await output.CommitAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Special campaign {CampaignId} {Phase} range {Range} page {Page}: {Documents} documents, {Members} members, {Targeted} targeted, {Granted} holding the points ({Before} before)")]
    private partial void LogPage(string campaignId, string phase, int range, int page, long documents, long members, long targeted, long granted, long before);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Special campaign {CampaignId}: member {MemberId} skipped: {Why}")]
    private partial void LogSkipped(string campaignId, string memberId, string why);

    [LoggerMessage(Level = LogLevel.Information, Message = "Special campaign {CampaignId}: {Phase} completed, {Targeted} targeted")]
    private partial void LogCompleted(string campaignId, string phase, long targeted);
}
