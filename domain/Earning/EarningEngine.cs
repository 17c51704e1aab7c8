using System.Collections.Immutable;
using System.Numerics;
using Points.Domain.Primitives;
using Points.Domain.Ledger;

namespace Points.Domain.Earning;

/// <summary>How much a member has earned by one rule in a period (a program-zone day, a month, or "lifetime").</summary>
public sealed record PeriodCount(string Period, int Times, long Points);

/// <summary>A member's use of one rule, for its caps. Only the last <see cref="EarningEngine.DaysKept"/> days and
/// <see cref="EarningEngine.MonthsKept"/> months are kept, so a counter stays small.</summary>
public sealed record RuleCounter(string RuleId, ImmutableArray<PeriodCount> Days, ImmutableArray<PeriodCount> Months, PeriodCount Lifetime);

/// <summary>What the engine knows of the member: rank before the event and after it (a purchase can upgrade), and tags.</summary>
public sealed record MemberFacts(RankDefinition RankBefore, RankDefinition RankAfter, IReadOnlyList<string> Tags);

/// <summary>Points a rule grants for an event; pending until <paramref name="PendingUntil"/> when set.</summary>
public sealed record Award(string RuleId, int RuleVersion, long Points, LotKind Kind, DateOnly? ExpiresOn, DateOnly? PendingUntil = null);

public sealed record EarningResult(ImmutableArray<Award> Awards, ImmutableArray<RuleCounter> Counters);

/// <summary>
/// Evaluates earning rules for one event (domain.md "Earning"): base points by the rule's formula, times the rank
/// multiplier and every applicable campaign multiplier, rounded once by the rule's rounding, then capped. An event whose
/// rules grant nothing yields no award (the caller still records the event as processed).
/// </summary>
public static class EarningEngine
{
    public const int DaysKept = 8;
    public const int MonthsKept = 2;
    private const int PermilleScale = 1000;

    public static EarningResult Evaluate(EarningEvent e, MemberFacts member, IEnumerable<EarningRule> rules,
        IEnumerable<Campaign> campaigns, ImmutableArray<RuleCounter> counters)
    {
        var campaignPermilles = campaigns.Where(c => c.AppliesTo(e)).Select(c => c.MultiplierPermille).ToList();
        var awards = ImmutableArray.CreateBuilder<Award>();
        var month = e.Day.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture);
        var day = e.Day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        foreach (var rule in rules.Where(r => r.Trigger == e.Trigger && r.IsActiveAt(e.OccurredAt)).OrderBy(r => r.Priority).ThenBy(r => r.RuleId, StringComparer.Ordinal))
        {
            var rank = rule.ApplyNewRankImmediately ? member.RankAfter : member.RankBefore;
            if (!IsEligible(rule.Eligibility, rank.Name, member.Tags, e))
            {
                continue;
            }
            var multipliers = rule.ApplyRankMultiplier ? [rank.MultiplierPermille, .. campaignPermilles] : campaignPermilles;
            var computed = Compute(rule.Formula, e.AmountYen?.Value, multipliers);
            var counter = counters.FirstOrDefault(c => c.RuleId == rule.RuleId)
                ?? new RuleCounter(rule.RuleId, [], [], new PeriodCount("lifetime", 0, 0));
            var points = Cap(computed, rule.Caps, Find(counter.Days, day), Find(counter.Months, month), counter.Lifetime);
            if (points <= 0)
            {
                continue;
            }
            awards.Add(new Award(rule.RuleId, rule.Version, points, rule.Grant.Kind, rule.Grant.ExpiryFor(e.Day), rule.Grant.PendingUntil(e.Day)));
            // An award past the per-request bound is refused with its event (EarningDecider), so it is never counted.
            if (points <= PointAmount.PerRequestMax)
            {
                counters = counters.RemoveAll(c => c.RuleId == rule.RuleId).Add(Count(counter, day, month, points));
            }
            if (!rule.Stackable)
            {
                break;
            }
        }
        return new EarningResult(awards.ToImmutable(), counters);
    }

    /// <summary>
    /// Base points × multipliers (per mille), exact, rounded once by the formula's rounding. Exact whatever the
    /// multipliers (arbitrary precision: many ×100 campaigns would overflow even 128 bits); a result beyond
    /// <see cref="long.MaxValue"/> saturates there, far above what a decider accepts (<see cref="PointAmount.PerRequestMax"/>).
    /// </summary>
    public static long Compute(EarningFormula formula, long? amountYen, IReadOnlyList<int> multipliersPermille)
    {
        var (numerator, denominator, rounding) = formula switch
        {
            EarningFormula.Fixed f => ((BigInteger)f.Points, BigInteger.One, Rounding.Floor),
            EarningFormula.Rate { Rounding: Rounding.Floor } r => ((BigInteger)(Math.Max(amountYen ?? 0, 0) / r.UnitYen) * r.PointsPerUnit, BigInteger.One, Rounding.Floor),
            EarningFormula.Rate r => ((BigInteger)Math.Max(amountYen ?? 0, 0) * r.PointsPerUnit, (BigInteger)r.UnitYen, r.Rounding),
            _ => throw new ArgumentOutOfRangeException(nameof(formula)),
        };
        foreach (var permille in multipliersPermille)
        {
            numerator *= permille;
            denominator *= PermilleScale;
        }
        var quotient = BigInteger.DivRem(numerator, denominator, out var remainder);
        var result = rounding switch
        {
            Rounding.Floor => quotient,
            Rounding.Ceiling => quotient + (remainder > 0 ? 1 : 0),
            Rounding.HalfUp => quotient + (remainder * 2 >= denominator ? 1 : 0),
            _ => throw new ArgumentOutOfRangeException(nameof(formula)),
        };
        return result > long.MaxValue ? long.MaxValue : (long)result;
    }

    private static bool IsEligible(Eligibility eligibility, string rank, IReadOnlyList<string> tags, EarningEvent e) =>
        (eligibility.Ranks.Count == 0 || eligibility.Ranks.Contains(rank))
        && (eligibility.Tags.Count == 0 || eligibility.Tags.Any(tags.Contains))
        && (eligibility.StoreIds.Count == 0 || (e.StoreId is { } store && eligibility.StoreIds.Contains(store)))
        && (eligibility.Channels.Count == 0 || (e.Channel is { } channel && eligibility.Channels.Contains(channel)));

    private static long Cap(long points, Caps caps, PeriodCount day, PeriodCount month, PeriodCount lifetime)
    {
        foreach (var (limit, used) in new[] { (caps.PerDay, day), (caps.PerMonth, month), (caps.Lifetime, lifetime) })
        {
            if (limit is null) continue;
            if (limit.Times is { } times && used.Times >= times) return 0;
            if (limit.Points is { } max) points = Math.Min(points, max - used.Points);
        }
        return points;
    }

    private static PeriodCount Find(ImmutableArray<PeriodCount> periods, string period) =>
        periods.FirstOrDefault(p => p.Period == period) ?? new PeriodCount(period, 0, 0);

    private static RuleCounter Count(RuleCounter counter, string day, string month, long points)
    {
        static ImmutableArray<PeriodCount> Add(ImmutableArray<PeriodCount> periods, string period, long points, int kept)
        {
            var current = Find(periods, period);
            return [.. periods.Where(p => p.Period != period)
                .Append(current with { Times = current.Times + 1, Points = current.Points + points })
                .OrderByDescending(p => p.Period, StringComparer.Ordinal) // ISO dates sort as text
                .Take(kept)];
        }
        return counter with
        {
            Days = Add(counter.Days, day, points, DaysKept),
            Months = Add(counter.Months, month, points, MonthsKept),
            Lifetime = counter.Lifetime with { Times = counter.Lifetime.Times + 1, Points = counter.Lifetime.Points + points },
        };
    }
}
