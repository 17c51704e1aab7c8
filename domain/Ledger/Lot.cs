using Points.Domain.Primitives;

namespace Points.Domain.Ledger;

/// <summary>
/// An open lot: points of one kind and one expiry that are still there to spend. Lots that are interchangeable
/// (same kind and expiry) are merged when credited, so a member has about one lot per expiry date and kind,
/// whatever their activity; the surviving lot keeps its id and its earliest earn date.
/// <paramref name="ExpiresOn"/> is inclusive and null means no expiry. <paramref name="Remaining"/> is always &gt; 0
/// (an emptied lot is removed; a reversal that restores it recreates it from the portion it recorded).
/// </summary>
public sealed record Lot(string LotId, long CreatedSeq, LotKind Kind, DateOnly? ExpiresOn, DateOnly EarnedOn, PointAmount Remaining)
{
    /// <summary>
    /// What granted the lot when it must stay apart from others of its kind and expiry (a special points campaign,
    /// <c>campaign:{id}</c>), so that it can be invalidated alone; null for points that merge freely.
    /// </summary>
    public string? Source { get; init; }

    public bool IsDueOn(DateOnly today) => ExpiresOn is { } expiry && expiry < today;

    public LotPortion Portion(PointAmount points) => new(LotId, CreatedSeq, Kind, ExpiresOn, EarnedOn, points) { Source = Source };
}

/// <summary>
/// Points moved into (positive) or out of (negative) one lot by one journal entry. It carries the lot's kind, expiry
/// and earn date so that a reversal can restore the exact lot even after it was emptied and removed.
/// </summary>
public sealed record LotPortion(string LotId, long CreatedSeq, LotKind Kind, DateOnly? ExpiresOn, DateOnly EarnedOn, PointAmount Points)
{
    /// <summary>The lot's <see cref="Lot.Source"/>.</summary>
    public string? Source { get; init; }
}

/// <summary>Points set aside from lots (e.g. for a withdrawal) until they are settled or released to the same lots.</summary>
public sealed record Hold(string HoldId, PointAmount Points, IReadOnlyList<LotPortion> Portions);

/// <summary>
/// Consumption order for spending, holds and deductions (domain.md): earliest expiry first, lots without expiry
/// last; on equal expiry special before regular before purchased; then oldest earned first; then oldest lot.
/// </summary>
public sealed class ConsumptionOrder : IComparer<Lot>
{
    public static readonly ConsumptionOrder Instance = new();

    public int Compare(Lot? x, Lot? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return -1;
        if (y is null) return 1;
        var byExpiry = (x.ExpiresOn, y.ExpiresOn) switch
        {
            (null, null) => 0,
            (null, _) => 1,
            (_, null) => -1,
            ({ } a, { } b) => a.CompareTo(b),
        };
        if (byExpiry != 0) return byExpiry;
        var byKind = x.Kind.CompareTo(y.Kind);
        if (byKind != 0) return byKind;
        var byEarned = x.EarnedOn.CompareTo(y.EarnedOn);
        return byEarned != 0 ? byEarned : x.CreatedSeq.CompareTo(y.CreatedSeq);
    }
}

/// <summary>
/// Points granted but not yet usable (F38, e.g. a return window): shown, but not spendable, holdable or withdrawable
/// until <paramref name="ActivatesOn"/> (program-zone date), when they move into a lot of their kind and expiry.
/// A reversal of the grant before then cancels them. In a journal entry, <paramref name="Points"/> is signed.
/// </summary>
public sealed record PendingLot(string LotId, long CreatedSeq, LotKind Kind, DateOnly? ExpiresOn, DateOnly ActivatesOn, PointAmount Points);
