using System.Collections.Immutable;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using Points.Domain.Ledger;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Functions.Ledger.Outbox;
using Points.Functions.Settings;
using Points.Functions.Storage;

namespace Points.Functions.Ledger;

/// <summary>
/// A step every commit runs after the batch's decisions: pure, it derives what the change of the member implies for
/// others (index listings, lists, partners' events) as outbox items, and may record that in the member. Registered by
/// features; <see cref="MemberChange.After"/> is the member as the steps before left it.
/// </summary>
public delegate (Member Member, IReadOnlyList<OutboxItem> Items) MemberCommitStep(MemberChange change);

/// <summary>
/// The one commit path of member documents. It knows no feature: it queues operations per member, decides them with
/// the operations' own deciders, and writes the result atomically, exactly once each, however many callers write to
/// one member at once.
/// <para>
/// Per member, operations queue in a mailbox (<see cref="GroupCommit{TKey,TItem,TResult}"/>); one runner takes up to
/// <see cref="LedgerLimits.BatchOperationsMax"/> of them, decides each in order against the member (idempotency first:
/// a recorded key replays its first result verbatim), runs the registered <see cref="MemberCommitStep"/>s, seals full
/// journal pages, and commits everything, outbox included, with one If-Match replace (a create for a registration).
/// Another writer makes the write fail; the batch is then decided again on fresh state (<see cref="ConflictRetry"/>).
/// After the write, the outbox items are carried out (<see cref="OutboxDispatcher"/>). A decision that throws fails
/// its own operation only.
/// </para>
/// </summary>
public sealed partial class MemberLedger
{
    private readonly LedgerStore _store;
    private readonly ProgramSettingsStore _settingsStore;
    private readonly TimeProvider _clock;
    private readonly ILogger<MemberLedger> _log;
    private readonly IReadOnlyList<MemberCommitStep> _steps;
    private readonly OutboxDispatcher _outbox;
    private readonly GroupCommit<MemberId, MemberOperation, OperationResult> _commits;
    private readonly AccountCache _cache;

    private readonly int _spilledKeyFilterBytes;

    public MemberLedger(LedgerStore store, ProgramSettingsStore settingsStore, TimeProvider clock, ILogger<MemberLedger> log,
        IEnumerable<MemberCommitStep> steps, OutboxDispatcher outbox, AccountCache cache, IConfiguration configuration)
    {
        (_store, _settingsStore, _clock, _log, _steps, _outbox, _cache) = (store, settingsStore, clock, log, [.. steps], outbox, cache);
        // Tests make it tiny to force false "maybe"s (Ledger:SpilledKeyFilterBytes); a filter keeps the size it began with.
        _spilledKeyFilterBytes = configuration.GetValue("Ledger:SpilledKeyFilterBytes", SpilledKeyFilter.BytesDefault);
        _commits = new(LedgerLimits.BatchOperationsMax, CommitBatchAsync);
    }

    /// <summary>
    /// Queues the operation in the member's mailbox and completes with its result once it is committed (or decided
    /// without a write). Storage outages and exhausted retries fault every operation of the batch (nothing of it was
    /// committed); an exception of the operation's own decision faults it alone.
    /// </summary>
    public async Task<OperationResult> ExecuteAsync(MemberId memberId, MemberOperation operation)
    {
        var result = await _commits.EnqueueAsync(memberId, operation);
        if (result is OperationResult.Failed failed) failed.Error.Throw();
        return result;
    }

    private Task<OperationResult[]> CommitBatchAsync(MemberId memberId, IReadOnlyList<MemberOperation> batch)
    {
        var cancellationToken = CancellationToken.None; // A queued operation is committed even if its caller went away.
        var memory = new AttemptMemory();
        return ConflictRetry.RunAsync(attempt => AttemptAsync(memberId, batch, attempt, memory, cancellationToken),
            attempt => LogConflict(memberId.Value, attempt), () => new LedgerContentionException(memberId), cancellationToken);
    }

    /// <summary>
    /// One attempt of a batch. The first decides on the account as this instance last read or wrote it
    /// (<see cref="AccountCache"/>) when it knows it, so a member's next commit is just the write; every retry reads,
    /// because a conflict means another writer.
    /// <para>
    /// Why a cached account, possibly stale, is safe: every write made on it carries its ETag, so a stale one fails (412,
    /// or 404 had the document gone) and the batch is decided again on a fresh read, as any conflict is. What the attempt
    /// does before the write on the account's say-so is safe on a stale one too: sealing pages rewrites entries already
    /// committed (a page that exists is left as it is), spilling writes committed records to a page of their own id,
    /// looking up spilled keys only reads, and outbox items are forgotten or carried out only after the write succeeded.
    /// What a stale account can get wrong is a decision that writes nothing — a refusal (insufficient points, a lapsed
    /// record), a member not found, a decision that changed nothing — as no 412 catches it. So such a batch is decided
    /// again on a fresh read, unless every answer is a replay of a record (a recorded key never changes its answer).
    /// </para>
    /// </summary>
    private async Task<(bool Written, OperationResult[] Results)> AttemptAsync(MemberId memberId, IReadOnlyList<MemberOperation> batch,
        int attempt, AttemptMemory memory, CancellationToken cancellationToken)
    {
        try
        {
            var cached = attempt == 1 ? _cache.Find(memberId) : null;
            if (cached is not null)
            {
                var decided = await DecideAndWriteAsync(memberId, batch, cached.Account, cached.ETag, fromCache: true, memory, cancellationToken);
                if (decided is { } outcome)
                {
                    if (!outcome.Written) _cache.Contended(memberId);
                    return outcome;
                }
            }
            var fresh = await _store.ReadAccountVersionAsync(memberId, cancellationToken);
            if (fresh is null)
            {
                _cache.Drop(memberId);
            }
            else
            {
                // The cached version was stale: another instance writes this member.
                if (cached is not null && cached.ETag != fresh.ETag) _cache.Contended(memberId);
                KeepVersion(memberId, batch, fresh);
            }
            var result = (await DecideAndWriteAsync(memberId, batch, fresh?.Account, fresh?.ETag, fromCache: false, memory, cancellationToken))!.Value;
            if (!result.Written) _cache.Contended(memberId);
            return result;
        }
        catch (Exception)
        {
            _cache.Drop(memberId); // A write may have happened or not (a timeout, an outage): the next commit reads.
            throw;
        }
    }

    /// <summary>
    /// Decides the batch on <paramref name="account"/> and writes the result; <c>Written: false</c> when another writer
    /// came first. Null when the account came from the cache and the batch would write nothing but replays: decide again
    /// on a fresh read (<see cref="AttemptAsync"/> says why).
    /// </summary>
    private async Task<(bool Written, OperationResult[] Results)?> DecideAndWriteAsync(MemberId memberId, IReadOnlyList<MemberOperation> batch,
        AccountDocument? account, string? etag, bool fromCache, AttemptMemory memory, CancellationToken cancellationToken)
    {
        if (account is null && !batch.Any(o => o.MayCreate))
        {
            return (true, [.. batch.Select(_ => (OperationResult)new OperationResult.MemberNotFound())]);
        }
        var now = _clock.GetUtcNow();
        var settings = await _settingsStore.GetAsync(cancellationToken);
        var context = settings.ContextAt(now, "api");
        var sealedRelated = account is null ? ImmutableDictionary<string, IReadOnlyList<JournalEntry>>.Empty
            : await LoadSealedRelatedAsync(memberId, account, batch, cancellationToken);
        var spilled = account is null ? ImmutableDictionary<string, IdempotencyRecord>.Empty
            : await LoadSpilledRecordsAsync(memberId, account, batch, now, memory, cancellationToken);

        var before = account?.Member;
        var working = new Working(before, account?.Journal ?? [], account?.Idempotency ?? [], [], [], [], Changed: false);
        var results = new OperationResult[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            (results[i], working) = Decide(memberId, batch[i], working, context, sealedRelated, spilled, now);
        }
        if (!working.Changed)
        {
            if (fromCache && !results.All(r => r is OperationResult.Replayed or OperationResult.KeyReused))
            {
                return null;
            }
            return (true, results); // Nothing to write: replays, refusals, decisions that changed nothing.
        }

        var (member, outbox, added) = WithSideEffects(memberId, before, working, account?.Outbox ?? [], context.Today, now);
        var next = (account ?? AccountDocument.Of(member, now)) with
        {
            Member = member,
            Journal = working.Journal,
            Idempotency = working.Idempotency,
            Outbox = outbox,
            UpdatedAt = now,
        };
        next = await PrepareCommitAsync(memberId, account, next, now, memory, cancellationToken);
        var written = account is null
            ? await _store.TryCreateAccountAsync(next, cancellationToken)
            : await _store.TryReplaceAccountAsync(next, etag!, cancellationToken);
        if (written is null) return (false, results);
        KeepVersion(memberId, batch, written);

        _outbox.Forget(memberId, (account?.Outbox ?? []).Where(r => outbox.All(o => o.Id != r.Id)));
        // The new items, and any left over from a commit whose dispatch this process does not know finished.
        var lingering = outbox.Where(r => now - r.At > LedgerLimits.OutboxRedispatchAfter);
        await _outbox.DispatchAfterCommitAsync(memberId, [.. added, .. lingering]);
        return (true, results);
    }

    private void KeepVersion(MemberId memberId, IReadOnlyList<MemberOperation> batch, AccountVersion version)
    {
        if (batch.All(o => o.Bulk)) _cache.KeepBulk(memberId, version);
        else _cache.Keep(memberId, version);
    }

    /// <summary>
    /// What a batch has decided so far: the member, the unsealed journal, the recent idempotency records, the outbox
    /// items, and the entries written and events announced by this batch (for the commit steps).
    /// </summary>
    private sealed record Working(Member? Member, ImmutableArray<JournalEntry> Journal, ImmutableArray<IdempotencyRecord> Idempotency,
        ImmutableArray<OutboxItem> Outbox, ImmutableArray<JournalEntry> Added, ImmutableArray<Points.Domain.Webhooks.AnnouncedEvent> Announced, bool Changed);

    private static (OperationResult, Working) Decide(MemberId memberId, MemberOperation operation, Working working, LedgerContext context,
        IReadOnlyDictionary<string, IReadOnlyList<JournalEntry>> sealedRelated, IReadOnlyDictionary<string, IdempotencyRecord> spilled,
        DateTimeOffset now)
    {
        if (operation.IdempotencyKey is { } key)
        {
            var record = working.Idempotency.FirstOrDefault(r => r.Key == key) ?? spilled.GetValueOrDefault(key);
            if (record is not null)
            {
                return (record.RequestHash == operation.RequestHash ? new OperationResult.Replayed(record.Result) : new OperationResult.KeyReused(), working);
            }
        }
        if (working.Member is null && !operation.MayCreate)
        {
            return (new OperationResult.MemberNotFound(), working);
        }
        IReadOnlyList<JournalEntry> related = [];
        if (operation.RelatedReference is { } reference)
        {
            related = sealedRelated.GetValueOrDefault(reference, [])
                .Concat(working.Journal.Where(e => e.References.Contains(reference)))
                .DistinctBy(e => e.Seq)
                .ToList();
        }
        MemberDecision decision;
        try
        {
            decision = operation.Decide(new MemberOperationInput(memberId, working.Member, related, context with { Actor = operation.Actor }));
        }
        catch (Exception e)
        {
            return (new OperationResult.Failed(ExceptionDispatchInfo.Capture(e)), working);
        }
        switch (decision)
        {
            case MemberDecision.Rejected rejected:
                return (new OperationResult.Rejected(rejected.Reason, rejected.Detail), working);
            case MemberDecision.Accepted accepted:
                var applied = new OperationResult.Applied(accepted.Result, accepted.Entries, accepted.Member);
                if (accepted.Entries.IsEmpty && accepted.Outbox.IsEmpty && accepted.Announced.IsEmpty && operation.IdempotencyKey is null && accepted.Member == working.Member)
                {
                    return (applied, working);
                }
                return (applied, working with
                {
                    Member = accepted.Member,
                    Journal = working.Journal.AddRange(accepted.Entries),
                    Idempotency = operation.IdempotencyKey is { } k
                        ? working.Idempotency.Add(new IdempotencyRecord(k, operation.RequestHash, JsonSerializer.Serialize(accepted.Result, accepted.Result.GetType(), JsonDefaults.Options), now))
                        : working.Idempotency,
                    Outbox = working.Outbox.AddRange(accepted.Outbox),
                    Added = working.Added.AddRange(accepted.Entries),
                    Announced = working.Announced.AddRange(accepted.Announced),
                    Changed = true,
                });
            default:
                throw new InvalidOperationException("Unknown member decision.");
        }
    }

    /// <summary>
    /// The outbox the commit writes: the items of the batch's decisions and of the commit steps (one per id), after the
    /// items still there that this process knows were carried out (a later commit removes them, never the one that adds).
    /// </summary>
    private (Member Member, ImmutableArray<OutboxRecord> Outbox, IReadOnlyList<OutboxRecord> Added) WithSideEffects(MemberId memberId, Member? before, Working working,
        ImmutableArray<OutboxRecord> existing, DateOnly today, DateTimeOffset now)
    {
        var member = working.Member!;
        var items = new List<OutboxItem>(working.Outbox);
        foreach (var step in _steps)
        {
            var (next, stepItems) = step(new MemberChange(before, member, working.Added, working.Announced, today, now));
            member = next;
            items.AddRange(stepItems);
        }
        var kept = existing.Where(r => !_outbox.IsDone(memberId, r.Id)).ToList();
        var added = items.DistinctBy(i => i.Id).Where(i => kept.All(r => r.Id != i.Id)).Select(i => _outbox.Record(i, now)).ToList();
        ImmutableArray<OutboxRecord> outbox = [.. kept, .. added];
        if (outbox.Length > LedgerLimits.OutboxItemsMax)
        {
            throw new OutboxFullException(memberId, outbox.Length);
        }
        return (member, outbox, added);
    }

    /// <summary>
    /// Work that must be durable before the commit can refer to it: full journal pages of already committed entries
    /// are sealed (the commit then drops them from the document) and old idempotency records spill to their own
    /// documents. Each write is idempotent, so a commit that then loses a conflict leaves nothing wrong behind.
    /// </summary>
    private async Task<AccountDocument> PrepareCommitAsync(MemberId memberId, AccountDocument? committed, AccountDocument working,
        DateTimeOffset now, AttemptMemory memory, CancellationToken cancellationToken)
    {
        var writes = new List<Task>();
        var committedJournal = committed?.Journal ?? [];
        var fullPages = committedJournal.Length / LedgerLimits.PageEntries;
        var sealedThrough = committed?.SealedThrough ?? 0;
        for (var p = 0; p < fullPages; p++)
        {
            var entries = committedJournal.Slice(p * LedgerLimits.PageEntries, LedgerLimits.PageEntries);
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
        var spilledKeys = working.IdempotencySpilledKeys;
        if (retained.Count > LedgerLimits.RecentIdempotencyRecordsMax)
        {
            // Only records that are already committed may leave the document before this commit succeeds.
            var committedKeys = (committed?.Idempotency ?? []).Select(r => r.Key).ToHashSet(StringComparer.Ordinal);
            var spill = retained.Where(r => committedKeys.Contains(r.Key))
                .Take(retained.Count - LedgerLimits.RecentIdempotencyRecordsMax / 2)
                .ToList();
            if (spill.Count > 0)
            {
                // A retry after a conflict does not write again what an earlier attempt of this batch wrote.
                var unwritten = spill.Where(r => memory.Spilled.Add(r.Key)).ToList();
                if (unwritten.Count > 0) writes.Add(_store.SpillRecordsAsync(memberId, unwritten, cancellationToken));
                spills++;
                var leaving = spill.Select(r => r.Key).ToHashSet(StringComparer.Ordinal);
                retained.RemoveAll(r => leaving.Contains(r.Key));
                // The filter knows every spilled key, or it is not used: it starts only when no older spill is still in retention.
                spilledKeys = spilledKeys is not null || spillUntil is not { } active || active <= now
                    ? (spilledKeys ?? SpilledKeyFilter.Start(now, _spilledKeyFilterBytes)).With(leaving, now)
                    : null;
                var until = spill.Max(r => r.At) + LedgerLimits.IdempotencyRetention;
                spillUntil = spillUntil is { } existing && existing > until ? existing : until;
            }
        }

        await Task.WhenAll(writes);
        return working with
        {
            Journal = working.Journal.RemoveAll(e => e.Seq <= sealedThrough),
            SealedThrough = sealedThrough,
            Idempotency = [.. retained],
            IdempotencySpilledUntil = spillUntil,
            IdempotencySpills = spills,
            IdempotencySpilledKeys = spilledKeys,
        };
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
            .Where(k => account.IdempotencySpilledKeys?.MightContain(k) != false) // certainly never spilled: no read
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
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Member {MemberId}: commit conflict, attempt {Attempt}")]
    private partial void LogConflict(string memberId, int attempt);
}

/// <summary>Other writers kept changing a member's document for every retry.</summary>
public sealed class LedgerContentionException(MemberId memberId)
    : ContentionException($"Member {memberId} kept changing during {ConflictRetry.AttemptsMax} attempts.");

/// <summary>The member's outbox is full because its side effects keep failing: new writes wait until they are carried out.</summary>
public sealed class OutboxFullException(MemberId memberId, int items)
    : ContentionException($"Member {memberId} has {items} outbox items not carried out (at most {LedgerLimits.OutboxItemsMax}).");
