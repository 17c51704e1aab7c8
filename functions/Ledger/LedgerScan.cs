using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Azure.Cosmos;
using Points.Domain.Members;
using Points.Functions.Ranks;
using Points.Functions.Storage;

namespace Points.Functions.Ledger;

/// <summary>
/// The progress of one scan (<c>subject</c> and <c>phase</c>, e.g. a campaign's grant) over one feed range of the
/// ledger container: the read feed's continuation, the next page, and what the pages done so far counted. Written once
/// per page (If-Match), so it is the scan's checkpoint. In the <c>jobs</c> container, partition <c>scan|{subject}</c>.
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
    /// <summary>What the pages done so far counted, by name (the job says which): the scan's progress.</summary>
    public ImmutableSortedDictionary<string, long> Counts { get; init; } = ImmutableSortedDictionary<string, long>.Empty;
    /// <summary>What the pages done so far added up for the job's result (a liability by kind and month…), kept apart from its progress.</summary>
    public ImmutableSortedDictionary<string, long> Sums { get; init; } = ImmutableSortedDictionary<string, long>.Empty;
    public ImmutableArray<string> Sample { get; init; } = [];
    public DateTimeOffset? UpdatedAt { get; init; }

    public static string PartitionOf(string subject) => $"scan|{subject}";

    public static string IdOf(string phase, int range) => $"{phase}-{range}";

    /// <summary>The counts of several shards (or pages) added up.</summary>
    public static ImmutableSortedDictionary<string, long> Sum(IEnumerable<IReadOnlyDictionary<string, long>> counts) =>
        counts.SelectMany(c => c).GroupBy(c => c.Key, StringComparer.Ordinal).ToImmutableSortedDictionary(g => g.Key, g => g.Sum(c => c.Value), StringComparer.Ordinal);
}

/// <summary>What one page of a scan gave: counts (progress) and sums (the job's result) to add to the shard's, and members to add to its sample.</summary>
public sealed record ScanPageResult(IReadOnlyDictionary<string, long> Counts, IReadOnlyList<string> Sample)
{
    public IReadOnlyDictionary<string, long> Sums { get; init; } = ImmutableSortedDictionary<string, long>.Empty;
}

/// <summary>The ledger container's read feed by feed range, and the scans' shard documents.</summary>
public sealed class LedgerScanStore(CosmosStorage cosmos)
{
    public async Task<(ScanShardDocument? Shard, string? ETag)> ReadShardAsync(string subject, string phase, int range, CancellationToken cancellationToken) =>
        await CosmosStorage.ReadOrNullAsync<ScanShardDocument>(cosmos.Jobs, ScanShardDocument.IdOf(phase, range), ScanShardDocument.PartitionOf(subject), cancellationToken);

    public Task<bool> TryWriteShardAsync(ScanShardDocument shard, string? etag, CancellationToken cancellationToken) =>
        CosmosStorage.TryWriteAsync(cosmos.Jobs, shard, shard.Id, shard.Pk, etag, cancellationToken);

    /// <summary>The shards of a phase, by range (one single-partition query).</summary>
    public async Task<IReadOnlyList<ScanShardDocument>> ShardsAsync(string subject, string phase, CancellationToken cancellationToken) =>
        [.. (await CosmosStorage.ReadPartitionAsync<ScanShardDocument>(cosmos.Jobs, ScanShardDocument.PartitionOf(subject), "true", cancellationToken))
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

    /// <summary>The documents of a read feed page.</summary>
    public static IEnumerable<JsonElement> Documents(JsonDocument page) =>
        page.RootElement.TryGetProperty("Documents", out var items) && items.ValueKind == JsonValueKind.Array ? items.EnumerateArray() : [];

    /// <summary>The members (account documents) of a read feed page; other documents (history pages, records beside members) are passed over.</summary>
    public static List<Member> Members(JsonDocument page) =>
        [.. Documents(page).Where(d => d.TryGetProperty("docType", out var type) && type.ValueEquals(AccountDocument.Type) && d.TryGetProperty("member", out _))
            .Select(d => d.GetProperty("member").Deserialize<Member>(JsonDefaults.Options) ?? throw new InvalidOperationException("An account document without its member."))];
}

/// <summary>
/// A job over every document of the ledger container (no query, no cross-partition query): one shard per feed range,
/// one page per <c>ledger-jobs</c> message, so Azure spreads the pages over instances. The shard document is the
/// checkpoint: a step for a page already done is dropped, a page done again after a stop must do no harm (each job
/// makes its page's work idempotent), and starting the scan again resumes it. The step that finds every shard done
/// calls <see cref="CompleteAsync"/> (maybe more than once: it must be idempotent too).
/// </summary>
public abstract partial class LedgerScanJob(LedgerScanStore store, LedgerJobQueue queue, TimeProvider clock, ILogger log) : ILedgerScanJob
{
    /// <summary>Documents per read feed page: a step takes seconds, far below the function timeout; Cosmos DB caps a page at 4 MB anyway.</summary>
    public const int PageSize = 2_000;

    public abstract string Name { get; }

    protected LedgerScanStore Store => store;

    protected TimeProvider Clock => clock;

    /// <summary>The page's work for <paramref name="subject"/>; null when the subject is gone (the step then does nothing).</summary>
    protected abstract Task<ScanPageResult?> ProcessPageAsync(ScanStep step, JsonDocument page, CancellationToken cancellationToken);

    /// <summary>Every shard of the phase is done: finish (write the file, record the state). Idempotent.</summary>
    protected abstract Task CompleteAsync(string subject, string phase, IReadOnlyList<ScanShardDocument> shards, CancellationToken cancellationToken);

    /// <summary>How many feed ranges the scan will have (what a subject records to know when all its shards are done).</summary>
    public async Task<int> RangesAsync(CancellationToken cancellationToken) => (await store.FeedRangesAsync(cancellationToken)).Count;

    /// <summary>
    /// Starts the phase, or resumes it: shards already there keep their checkpoint, and each unfinished one gets a step
    /// for its next page (a duplicate step is dropped). Completes it at once when every shard is done.
    /// </summary>
    public async Task StartAsync(string subject, string phase, CancellationToken cancellationToken)
    {
        var ranges = await store.FeedRangesAsync(cancellationToken);
        for (var range = 0; range < ranges.Count; range++)
        {
            var (shard, _) = await store.ReadShardAsync(subject, phase, range, cancellationToken);
            if (shard is null)
            {
                shard = new ScanShardDocument
                {
                    Id = ScanShardDocument.IdOf(phase, range), Pk = ScanShardDocument.PartitionOf(subject), Phase = phase, Range = range, FeedRange = ranges[range],
                };
                if (!await store.TryWriteShardAsync(shard, null, cancellationToken))
                {
                    (shard, _) = await store.ReadShardAsync(subject, phase, range, cancellationToken); // created meanwhile
                }
            }
            if (shard is { Done: false })
            {
                await queue.SendScanStepAsync(Name, new ScanStep(subject, phase, range, shard.Page), cancellationToken);
            }
        }
        await CompleteIfDoneAsync(subject, phase, ranges.Count, cancellationToken);
    }

    public async Task<string> StepAsync(ScanStep step, CancellationToken cancellationToken)
    {
        var (shard, etag) = await store.ReadShardAsync(step.Subject, step.Phase, step.Range, cancellationToken);
        if (shard is null || shard.Done || shard.Page != step.Page)
        {
            return $"{Name} {step.Subject} {step.Phase} range {step.Range} page {step.Page}: nothing to do (done, or a step seen before).";
        }
        var (page, continuation) = await store.ReadFeedPageAsync(shard.FeedRange, shard.Continuation, PageSize, cancellationToken);
        ScanPageResult? result;
        using (page)
        {
            result = await ProcessPageAsync(step, page, cancellationToken);
        }
        if (result is null) return $"{Name} {step.Subject}: gone, nothing to do.";
        var next = shard with
        {
            Continuation = continuation,
            Page = shard.Page + 1,
            Done = continuation is null,
            Counts = ScanShardDocument.Sum([shard.Counts, result.Counts]),
            Sums = ScanShardDocument.Sum([shard.Sums, result.Sums]),
            Sample = [.. shard.Sample.Concat(result.Sample).Take(ScanShardDocument.SampleMax)],
            UpdatedAt = clock.GetUtcNow(),
        };
        if (!await store.TryWriteShardAsync(next, etag, cancellationToken))
        {
            return $"{Name} {step.Subject} {step.Phase} range {step.Range} page {step.Page}: done by another delivery meanwhile.";
        }
        if (next.Done) await CompleteIfDoneAsync(step.Subject, step.Phase, (await store.FeedRangesAsync(cancellationToken)).Count, cancellationToken);
        else await queue.SendScanStepAsync(Name, step with { Page = next.Page }, cancellationToken);
        var counted = string.Join(", ", result.Counts.Select(c => $"{c.Value} {c.Key}"));
        LogPage(log, Name, step.Subject, step.Phase, step.Range, step.Page, counted);
        return $"{Name} {step.Subject} {step.Phase} range {step.Range} page {step.Page}: {counted}.";
    }

    private async Task CompleteIfDoneAsync(string subject, string phase, int ranges, CancellationToken cancellationToken)
    {
        var shards = await store.ShardsAsync(subject, phase, cancellationToken);
        if (shards.Count >= ranges && shards.All(s => s.Done)) await CompleteAsync(subject, phase, shards, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Job} {Subject} {Phase} range {Range} page {Page}: {Counts}")]
    private static partial void LogPage(ILogger log, string job, string subject, string phase, int range, int page, string counts);
}
