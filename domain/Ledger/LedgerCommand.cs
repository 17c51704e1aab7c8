using Points.Domain.Primitives;

namespace Points.Domain.Ledger;

/// <summary>What a caller tells the ledger to do for one member. Every command is decided against the current state.</summary>
public abstract record LedgerCommand
{
    private protected LedgerCommand() { }

    /// <summary>Descriptive fields copied onto the entries the command creates.</summary>
    public EntryDetails Details { get; init; } = EntryDetails.Empty;

    /// <summary>
    /// Credit points into a lot of <paramref name="Kind"/>. <paramref name="Type"/> is earn, adjust or purchase.
    /// Special points need <paramref name="ExpiresOn"/>; regular points take the program policy's expiry and must not
    /// name one; purchased points do not expire.
    /// </summary>
    public sealed record Credit(EntryType Type, PointAmount Points, LotKind Kind, DateOnly? ExpiresOn) : LedgerCommand
    {
        /// <summary>Keeps the points in a lot of their own (see <see cref="Lot.Source"/>).</summary>
        public string? Source { get; init; }

        /// <summary>When set and after today, the points are pending until this program-zone date (F38).</summary>
        public DateOnly? PendingUntil { get; init; }
    }

    /// <summary>
    /// An opening balance from the old system: <paramref name="Points"/> into a lot of <paramref name="Kind"/> that keeps
    /// the <paramref name="EarnedOn"/> and <paramref name="ExpiresOn"/> (null: never expires) it had there.
    /// </summary>
    public sealed record Migrate(LotKind Kind, PointAmount Points, DateOnly EarnedOn, DateOnly? ExpiresOn) : LedgerCommand;

    /// <summary>Take points out of lots in consumption order. <paramref name="Type"/> is spend or adjust.</summary>
    public sealed record Debit(EntryType Type, PointAmount Points) : LedgerCommand;

    /// <summary>
    /// Reverse (wholly, or <paramref name="Points"/> of) the earn, spend or referenced adjustment found under <paramref name="Reference"/>.
    /// <paramref name="Related"/> are every entry whose references contain it (the original and earlier reversals).
    /// </summary>
    public sealed record Reverse(string Reference, PointAmount? Points, IReadOnlyList<JournalEntry> Related) : LedgerCommand;

    /// <summary>Journal the activation of due pending points and the expiry of every lot whose expiry date is before today.</summary>
    public sealed record ExpireDue : LedgerCommand;

    /// <summary>Set points aside from lots of the <paramref name="Kinds"/> allowed, in consumption order.</summary>
    public sealed record PlaceHold(string HoldId, PointAmount Points, IReadOnlySet<LotKind> Kinds) : LedgerCommand;

    /// <summary>Give held points back to the same lots.</summary>
    public sealed record ReleaseHold(string HoldId) : LedgerCommand;

    /// <summary>Settle held points: they leave the member for good (a paid-out withdrawal).</summary>
    public sealed record SettleHold(string HoldId) : LedgerCommand;

    /// <summary>
    /// Take the remaining points of the special lots of <paramref name="Source"/>, or of the special lot <paramref name="LotId"/>,
    /// out of the balance (F28). Spent and held points stay as they are; nothing left is nothing to do.
    /// </summary>
    public sealed record Invalidate(string? Source, string? LotId) : LedgerCommand;
}

/// <summary>
/// Reference, reason and origin of an entry. <see cref="References"/> are extra keys to find it by (e.g. an order id).
/// <see cref="RuleId"/> and <see cref="RuleVersion"/> name the earning rule that granted the points.
/// </summary>
public sealed record EntryDetails(string? Reference, IReadOnlyList<string> References, string? Reason, string? StoreId, string? Channel)
{
    /// <summary>Longest reference a partner or admin may give (an order id, an event id, an adjustment's reference).</summary>
    public const int ReferenceLengthMax = 128;
    /// <summary>Longest channel name (web, app, store…).</summary>
    public const int ChannelLengthMax = 64;

    public string? RuleId { get; init; }
    public int? RuleVersion { get; init; }
    /// <summary>On the first earn of a purchase event: the purchase's yen and program-zone day (the rank metric).</summary>
    public Yen? PurchaseYen { get; init; }
    public DateOnly? PurchaseOn { get; init; }

    public static readonly EntryDetails Empty = new(null, [], null, null, null);

    public IReadOnlyList<string> AllReferences =>
        Reference is null ? References : [Reference, .. References.Where(r => r != Reference)];
}

/// <summary>Everything a decision needs besides the state and the command: the time and the program's policy.</summary>
/// <param name="Now">The instant of the operation.</param>
/// <param name="Today">The program-zone calendar date of <paramref name="Now"/>.</param>
public sealed record LedgerContext(DateTimeOffset Now, DateOnly Today, Expiry.ExpiryPolicy RegularExpiry, string Actor)
{
    /// <summary>When purchased points expire: never by default (product.md F15); a program may give them the regular policy.</summary>
    public Expiry.ExpiryPolicy PurchasedExpiry { get; init; } = new Expiry.ExpiryPolicy.None();

    /// <summary>The program's yen per point, recorded on every entry (F40); null where a caller has none to give.</summary>
    public int? YenPerPoint { get; init; }

    /// <summary>The time of day of <paramref name="Now"/> in the program zone (campaign hours). By default, of <paramref name="Now"/>'s own offset.</summary>
    public TimeOnly LocalTime { get; init; } = TimeOnly.FromTimeSpan(Now.TimeOfDay);
}
