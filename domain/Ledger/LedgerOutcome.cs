using System.Collections.Immutable;

namespace Points.Domain.Ledger;

/// <summary>
/// The expected reasons a ledger command is refused, in the order they are checked. Each has a stable wire code
/// (snake_case of the name, see <see cref="LedgerRejections.Code"/>).
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

public static class LedgerRejections
{
    public static string Code(this LedgerRejection rejection) => rejection switch
    {
        LedgerRejection.MemberInDebt => "member_in_debt",
        LedgerRejection.InsufficientPoints => "insufficient_points",
        LedgerRejection.ExpiryRequired => "expiry_required",
        LedgerRejection.ExpiryNotAllowed => "expiry_not_allowed",
        LedgerRejection.ExpiryInPast => "expiry_in_past",
        LedgerRejection.NothingToReverse => "nothing_to_reverse",
        LedgerRejection.ReversalExceedsRemaining => "reversal_exceeds_remaining",
        LedgerRejection.HoldNotFound => "hold_not_found",
        _ => throw new ArgumentOutOfRangeException(nameof(rejection), rejection, null),
    };
}

/// <summary>The result of deciding a command: the new entries and the state after them, or a rejection.</summary>
public abstract record LedgerOutcome
{
    private LedgerOutcome() { }

    public sealed record Accepted(ImmutableArray<JournalEntry> Entries, MemberAccount State) : LedgerOutcome;

    public sealed record Rejected(LedgerRejection Reason, string Detail) : LedgerOutcome;
}
