using System.Collections.Concurrent;
using Points.Domain.Primitives;
using Points.Functions.Ledger;
using Points.Functions.Ledger.Outbox;

namespace Points.Functions.Tests.Infrastructure;

/// <summary>
/// Plays an instance that dies between a commit and its outbox dispatch: while armed for a member, the dispatch right
/// after that member's commits throws before any handler runs, as if the process had stopped there. While armed, the
/// change feed's dispatch of that member fails too (its batch comes again after the runner's retry delay): on a busy
/// machine the feed could otherwise see the commit and carry its items out before the dying instance got to them, and
/// there would be nothing left to kill. Every app of the tests has one, disarmed.
/// </summary>
public sealed class OutboxFaultInjector : IOutboxFaults
{
    private readonly ConcurrentDictionary<MemberId, int> _armed = new();

    /// <summary>Items whose after-commit dispatch was killed.</summary>
    public ConcurrentQueue<(MemberId Member, string ItemId)> Killed { get; } = new();

    /// <summary>Runs <paramref name="commit"/> with the after-commit dispatches of <paramref name="member"/> killed.</summary>
    public async Task<T> KillingDispatchAfterCommitAsync<T>(string member, Func<Task<T>> commit)
    {
        var memberId = MemberId.Parse(member);
        _armed[memberId] = 1;
        try
        {
            return await commit();
        }
        finally
        {
            _armed.TryRemove(memberId, out _);
        }
    }

    public void BeforeDispatch(DispatchPath path, MemberId memberId, OutboxRecord record)
    {
        if (!_armed.ContainsKey(memberId)) return;
        if (path != DispatchPath.AfterCommit) throw new FeedTooEarlyException();
        Killed.Enqueue((memberId, record.Id));
        throw new SimulatedCrashException();
    }
}

public sealed class FeedTooEarlyException() : Exception("The change feed reached a commit whose instance is about to die (held off by a test).");

public sealed class SimulatedCrashException() : Exception("The instance died between the commit and the outbox dispatch (fault injected by a test).");
