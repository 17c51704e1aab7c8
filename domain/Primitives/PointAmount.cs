namespace Points.Domain.Primitives;

/// <summary>
/// A number of points: a whole, signed integer. Bounds: ±<see cref="MaxMagnitude"/> (10^12), far above any
/// real balance, so that checked arithmetic on sums of many amounts can never overflow silently.
/// Positive amounts credit, negative amounts debit; a zero amount is a legal value but not a legal command.
/// </summary>
public readonly record struct PointAmount : IComparable<PointAmount>
{
    public const long MaxMagnitude = 1_000_000_000_000;
    /// <summary>The most points one request (a redemption, an adjustment, a reversal, a CSV row) may move: 10^9, a thousandth of the bound.</summary>
    public const long PerRequestMax = 1_000_000_000;

    public long Value { get; }

    public PointAmount(long value)
    {
        if (value is > MaxMagnitude or < -MaxMagnitude)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, $"A point amount must be within ±{MaxMagnitude}.");
        }
        Value = value;
    }

    public static readonly PointAmount Zero = new(0);

    public bool IsPositive => Value > 0;
    public bool IsNegative => Value < 0;
    public bool IsZero => Value == 0;
    public PointAmount Abs() => new(Math.Abs(Value));

    public static PointAmount operator +(PointAmount a, PointAmount b) => new(checked(a.Value + b.Value));
    public static PointAmount operator -(PointAmount a, PointAmount b) => new(checked(a.Value - b.Value));
    public static PointAmount operator -(PointAmount a) => new(-a.Value);
    public static bool operator <(PointAmount a, PointAmount b) => a.Value < b.Value;
    public static bool operator >(PointAmount a, PointAmount b) => a.Value > b.Value;
    public static bool operator <=(PointAmount a, PointAmount b) => a.Value <= b.Value;
    public static bool operator >=(PointAmount a, PointAmount b) => a.Value >= b.Value;

    public static PointAmount Min(PointAmount a, PointAmount b) => a.Value <= b.Value ? a : b;
    public static PointAmount Max(PointAmount a, PointAmount b) => a.Value >= b.Value ? a : b;

    public int CompareTo(PointAmount other) => Value.CompareTo(other.Value);

    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static implicit operator PointAmount(long value) => new(value);
}

public static class PointAmountSums
{
    public static PointAmount Sum<T>(this IEnumerable<T> items, Func<T, PointAmount> selector)
    {
        var total = PointAmount.Zero;
        foreach (var item in items)
        {
            total += selector(item);
        }
        return total;
    }
}
