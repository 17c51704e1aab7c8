using Points.Domain.Earning;
using Points.Functions.Ledger;

namespace Points.Functions.Earning;

/// <summary>Earning events as member operations: the event id is the idempotency key, so a replayed event awards nothing new.</summary>
public static class EarningOperation
{
    public static MemberOperation For(EarnCommand command, EarningConfig config, string actor, string requestHash) =>
        new(actor, KeyOf(command.Event.EventId), requestHash, input => EarningDecider.Decide(input.Member, command, config, input.Context));

    /// <summary>The idempotency key of an event: events and other requests of a member never share keys.</summary>
    public static string KeyOf(string eventId) => "event:" + eventId;
}
