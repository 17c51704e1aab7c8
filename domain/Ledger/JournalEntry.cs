using Points.Domain.Primitives;

namespace Points.Domain.Ledger;

/// <summary>The type of a journal entry; the wire names are the lower-case names (api.md).</summary>
public enum EntryType
{
    Earn,
    Spend,
    Reverse,
    Expire,
    Adjust,
    Hold,
    Release,
    Withdraw,
    Purchase,
    Refund,
    /// <summary>Pending points becoming usable (F38).</summary>
    Activate,
    /// <summary>
    /// Open lots moved to a later expiry by the <c>rolling</c> policy after an activity: no points move, the entry's
    /// lots say which lots left which date (negative) and the date they now have (positive).
    /// </summary>
    Extend,
    /// <summary>An admin took the remaining points of special lots out of the balance (F28); regular points are never taken.</summary>
    Invalidate,
    /// <summary>
    /// Points brought over from the system the business used before (issue 17): an opening balance with the lot's
    /// original earn and expiry dates, not points issued by this program.
    /// </summary>
    Migrate,
}

/// <summary>
/// One immutable line of a member's history. <see cref="Seq"/> is consecutive per member from 1.
/// <see cref="Points"/> is signed: positive credits the member, negative debits. For every entry except a withdraw and a
/// pending one, <c>BalanceAfter = previous BalanceAfter + Points</c>; a withdraw entry settles a hold, so it lowers
/// <see cref="HeldAfter"/> instead, and a pending entry moves <see cref="PendingAfter"/> instead.
/// <see cref="Lots"/> lists the lot movements (positive into a lot, negative out of it), and
/// <see cref="DebtChange"/> the change of debt (positive when a debit ran past the lots, negative when a credit
/// repaid debt). <see cref="References"/> are every reference under which this entry can be found for a reversal.
/// </summary>
public sealed record JournalEntry
{
    public required long Seq { get; init; }
    public required EntryType Type { get; init; }
    public required PointAmount Points { get; init; }
    /// <summary>The kind of the lots touched, or null when the entry touched several kinds.</summary>
    public LotKind? Kind { get; init; }
    /// <summary>True when the entry moved special (limited-time) points.</summary>
    public bool LimitedTime { get; init; }
    public required PointAmount BalanceAfter { get; init; }
    public PointAmount HeldAfter { get; init; }
    public PointAmount DebtChange { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
    public string? Reference { get; init; }
    public IReadOnlyList<string> References { get; init; } = [];
    public string? Reason { get; init; }
    public required string Actor { get; init; }
    public IReadOnlyList<LotPortion> Lots { get; init; } = [];
    /// <summary>For <see cref="EntryType.Reverse"/>: the sequence number of the entry it reverses.</summary>
    public long? ReversalOf { get; init; }
    /// <summary>For hold, release and withdraw entries: the hold they concern.</summary>
    public string? HoldId { get; init; }
    public string? StoreId { get; init; }
    public string? Channel { get; init; }
    /// <summary>
    /// Set when the entry moved pending points: a pending earn (+), a cancelled one (−, by a reversal) or an activation
    /// (−, the points then enter <see cref="Lots"/>). Entries with <see cref="Pending"/> true leave the balance unchanged.
    /// </summary>
    public PendingLot? PendingLot { get; init; }
    /// <summary>True for a pending earn or its cancellation: the balance is unchanged, <see cref="PendingAfter"/> moves.</summary>
    public bool Pending { get; init; }
    public PointAmount PendingAfter { get; init; }
    /// <summary>For earns: the rule and its version that granted the points.</summary>
    public string? RuleId { get; init; }
    public int? RuleVersion { get; init; }
    /// <summary>On the first earn of a purchase event: the purchase it rewarded, so a reversal can net the rank metric.</summary>
    public Yen? PurchaseYen { get; init; }
    /// <summary>The program's yen per point when the entry was written, so the accounting of past points keeps their value (F40).</summary>
    public int? YenPerPoint { get; init; }
    public DateOnly? PurchaseOn { get; init; }
}
