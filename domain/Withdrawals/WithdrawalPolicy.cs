using Points.Domain.Ledger;
using Points.Domain.Primitives;

namespace Points.Domain.Withdrawals;

/// <summary>A withholding-tax tier: the part of the gross up to <paramref name="UpToYen"/> (null: the rest) at <paramref name="RateBasisPoints"/> (1 = 0.01%).</summary>
public sealed record TaxTier(Yen? UpToYen, int RateBasisPoints);

/// <summary>
/// What the administrator sets for cash-outs (product.md F22–F25, domain.md "Withdrawal"). Rates are in basis points
/// (1 = 0.01%, so 10.21% is 1021) to stay integers. <see cref="Version"/> identifies these settings (the app uses a
/// fingerprint of them) and is stored with each request, so a request is always explained by the settings it was decided under.
/// </summary>
public sealed record WithdrawalPolicy
{
    public const int BasisPointsScale = 10_000;

    public bool Enabled { get; init; }
    public long MinimumPoints { get; init; } = 1_000;
    /// <summary>Members younger than this (Japanese age rule, on the request date) cannot withdraw; null: no limit.</summary>
    public int? AgeLimitYears { get; init; } = 18;
    public Yen FeeFixedYen { get; init; } = Yen.Zero;
    public int FeeRateBasisPoints { get; init; }
    /// <summary>Withholding applies when the gross reaches this amount (inclusive).</summary>
    public Yen TaxThresholdYen { get; init; } = 120_000;
    /// <summary>Japan's default (NTA No.2795): 10.21% up to ¥1,000,000, 20.42% of the part above.</summary>
    public IReadOnlyList<TaxTier> TaxTiers { get; init; } = [new(1_000_000, 1021), new(null, 2042)];
    public IReadOnlyList<LotKind> WithdrawableKinds { get; init; } = [LotKind.Regular, LotKind.Special];
    /// <summary>Requests one member may make in a program-zone month (canceled and rejected ones do not count); null: no limit.</summary>
    public int? MonthlyRequestsMax { get; init; }
    public string Version { get; init; } = "";
}

/// <summary>
/// The money of one withdrawal, in whole yen: <c>gross = points × yenPerPoint</c>; <c>fee = fixed + floor(gross × rate)</c>;
/// <c>tax</c> = the tiers' rates on the gross when it reaches the threshold, summed exactly and then rounded down once
/// (fractions of a yen are dropped, 1円未満切捨て); <c>net = gross − fee − tax</c>.
/// </summary>
public sealed record WithdrawalQuote(Yen Gross, Yen Fee, Yen Tax, long Net)
{
    public static WithdrawalQuote For(PointAmount points, int yenPerPoint, WithdrawalPolicy policy)
    {
        var gross = Yen.ForPoints(points, yenPerPoint);
        var fee = policy.FeeFixedYen.PlusCapped(new Yen(gross.Value * (long)policy.FeeRateBasisPoints / WithdrawalPolicy.BasisPointsScale));
        var tax = gross >= policy.TaxThresholdYen ? TaxOn(gross, policy.TaxTiers) : Yen.Zero;
        return new WithdrawalQuote(gross, fee, tax, gross.Value - fee.Value - tax.Value);
    }

    private static Yen TaxOn(Yen gross, IReadOnlyList<TaxTier> tiers)
    {
        Int128 exact = 0; // in yen × basis-point scale: summed exactly, rounded down once
        long lower = 0;
        foreach (var tier in tiers)
        {
            var upper = Math.Min(gross.Value, tier.UpToYen?.Value ?? long.MaxValue);
            if (upper > lower) exact += (Int128)(upper - lower) * tier.RateBasisPoints;
            lower = upper;
            if (lower >= gross.Value) break;
        }
        return new Yen((long)(exact / WithdrawalPolicy.BasisPointsScale));
    }
}

/// <summary>Japanese age (Act on Calculation of Age): a person reaches an age on the day before the birthday.</summary>
public static class JapaneseAge
{
    /// <summary>Age on <paramref name="day"/>: the usual count taken on the next day (born on Feb 29: reached on Feb 28).</summary>
    public static int On(DateOnly birthDate, DateOnly day)
    {
        var next = day.AddDays(1);
        var age = next.Year - birthDate.Year;
        return (next.Month, next.Day).CompareTo((birthDate.Month, birthDate.Day)) < 0 ? age - 1 : age;
    }
}
