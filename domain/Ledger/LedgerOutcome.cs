using System.Collections.Immutable;

namespace Points.Domain.Ledger;

/// <summary>
/// The expected reasons a ledger command is refused, in the order they are checked. The app maps each to its stable
/// problem code in one table.
/// </summary>
public enum LedgerRejection
{
    MemberInDebt,
    InsufficientPoints,
    ExpiryRequired,
    ExpiryNotAllowed,
    ExpiryInPast,
    NothingToReverse,
    ReversalExceedsRemaining,
    HoldNotFound,
}

/// <summary>The result of deciding a command: the new entries and the state after them, or a rejection.</summary>
public abstract record LedgerOutcome
{
    private LedgerOutcome() { }

    public sealed record Accepted(ImmutableArray<JournalEntry> Entries, MemberAccount State) : LedgerOutcome;

    public sealed record Rejected(LedgerRejection Reason, string Detail) : LedgerOutcome;
}
