namespace Points.Domain.Primitives;

/// <summary>
/// An amount of money in whole yen (JPY has no minor unit). Bounds: 0..<see cref="Max"/> (10^13 yen, far above any
/// purchase or yearly total), checked on construction and arithmetic, so a sum of many amounts cannot overflow silently.
/// Every rounding of yen is a named method here, with its reason.
/// </summary>
public readonly record struct Yen : IComparable<Yen>
{
    public const long Max = 10_000_000_000_000;

    public long Value { get; }

    public Yen(long value)
    {
        if (value is < 0 or > Max)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, $"An amount of yen must be within 0..{Max}.");
        }
        Value = value;
    }

    public static readonly Yen Zero = new(0);

    public static Yen operator +(Yen a, Yen b) => new(checked(a.Value + b.Value));

    /// <summary>
    /// The sum, held at <see cref="Max"/>: for totals that are statistics (a month's purchases for the rank metric), so
    /// that a hostile stream of huge purchases cannot make a member fail; every rank threshold is far below the cap.
    /// </summary>
    public Yen PlusCapped(Yen b) => new(Math.Min(Max, Value + b.Value)); // both ≤ 10^13: the long sum cannot overflow

    /// <summary>What is left of this amount after taking <paramref name="b"/>, never below zero.</summary>
    public Yen Less(Yen b) => new(Math.Max(0, checked(Value - b.Value)));

    public static bool operator <(Yen a, Yen b) => a.Value < b.Value;
    public static bool operator >(Yen a, Yen b) => a.Value > b.Value;
    public static bool operator <=(Yen a, Yen b) => a.Value <= b.Value;
    public static bool operator >=(Yen a, Yen b) => a.Value >= b.Value;

    public int CompareTo(Yen other) => Value.CompareTo(other.Value);

    /// <summary>The yen that <paramref name="points"/> points are worth at <paramref name="yenPerPoint"/>.</summary>
    public static Yen ForPoints(PointAmount points, int yenPerPoint) => new(checked(points.Value * yenPerPoint));

    /// <summary>
    /// <paramref name="part"/> / <paramref name="whole"/> of this amount, rounded down: used to take a reversed share of
    /// a purchase out of the rank metric, which must never drop by more than was returned.
    /// </summary>
    public Yen ShareFloor(long part, long whole)
    {
        if (part < 0 || whole <= 0 || part > whole)
        {
            throw new ArgumentOutOfRangeException(nameof(part), $"A share is 0..whole of a positive whole ({part}/{whole}).");
        }
        return new((long)((Int128)Value * part / whole));
    }

    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static implicit operator Yen(long value) => new(value);
}
