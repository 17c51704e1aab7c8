using System.Collections.Immutable;
using Points.Domain.Ledger;

namespace Points.Domain.Members;

/// <summary>
/// What a member command decided: accepted, with the member after it, the journal entries that explain the change, the
/// typed result for the caller and the side effects to carry out after the commit (<see cref="OutboxItem"/>); or
/// rejected, with a reason from the deciding feature's closed set (an enum: <c>LedgerRejection</c>,
/// <c>CatalogRejection</c>, …) and a human detail. Storage and HTTP know neither; the app maps reasons to problem codes
/// in one table.
/// </summary>
public abstract record MemberDecision
{
    private MemberDecision() { }

    /// <param name="Member">The member after the command; its ledger is the ledger after <paramref name="Entries"/>.</param>
    /// <param name="Result">What the caller is told (and what a replay of the same request returns).</param>
    public sealed record Accepted(Member Member, ImmutableArray<JournalEntry> Entries, object Result) : MemberDecision
    {
        public ImmutableArray<OutboxItem> Outbox { get; init; } = [];
        /// <summary>Events for partners that neither the entries nor the change of the member say (see <see cref="Webhooks.PartnerEvents"/>).</summary>
        public ImmutableArray<Webhooks.AnnouncedEvent> Announced { get; init; } = [];
    }

    public sealed record Rejected(Enum Reason, string Detail) : MemberDecision
    {
        public static Rejected Of(LedgerOutcome.Rejected rejected) => new(rejected.Reason, rejected.Detail);
    }

    /// <summary>A ledger outcome as a member decision: the ledger slice replaced, the result built from the accepted outcome.</summary>
    public static MemberDecision Of(LedgerOutcome outcome, Member member, Func<LedgerOutcome.Accepted, object> result) => outcome switch
    {
        LedgerOutcome.Rejected r => Rejected.Of(r),
        LedgerOutcome.Accepted a => new Accepted(member with { Ledger = a.State }, a.Entries, result(a)),
        _ => throw new ArgumentOutOfRangeException(nameof(outcome)),
    };
}

/// <summary>
/// Something that must happen after the commit that decided it (an index listing, a document beside the member, a
/// message to a partner). Written in the same atomic write as the member, then carried out at least once: right after
/// the commit, and again by the change-feed dispatcher if the committing instance died. So its effect must be
/// idempotent for the same <see cref="Id"/> (unique within the member) for as long as the item can exist.
/// </summary>
public abstract record OutboxItem
{
    public abstract string Id { get; }
}

/// <summary>
/// What one commit changes of a member, as the commit steps see it: the member before the batch (null when the batch
/// creates them) and after its decisions, the journal entries the batch wrote, the events its decisions announced,
/// the program day and the commit's time.
/// </summary>
public sealed record MemberChange(Member? Before, Member After, ImmutableArray<JournalEntry> Entries, ImmutableArray<Webhooks.AnnouncedEvent> Announced,
    DateOnly Today, DateTimeOffset Now);
