using System.Collections.Concurrent;
using Points.Domain.Members;
using Points.Domain.Primitives;

namespace Points.Functions.Ledger.Outbox;

/// <summary>Which path carries out an outbox item: right after the commit, or the change feed of the ledger container.</summary>
public enum DispatchPath { AfterCommit, ChangeFeed }

/// <summary>
/// A seam for fault-injection tests: called before an item's handler. Production has none; a test's can throw to
/// play an instance that dies between the commit and the dispatch.
/// </summary>
public interface IOutboxFaults
{
    void BeforeDispatch(DispatchPath path, MemberId memberId, OutboxRecord record);
}

/// <summary>
/// Carries out outbox items, at least once each, and in this process exactly once. Items come from two paths: the
/// instance that committed them, right after the commit (<see cref="DispatchAfterCommitAsync"/>), and, because that
/// instance may die first, <c>DispatchOutbox</c> on the change feed of the ledger container, which sees every version
/// of a member document that holds items (<see cref="DispatchAsync"/>). This process remembers each item's work
/// (in flight or done) by member and id: a second path awaits the first instead of repeating it, and a failed or
/// crashed attempt is simply started again. Across instances an item may be carried out twice, which its idempotent
/// handler makes harmless. A commit removes from the document only items this process knows are done.
/// </summary>
public sealed partial class OutboxDispatcher(OutboxItemTypes types, IServiceProvider services, IEnumerable<IOutboxFaults> faults,
    ILogger<OutboxDispatcher> log)
{
    /// <summary>
    /// Items remembered; beyond, those done are forgotten (an item carried out again is harmless). Bounded well below
    /// what a bulk import commits (each new member leaves a few items its next commit would forget), so memory stays flat.
    /// </summary>
    public const int RememberedMax = 20_000;

    /// <summary>
    /// Dispatches between two looks at how many items are remembered: <c>ConcurrentDictionary.Count</c> takes every lock
    /// of the dictionary, which on every dispatch cost 5 % of the process's CPU in bench 1. The bound stays
    /// <see cref="RememberedMax"/> plus what this many dispatches add.
    /// </summary>
    private const int DispatchesPerSizeCheck = 128;

    /// <summary>
    /// Commits whose <see cref="OutboxTiming.AfterTheAnswer"/> items may be going on after their answers at once; beyond,
    /// an answer waits for its items, so a burst cannot pile up work faster than it is carried out.
    /// </summary>
    public const int AfterTheAnswerInFlightMax = 1_024;

    /// <summary>How long <see cref="ItemsInFlightDoneAsync"/> waits at most (a job then reads on; a late listing is allowed for).</summary>
    public static readonly TimeSpan ItemsInFlightWaitMax = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<(MemberId, string), Lazy<Task>> _work = new();
    private int _dispatches;
    private int _afterTheAnswerInFlight;
    private readonly IOutboxFaults[] _faults = [.. faults];

    public OutboxRecord Record(OutboxItem item, DateTimeOffset at) => types.Record(item, at);

    public bool IsDone(MemberId memberId, string itemId) =>
        _work.TryGetValue((memberId, itemId), out var work) && work.IsValueCreated && work.Value.IsCompletedSuccessfully;

    /// <summary>The items left the member's document: nothing will ask about them again.</summary>
    public void Forget(MemberId memberId, IEnumerable<OutboxRecord> records)
    {
        foreach (var record in records) _work.TryRemove((memberId, record.Id), out _);
    }

    /// <summary>
    /// Right after a commit: carries out its items, and completes when those the caller's answer waits for are done
    /// (<see cref="OutboxTiming"/>); the others go on after it, unless <see cref="AfterTheAnswerInFlightMax"/> are
    /// already going on, and then the answer waits for them too. Never throws: the commit stands, and an item that
    /// failed here stays in the document for the change feed (or a later commit) to carry out.
    /// </summary>
    public Task DispatchAfterCommitAsync(MemberId memberId, IReadOnlyList<OutboxRecord> records)
    {
        if (records.Count == 0) return Task.CompletedTask;
        // One pass, and no list at all for the usual commit whose items the answer all waits for.
        List<OutboxRecord>? awaited = null, later = null;
        foreach (var record in records)
        {
            if (types.AnswerWaitsFor(record)) (awaited ??= []).Add(record);
            else (later ??= []).Add(record);
        }
        if (later is null) return CarryOutQuietlyAsync(memberId, records);
        if (Interlocked.Increment(ref _afterTheAnswerInFlight) > AfterTheAnswerInFlightMax)
        {
            Interlocked.Decrement(ref _afterTheAnswerInFlight);
            return CarryOutQuietlyAsync(memberId, records);
        }
        // Started here, before the answer: from now on ItemsInFlightDoneAsync sees these items.
        _ = CarryOutQuietlyAsync(memberId, later).ContinueWith(_ => Interlocked.Decrement(ref _afterTheAnswerInFlight), TaskScheduler.Default);
        return awaited is null ? Task.CompletedTask : CarryOutQuietlyAsync(memberId, awaited);
    }

    /// <summary>
    /// Completes when every item this process had started carrying out is done or failed, or after
    /// <see cref="ItemsInFlightWaitMax"/>: for readers of what <see cref="OutboxTiming.AfterTheAnswer"/> items write,
    /// so that a job (or a test) run here sees every listing of the commits answered before it.
    /// </summary>
    public async Task ItemsInFlightDoneAsync(CancellationToken cancellationToken)
    {
        // Enumerating the dictionary takes none of its locks (Values would take them all).
        var inFlight = _work.Select(p => p.Value).Where(w => w.IsValueCreated && !w.Value.IsCompleted).Select(w => w.Value).ToList();
        if (inFlight.Count == 0) return;
        await Task.WhenAll(inFlight).WaitAsync(ItemsInFlightWaitMax, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private async Task CarryOutQuietlyAsync(MemberId memberId, IReadOnlyList<OutboxRecord> records)
    {
        try
        {
            await DispatchAsync(memberId, records, DispatchPath.AfterCommit, CancellationToken.None);
        }
        catch (Exception e)
        {
            LogLeftForTheChangeFeed(log, memberId.Value, records.Count, e.GetType().Name);
        }
    }

    /// <summary>Carries out every item not done in this process (awaiting those in flight); throws when any failed.</summary>
    public async Task DispatchAsync(MemberId memberId, IReadOnlyList<OutboxRecord> records, DispatchPath path, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _dispatches) % DispatchesPerSizeCheck == 0 && _work.Count > RememberedMax) ForgetDone();
        var work = records.Select(record => _work.AddOrUpdate((memberId, record.Id),
            _ => new Lazy<Task>(() => RunAsync(memberId, record, path)),
            (_, existing) => existing.IsValueCreated && (existing.Value.IsFaulted || existing.Value.IsCanceled)
                ? new Lazy<Task>(() => RunAsync(memberId, record, path)) // failed or crashed before: try again
                : existing).Value);
        await Task.WhenAll(work).WaitAsync(cancellationToken);
    }

    private async Task RunAsync(MemberId memberId, OutboxRecord record, DispatchPath path)
    {
        // A test's fault decides here, synchronously, while the commit that made the item is still being answered (an
        // item carried out after the answer would otherwise meet the fault disarmed).
        foreach (var fault in _faults) fault.BeforeDispatch(path, memberId, record);
        await Task.Yield(); // Out of the caller's path: a handler may take a while.
        // Not cancellable: a handler half done would only be redone, and the commit it follows is final.
        await types.HandleAsync(services, memberId, record, CancellationToken.None);
        LogDispatched(log, memberId.Value, record.Id, path);
    }

    private void ForgetDone()
    {
        foreach (var (key, work) in _work)
        {
            if (work.IsValueCreated && work.Value.IsCompletedSuccessfully) _work.TryRemove(key, out _);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Member {MemberId}: outbox item {ItemId} carried out ({Path})")]
    private static partial void LogDispatched(ILogger log, string memberId, string itemId, DispatchPath path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Member {MemberId}: {Items} outbox items not carried out after the commit ({Error}); the change feed will")]
    private static partial void LogLeftForTheChangeFeed(ILogger log, string memberId, int items, string error);
}
