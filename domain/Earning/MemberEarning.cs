using System.Collections.Immutable;
using Points.Domain.Primitives;

namespace Points.Domain.Earning;

/// <summary>
/// What earning needs to remember per member: the current rank, each rule's use (for caps) and purchases per
/// program-zone month (the rank metric is the trailing 12 months). Bounded: counters keep a few periods, purchases
/// <see cref="PurchaseMonthsKept"/> months, SKUs <see cref="SkusPerMonthMax"/> a month.
/// </summary>
public sealed record MemberEarning(string Rank, ImmutableArray<RuleCounter> Counters, ImmutableArray<MonthlyPurchases> Purchases)
{
    public const int PurchaseMonthsKept = 13;
    /// <summary>Bounds the member for members who buy many different products (F26 targets by SKU).</summary>
    public const int SkusPerMonthMax = 50;

    public static readonly MemberEarning New = new(RankDefinition.Defaults[0].Name, [], []);

    /// <summary>
    /// One-time triggers already fired for this member (registration, referral welcome). Idempotency keys are kept only
    /// 7 days, so a trigger that must fire once in a member's life is guarded here, in the same commit that grants it.
    /// </summary>
    public ImmutableArray<string> OnceTriggersFired { get; init; } = [];

    /// <summary>
    /// The months (<c>yyyy-MM</c>, newest first, at most <see cref="PurchaseHistoryMonthsMax"/>) whose purchase history
    /// page beside the member holds purchases: a segment reads exactly those pages, by id, instead of querying.
    /// </summary>
    public ImmutableArray<string> PurchaseMonths { get; init; } = [];

    public const int PurchaseHistoryMonthsMax = 120;

    /// <summary>Points earned by rules per program-zone month (<see cref="PurchaseMonthsKept"/> months), net of reversals: the <c>pointsEarned</c> rank metric.</summary>
    public ImmutableArray<MonthlyPoints> Earned { get; init; } = [];

    /// <summary>Purchase amount over the 12 months ending with <paramref name="month"/>'s month (inclusive).</summary>
    public Yen TrailingYearYen(DateOnly month) => new(Trailing(RankMetric.Default, month));

    /// <summary>The rank metric over its months ending with <paramref name="month"/>'s month (inclusive); never below 0.</summary>
    public long Trailing(RankMetric metric, DateOnly month)
    {
        var from = CalendarText.MonthOf(month.AddMonths(1 - metric.Months));
        var to = CalendarText.MonthOf(month);
        bool InWindow(string m) => string.CompareOrdinal(m, from) >= 0 && string.CompareOrdinal(m, to) <= 0;
        var value = metric.Kind switch
        {
            RankMetricKind.PurchaseAmount => Purchases.Where(p => InWindow(p.Month)).Aggregate(Yen.Zero, (sum, p) => sum.PlusCapped(p.AmountYen)).Value,
            RankMetricKind.PurchaseCount => Purchases.Where(p => InWindow(p.Month)).Sum(p => (long)p.Count),
            RankMetricKind.PointsEarned => Earned.Where(p => InWindow(p.Month)).Sum(p => p.Points),
            _ => throw new ArgumentOutOfRangeException(nameof(metric), metric.Kind, "Unknown rank metric."),
        };
        return Math.Max(value, 0);
    }

    /// <summary>Adds <paramref name="points"/> (negative for a reversal) to the points earned in <paramref name="day"/>'s month.</summary>
    public MemberEarning WithEarned(DateOnly day, long points)
    {
        if (points == 0) return this;
        var key = CalendarText.MonthOf(day);
        var current = Earned.FirstOrDefault(p => p.Month == key) ?? new MonthlyPoints(key, 0);
        return this with
        {
            Earned = [.. Earned.Where(p => p.Month != key).Append(current with { Points = current.Points + points })
                .OrderByDescending(p => p.Month, StringComparer.Ordinal).Take(PurchaseMonthsKept)],
        };
    }

    /// <summary>Adds a purchase to its month: amount, count and the distinct SKUs bought.</summary>
    public MemberEarning WithPurchase(DateOnly day, Yen amount, IEnumerable<string> skus)
    {
        var key = CalendarText.MonthOf(day);
        var current = Purchases.FirstOrDefault(p => p.Month == key) ?? new MonthlyPurchases(key, 0, 0, []);
        var bought = current with
        {
            AmountYen = current.AmountYen.PlusCapped(amount),
            Count = current.Count + 1,
            Skus = [.. current.Skus.Union(skus, StringComparer.Ordinal).Take(SkusPerMonthMax)],
        };
        return this with
        {
            Purchases = [.. Purchases.Where(p => p.Month != key).Append(bought).OrderByDescending(p => p.Month, StringComparer.Ordinal).Take(PurchaseMonthsKept)],
            PurchaseMonths = PurchaseMonths.Contains(key) ? PurchaseMonths
                : [.. PurchaseMonths.Append(key).OrderByDescending(m => m, StringComparer.Ordinal).Take(PurchaseHistoryMonthsMax)],
        };
    }

    /// <summary>
    /// Takes returned purchase yen out of the month it was counted in (the rank metric is net of reversals), and the
    /// purchase itself from the month's count when <paramref name="wholly"/> reversed.
    /// </summary>
    public MemberEarning WithoutPurchaseYen(DateOnly day, Yen amount, bool wholly = false)
    {
        var key = CalendarText.MonthOf(day);
        return this with
        {
            Purchases = [.. Purchases.Select(p => p.Month == key ? p with { AmountYen = p.AmountYen.Less(amount), Count = wholly ? Math.Max(p.Count - 1, 0) : p.Count } : p)],
        };
    }
}

/// <summary>Points of one program-zone month (<c>yyyy-MM</c>).</summary>
public sealed record MonthlyPoints(string Month, long Points);

/// <summary>What ranks are measured by (F18): the purchase amount (yen), the number of purchases, or the points earned by rules.</summary>
public enum RankMetricKind { PurchaseAmount, PurchaseCount, PointsEarned }

/// <summary>The rank metric of a program: a kind over the trailing <paramref name="Months"/> program-zone months (this one included).</summary>
public sealed record RankMetric(RankMetricKind Kind, int Months)
{
    /// <summary>domain.md: purchase amount over the trailing 12 months.</summary>
    public static readonly RankMetric Default = new(RankMetricKind.PurchaseAmount, 12);

    /// <summary>The longest window: the member keeps 13 months of purchases and earned points.</summary>
    public const int MonthsMax = 12;
}

/// <summary>Purchases of one program-zone month (<c>yyyy-MM</c>): total yen, how many, and the distinct SKUs.</summary>
public sealed record MonthlyPurchases(string Month, Yen AmountYen, int Count, ImmutableArray<string> Skus);
