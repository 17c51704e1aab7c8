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

    /// <summary>Purchase amount over the 12 months ending with <paramref name="month"/>'s month (inclusive).</summary>
    public Yen TrailingYearYen(DateOnly month)
    {
        var from = CalendarText.MonthOf(month.AddMonths(-11));
        var to = CalendarText.MonthOf(month);
        return Purchases.Where(p => string.CompareOrdinal(p.Month, from) >= 0 && string.CompareOrdinal(p.Month, to) <= 0)
            .Aggregate(Yen.Zero, (sum, p) => sum.PlusCapped(p.AmountYen));
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
        };
    }

    /// <summary>Takes returned purchase yen out of the month it was counted in (the rank metric is net of reversals).</summary>
    public MemberEarning WithoutPurchaseYen(DateOnly day, Yen amount)
    {
        var key = CalendarText.MonthOf(day);
        return this with
        {
            Purchases = [.. Purchases.Select(p => p.Month == key ? p with { AmountYen = p.AmountYen.Less(amount) } : p)],
        };
    }
}

/// <summary>Purchases of one program-zone month (<c>yyyy-MM</c>): total yen, how many, and the distinct SKUs.</summary>
public sealed record MonthlyPurchases(string Month, Yen AmountYen, int Count, ImmutableArray<string> Skus);
