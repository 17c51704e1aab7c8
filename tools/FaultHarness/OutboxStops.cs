using Points.Domain.Primitives;
using Points.Functions.Ledger;
using Points.Functions.Ledger.Outbox;

namespace Points.Tools.FaultHarness;

/// <summary>
/// The process stopped between two steps of the outbox, through the app's seam (<see cref="IOutboxFaults"/>): after a
/// commit, before its item is carried out (the change feed must carry it out), or while <c>DispatchOutbox</c> carries
/// it out (the function fails, the change-feed batch comes again).
/// </summary>
public sealed class OutboxStops(FaultBook book) : IOutboxFaults
{
    public void BeforeDispatch(DispatchPath path, MemberId memberId, OutboxRecord record)
    {
        if (book.Find(memberId.Value) is not { } plan) return;
        if (plan.Roll(FaultKind.ProcessStop, plan.Normalize($"outbox {path} {memberId} {record.Id}")))
        {
            plan.Note($"outbox dispatch stopped ({path})");
            throw new InstanceStoppedException(path);
        }
    }
}

public sealed class InstanceStoppedException(DispatchPath path)
    : Exception($"Injected: the instance stopped before carrying out an outbox item ({path}).");
