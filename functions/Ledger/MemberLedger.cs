using System.Collections.Immutable;
using System.Text.Json;
using Points.Domain.Ledger;
using Points.Domain.Primitives;
using Points.Functions.Settings;
using Points.Functions.Storage;

namespace Points.Functions.Ledger;

/// <summary>
/// Applies operations to members' ledgers, exactly once each, however many callers write to one member at once.
/// <para>
/// Per member, operations queue in a mailbox (<see cref="GroupCommit{TKey,TItem,TResult}"/>); one runner takes up to
/// <see cref="LedgerLimits.BatchOperationsMax"/> of them, decides each in order against the account document
/// (idempotency first), and commits them all with one If-Match replace. Another instance writing the same member makes the replace fail with 412; the batch is then
/// decided again on fresh state (bounded by <see cref="LedgerLimits.ConflictRetriesMax"/>). So a hot member costs one
/// read and one write per batch, not per request, and concurrent requests never lose an update.
/// </para>
/// </summary>
public sealed partial class MemberLedger
{
    private readonly LedgerStore _store;
    private readonly DueIndex _dueIndex;
    private readonly ProgramSettingsStore _settingsStore;
    private readonly TimeProvider _clock;
    private readonly ILogger<MemberLedger> _log;
    private readonly Ranks.RankIndex _rankIndex;
    private readonly GroupCommit<MemberId, MemberOperation, OperationResult> _commits;

    public MemberLedger(LedgerStore store, DueIndex dueIndex, ProgramSettingsStore settingsStore, TimeProvider clock, ILogger<MemberLedger> log,
        Ranks.RankIndex rankIndex)
    {
        (_store, _dueIndex, _settingsStore, _clock, _log, _rankIndex) = (store, dueIndex, settingsStore, clock, log, rankIndex);
        _commits = new(LedgerLimits.BatchOperationsMax, CommitBatchAsync);
    }

    /// <summary>
    /// Queues the operation in the member's mailbox and completes with its result once it is committed (or decided
    /// without a write). Storage outages and exhausted retries fault every operation of the batch; nothing was committed.
    /// </summary>
    public Task<OperationResult> ExecuteAsync(MemberId memberId, MemberOperation operation) => _commits.EnqueueAsync(memberId, operation);

    private async Task<OperationResult[]> CommitBatchAsync(MemberId memberId, IReadOnlyList<MemberOperation> batch)
    {
        var cancellationToken = CancellationToken.None; // A queued operation is committed even if its caller went away.
        var memory = new AttemptMemory();
        for (var attempt = 1; attempt <= LedgerLimits.ConflictRetriesMax; attempt++)
        {
            var (account, etag) = await _store.ReadAccountAsync(memberId, cancellationToken);
            if (account is null)
            {
                return batch.Select(_ => (OperationResult)new OperationResult.MemberNotFound()).ToArray();
            }
            var now = _clock.GetUtcNow();
            var settings = await _settingsStore.GetAsync(cancellationToken);
            var context = new LedgerContext(now, ProgramCalendar.DateOf(now, settings.Zone), settings.RegularExpiry.ToPolicy()!, "api");
            var sealedRelated = await LoadSealedRelatedAsync(memberId, account, batch, cancellationToken);
            var spilled = await LoadSpilledRecordsAsync(memberId, account, batch, now, memory, cancellationToken);

            var working = account;
            var results = new OperationResult[batch.Count];
            for (var i = 0; i < batch.Count; i++)
            {
                (results[i], working) = Decide(batch[i], working, context, sealedRelated, spilled, now);
            }
            if (ReferenceEquals(working, account))
            {
                return results;
            }
            working = await PrepareCommitAsync(memberId, account, working, context.Today, now, memory, cancellationToken);
            if (await _store.TryReplaceAccountAsync(working, etag!, cancellationToken) is not null)
            {
                return results;
            }
            LogConflict(memberId.Value, attempt);
            // Exponential backoff with full jitter, so that two instances hammering one member do not keep colliding.
            var ceilingMs = Math.Min(LedgerLimits.ConflictBackoffMaxMs, 5 << Math.Min(attempt, 8));
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(0, ceilingMs + 1)), cancellationToken);
        }
        throw new LedgerContentionException(memberId);
    }

    private static (OperationResult, AccountDocument) Decide(MemberOperation operation, AccountDocument working, LedgerContext context,
        IReadOnlyDictionary<string, IReadOnlyList<JournalEntry>> sealedRelated, IReadOnlyDictionary<string, IdempotencyRecord> spilled,
        DateTimeOffset now)
    {
        if (operation.IdempotencyKey is { } key)
        {
            var record = working.Idempotency.FirstOrDefault(r => r.Key == key) ?? spilled.GetValueOrDefault(key);
            if (record is not null)
            {
                return (record.RequestHash == operation.RequestHash
                    ? new OperationResult.Replayed(record.Status, record.Body)
                    : new OperationResult.KeyReused(), working);
            }
        }
        IReadOnlyList<JournalEntry> related = [];
        if (operation.RelatedReference is { } reference)
        {
            related = sealedRelated.GetValueOrDefault(reference, [])
                .Concat(working.Journal.Where(e => e.References.Contains(reference)))
                .DistinctBy(e => e.Seq)
                .ToList();
        }
        switch (operation.Decide(new MemberOperationInput(working, related, context with { Actor = operation.Actor })))
        {
            case OperationDecision.Rejected rejected:
                return (new OperationResult.Rejected(rejected.Code, rejected.Detail), working);
            case OperationDecision.Accepted accepted:
                var body = JsonSerializer.Serialize(accepted.Response, JsonDefaults.Options);
                if (accepted.Entries.IsEmpty && operation.IdempotencyKey is null && accepted.Account == working)
                {
                    return (new OperationResult.Applied(operation.SuccessStatus, body, accepted.Entries, working), working);
                }
                var next = accepted.Account with
                {
                    Journal = working.Journal.AddRange(accepted.Entries),
                    Idempotency = operation.IdempotencyKey is { } k
                        ? working.Idempotency.Add(new IdempotencyRecord(k, operation.RequestHash, operation.SuccessStatus, body, now))
                        : working.Idempotency,
                    UpdatedAt = now,
                };
                return (new OperationResult.Applied(operation.SuccessStatus, body, accepted.Entries, next), next);
            default:
                throw new InvalidOperationException("Unknown operation decision.");
        }
    }

    /// <summary>
    /// Work that must be durable before the commit can refer to it: full journal pages of already committed entries
    /// are sealed (the commit then drops them from the document), old idempotency records spill to their own
    /// documents, and new expiry dates are listed in the due index. Each write is idempotent, so a commit that then
    /// loses a conflict leaves nothing wrong behind.
    /// </summary>
    private async Task<AccountDocument> PrepareCommitAsync(MemberId memberId, AccountDocument committed, AccountDocument working,
        DateOnly today, DateTimeOffset now, AttemptMemory memory, CancellationToken cancellationToken)
    {
        var writes = new List<Task>();

        var fullPages = committed.Journal.Length / LedgerLimits.PageEntries;
        var sealedThrough = committed.SealedThrough;
        for (var p = 0; p < fullPages; p++)
        {
            var entries = committed.Journal.Slice(p * LedgerLimits.PageEntries, LedgerLimits.PageEntries);
            var pageNo = (entries[0].Seq - 1) / LedgerLimits.PageEntries;
            writes.Add(_store.CreatePageAsync(new JournalPageDocument
            {
                Id = JournalPageDocument.IdOf(pageNo),
                MemberId = memberId.Value,
                PageNo = pageNo,
                Entries = entries,
                References = [.. entries.SelectMany(e => e.References).Distinct(StringComparer.Ordinal)],
            }, cancellationToken));
            sealedThrough = entries[^1].Seq;
        }

        var retained = working.Idempotency.Where(r => now - r.At < LedgerLimits.IdempotencyRetention).ToList();
        var spillUntil = working.IdempotencySpilledUntil;
        var spills = working.IdempotencySpills;
        if (retained.Count > LedgerLimits.RecentIdempotencyRecordsMax)
        {
            // Only records that are already committed may leave the document before this commit succeeds.
            var committedKeys = committed.Idempotency.Select(r => r.Key).ToHashSet(StringComparer.Ordinal);
            var spill = retained.Where(r => committedKeys.Contains(r.Key))
                .Take(retained.Count - LedgerLimits.RecentIdempotencyRecordsMax / 2)
                .ToList();
            if (spill.Count > 0)
            {
                // A retry after a conflict does not write again what an earlier attempt of this batch wrote.
                var unwritten = spill.Where(r => memory.Spilled.Add(r.Key)).ToList();
                if (unwritten.Count > 0) writes.Add(_store.SpillRecordsAsync(memberId, unwritten, cancellationToken));
                spills++;
                var spilledKeys = spill.Select(r => r.Key).ToHashSet(StringComparer.Ordinal);
                retained.RemoveAll(r => spilledKeys.Contains(r.Key));
                var until = spill.Max(r => r.At) + LedgerLimits.IdempotencyRetention;
                spillUntil = spillUntil is { } existing && existing > until ? existing : until;
            }
        }

        // A lot expiring on D is due on D + 1 (a restored lot already past it, tomorrow); pending points on their
        // activation date. Past dates are no longer needed in the sets.
        var expiryIndexed = IndexDueDates(DueIndex.Expiry, working.ExpiryIndexed,
            working.Ledger.Lots.Where(l => l.ExpiresOn is not null).Select(l => l.ExpiresOn!.Value.AddDays(1)), memberId, today, memory, writes);
        var pendingIndexed = IndexDueDates(DueIndex.Pending, working.PendingIndexed,
            working.Ledger.Pending.Select(p => p.ActivatesOn), memberId, today, memory, writes);
        // Ranks (F18, F19): a member raised above the base rank is listed under it before the commit that raises them.
        writes.Add(_rankIndex.ListOnRankChangeAsync(memberId, committed.Earning.Rank, working.Earning.Rank, cancellationToken));

        await Task.WhenAll(writes);
        return working with
        {
            Journal = working.Journal.RemoveAll(e => e.Seq <= sealedThrough),
            SealedThrough = sealedThrough,
            Idempotency = [.. retained],
            IdempotencySpilledUntil = spillUntil,
            IdempotencySpills = spills,
            ExpiryIndexed = expiryIndexed,
            PendingIndexed = pendingIndexed,
        };
    }

    /// <summary>Lists the member under every due date not yet listed (before the commit that needs it: an extra entry is harmless).</summary>
    private ImmutableArray<DateOnly> IndexDueDates(string kind, ImmutableArray<DateOnly> alreadyIndexed, IEnumerable<DateOnly> dueDates,
        MemberId memberId, DateOnly today, AttemptMemory memory, List<Task> writes)
    {
        var indexed = alreadyIndexed.Where(d => d > today).ToList();
        foreach (var dueOn in dueDates.Select(d => d > today ? d : today.AddDays(1)).Distinct().Where(d => !indexed.Contains(d)).ToList())
        {
            // A retry after a conflict does not list the member again under a date an earlier attempt listed.
            if (memory.Listed.Add((kind, dueOn))) writes.Add(_dueIndex.AddAsync(kind, dueOn, memberId));
            indexed.Add(dueOn);
        }
        return [.. indexed.Order()];
    }

    /// <summary>
    /// Sealed entries under the batch's related references (one query each, at once). Nothing to look for while no
    /// page is sealed: every committed entry is then still in the account's journal.
    /// </summary>
    private async Task<IReadOnlyDictionary<string, IReadOnlyList<JournalEntry>>> LoadSealedRelatedAsync(
        MemberId memberId, AccountDocument account, IReadOnlyList<MemberOperation> batch, CancellationToken cancellationToken)
    {
        var references = batch.Select(o => o.RelatedReference).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        if (references.Count == 0 || account.SealedThrough == 0)
        {
            return ImmutableDictionary<string, IReadOnlyList<JournalEntry>>.Empty;
        }
        var found = await Task.WhenAll(references.Select(r => _store.FindSealedEntriesAsync(memberId, r, cancellationToken)));
        return references.Zip(found).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal);
    }

    /// <summary>
    /// Spilled records of the batch's keys. Found records never change; a key found absent stays absent while the
    /// account's spill count is unchanged, so retries after a conflict do not read the same keys again.
    /// </summary>
    private async Task<IReadOnlyDictionary<string, IdempotencyRecord>> LoadSpilledRecordsAsync(MemberId memberId,
        AccountDocument account, IReadOnlyList<MemberOperation> batch, DateTimeOffset now, AttemptMemory memory, CancellationToken cancellationToken)
    {
        if (account.IdempotencySpilledUntil is not { } until || until <= now)
        {
            return ImmutableDictionary<string, IdempotencyRecord>.Empty;
        }
        if (memory.LookupsAtSpills != account.IdempotencySpills)
        {
            foreach (var absent in memory.Lookups.Where(l => l.Value is null).Select(l => l.Key).ToList()) memory.Lookups.Remove(absent);
            memory.LookupsAtSpills = account.IdempotencySpills;
        }
        var keys = batch.Select(o => o.IdempotencyKey).OfType<string>()
            .Where(k => account.Idempotency.All(r => r.Key != k) && !memory.Lookups.ContainsKey(k))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var records = await Task.WhenAll(keys.Select(k => _store.ReadSpilledRecordAsync(memberId, k, cancellationToken)));
        for (var i = 0; i < keys.Count; i++) memory.Lookups[keys[i]] = records[i];
        return memory.Lookups.Where(l => l.Value is not null).ToDictionary(l => l.Key, l => l.Value!, StringComparer.Ordinal);
    }

    /// <summary>What the attempts of one batch learned, so a retry after a conflict repeats as little I/O as is safe.</summary>
    private sealed class AttemptMemory
    {
        public Dictionary<string, IdempotencyRecord?> Lookups { get; } = new(StringComparer.Ordinal);
        public long? LookupsAtSpills { get; set; }
        public HashSet<string> Spilled { get; } = new(StringComparer.Ordinal);
        public HashSet<(string Kind, DateOnly DueOn)> Listed { get; } = [];
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Member {MemberId}: commit conflict, attempt {Attempt}")]
    private partial void LogConflict(string memberId, int attempt);
}

/// <summary>Other writers kept changing a member's document for every retry.</summary>
public sealed class LedgerContentionException(MemberId memberId)
    : ContentionException($"Member {memberId} kept changing during {LedgerLimits.ConflictRetriesMax} attempts.");
