using System.Collections.Concurrent;
using Points.Domain.Primitives;
using Points.Functions.Ledger;
using Points.Functions.Ledger.Outbox;

namespace Points.Functions.Tests.Infrastructure;

/// <summary>
/// Plays an instance that dies between a commit and its outbox dispatch: while armed for a member, the dispatch right
/// after that member's commits throws before any handler runs, as if the process had stopped there. The change-feed
/// path is never stopped. Every app of the tests has one, disarmed.
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
        if (path != DispatchPath.AfterCommit || !_armed.ContainsKey(memberId)) return;
        Killed.Enqueue((memberId, record.Id));
        throw new SimulatedCrashException();
    }
}

public sealed class SimulatedCrashException() : Exception("The instance died between the commit and the outbox dispatch (fault injected by a test).");
