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
    /// <summary>One credit or debit of more than <see cref="Primitives.PointAmount.PerRequestMax"/> points (e.g. an award a rule computed from a huge amount).</summary>
    AmountTooLarge,
    /// <summary>The member's points (in lots, held and pending) or debt would pass <see cref="Primitives.PointAmount.MaxMagnitude"/>.</summary>
    BalanceLimitExceeded,
}

/// <summary>The result of deciding a command: the new entries and the state after them, or a rejection.</summary>
public abstract record LedgerOutcome
{
    private LedgerOutcome() { }

    public sealed record Accepted(ImmutableArray<JournalEntry> Entries, MemberAccount State) : LedgerOutcome;

    public sealed record Rejected(LedgerRejection Reason, string Detail) : LedgerOutcome;
}
