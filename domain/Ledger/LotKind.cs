namespace Points.Domain.Ledger;

/// <summary>
/// The kind of points a lot holds. The declaration order is the tie-break order of consumption on equal expiry
/// (domain.md): special before regular before purchased.
/// </summary>
public enum LotKind
{
    /// <summary>Limited-time points: always have an explicit expiry that is never extended.</summary>
    Special = 0,
    /// <summary>Earned points: expire by the program's expiry policy.</summary>
    Regular = 1,
    /// <summary>Points bought with money: no expiry by default; not withdrawable by default.</summary>
    Purchased = 2,
}
