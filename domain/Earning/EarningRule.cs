using Points.Domain.Primitives;
using Points.Domain.Ledger;

namespace Points.Domain.Earning;

/// <summary>Rounding of a computed number of points, applied once, to the final result (domain.md "Earning").</summary>
public enum Rounding { Floor, HalfUp, Ceiling }

/// <summary>How a rule computes its base points from an event.</summary>
public abstract record EarningFormula
{
    private EarningFormula() { }

    /// <summary><paramref name="Points"/> per event.</summary>
    public sealed record Fixed(long Points) : EarningFormula;

    /// <summary>
    /// <paramref name="PointsPerUnit"/> for every <paramref name="UnitYen"/> of the event's amount. With
    /// <see cref="Rounding.Floor"/> (the default) only whole units count: floor(amount / unit) × pointsPerUnit; with
    /// half-up or ceiling, the exact fraction is carried to the end and rounded once.
    /// </summary>
    public sealed record Rate(long UnitYen, long PointsPerUnit, Rounding Rounding) : EarningFormula;
}

/// <summary>A limit per period: at most <paramref name="Times"/> awards and/or <paramref name="Points"/> points.</summary>
public sealed record CapLimit(int? Times, long? Points);

/// <summary>Caps per program-zone calendar day, calendar month, and for the member's lifetime. Applied after multipliers.</summary>
public sealed record Caps(CapLimit? PerDay, CapLimit? PerMonth, CapLimit? Lifetime)
{
    public static readonly Caps None = new(null, null, null);
}

/// <summary>Who may earn by a rule; an empty list means no restriction.</summary>
public sealed record Eligibility(IReadOnlyList<string> Ranks, IReadOnlyList<string> Tags, IReadOnlyList<string> StoreIds, IReadOnlyList<string> Channels)
{
    public static readonly Eligibility Everyone = new([], [], [], []);
}

/// <summary>
/// What a rule grants: points of <paramref name="Kind"/>; special points expire on <paramref name="ExpiresOn"/>,
/// <paramref name="ExpiresAfterDays"/> after the event's day, or at the end of the month <see cref="ExpiresAtEndOfMonth"/>
/// months after the event's (one is required for special points; 0 = the end of the event's month, e.g. birthday points
/// valid until the end of the birth month). With <paramref name="PendingDays"/> the points stay pending (shown, not
/// usable) for that many days after the event's day.
/// </summary>
public sealed record Grant(LotKind Kind, DateOnly? ExpiresOn, int? ExpiresAfterDays, int? PendingDays = null)
{
    public static readonly Grant Regular = new(LotKind.Regular, null, null);

    public int? ExpiresAtEndOfMonth { get; init; }

    public DateOnly? PendingUntil(DateOnly eventDay) => PendingDays is > 0 and var days ? eventDay.AddDays(days) : null;

    public DateOnly? ExpiryFor(DateOnly eventDay) =>
        Kind != LotKind.Special ? null
        : ExpiresOn ?? (ExpiresAfterDays is { } days ? eventDay.AddDays(days)
            : ExpiresAtEndOfMonth is { } months ? Expiry.ExpiryPolicy.LastDayOfMonth(eventDay.AddMonths(months)) : null);
}

/// <summary>
/// An earning rule (F7). <paramref name="Trigger"/> is an event type (<c>login</c>, <c>purchase</c>, …) or
/// <c>custom:{name}</c>. Rules on one trigger are evaluated by ascending <paramref name="Priority"/>; a rule that is not
/// <paramref name="Stackable"/> and awards points stops the rules after it. <paramref name="Version"/> grows with every
/// change and is recorded on what the rule granted. The active window is [ActiveFrom, ActiveUntil).
/// </summary>
public sealed record EarningRule(
    string RuleId,
    int Version,
    string Trigger,
    EarningFormula Formula,
    Caps Caps,
    Eligibility Eligibility,
    Grant Grant,
    DateTimeOffset? ActiveFrom,
    DateTimeOffset? ActiveUntil,
    int Priority,
    bool Stackable,
    bool ApplyRankMultiplier,
    bool ApplyNewRankImmediately)
{
    public bool IsActiveAt(DateTimeOffset instant) =>
        (ActiveFrom is null || instant >= ActiveFrom) && (ActiveUntil is null || instant < ActiveUntil);
}

/// <summary>
/// A time-windowed multiplier (F8), e.g. ×2.0 on weekends: <paramref name="MultiplierPermille"/> 2000. Applies to
/// events of the listed triggers and stores (empty = all) on the listed program-zone days of week (empty = all), within
/// [From, Until).
/// </summary>
public sealed record Campaign(
    string CampaignId,
    int MultiplierPermille,
    IReadOnlyList<string> Triggers,
    IReadOnlyList<string> StoreIds,
    IReadOnlyList<DayOfWeek> DaysOfWeek,
    DateTimeOffset From,
    DateTimeOffset Until)
{
    /// <summary>
    /// Hours of the day in the program zone, <see cref="HoursFrom"/> inclusive to <see cref="HoursUntil"/> exclusive (both or
    /// neither). When the end is not after the start the hours run past midnight, and the part after midnight belongs to
    /// the day they began: "Friday 22:00–02:00" includes Saturday 01:00.
    /// </summary>
    public TimeOnly? HoursFrom { get; init; }

    public TimeOnly? HoursUntil { get; init; }

    /// <summary>Days of the week are the program's local days (<see cref="EarningEvent.Day"/>).</summary>
    public bool AppliesTo(EarningEvent e) =>
        e.OccurredAt >= From && e.OccurredAt < Until
        && (Triggers.Count == 0 || Triggers.Contains(e.Trigger))
        && (StoreIds.Count == 0 || (e.StoreId is { } store && StoreIds.Contains(store)))
        && InHours(e.Day, e.LocalTime);

    private bool InHours(DateOnly day, TimeOnly time)
    {
        bool On(DateOnly d) => DaysOfWeek.Count == 0 || DaysOfWeek.Contains(d.DayOfWeek);
        if (HoursFrom is not { } from || HoursUntil is not { } until) return On(day);
        return from < until
            ? from <= time && time < until && On(day)
            : (time >= from && On(day)) || (time < until && On(day.AddDays(-1)));
    }
}

/// <summary>
/// A rank and what it brings (F18, F19): reached at <see cref="Reach"/> of the program's trailing metric: <see
/// cref="Threshold"/> when given (purchases, points or yen, in the metric's unit), else <paramref name="ThresholdYen"/>
/// (the purchase amount metric's yen).
/// </summary>
public sealed record RankDefinition(string Name, Yen ThresholdYen, int MultiplierPermille, long MonthlyPoints)
{
    /// <summary>The threshold in the unit of the program's metric; null: <see cref="ThresholdYen"/>.</summary>
    public long? Threshold { get; init; }

    /// <summary>The value of the metric at which the rank is reached.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public long Reach => Threshold ?? ThresholdYen.Value;

    public static readonly IReadOnlyList<RankDefinition> Defaults =
    [
        new("bronze", 0, 1000, 0),
        new("silver", 50_000, 1200, 100),
        new("gold", 200_000, 1500, 500),
    ];

    /// <summary>The highest rank whose threshold the metric reaches.</summary>
    public static RankDefinition For(IReadOnlyList<RankDefinition> ranks, long metric) =>
        ranks.Where(r => r.Reach <= metric).MaxBy(r => r.Reach) ?? ranks.MinBy(r => r.Reach)!;
}

/// <summary>
/// An event as the earning engine sees it. <paramref name="AmountYen"/> is set for purchases; <paramref name="Day"/> and
/// <see cref="LocalTime"/> are the program-zone date and time of day of <paramref name="OccurredAt"/>.
/// </summary>
public sealed record EarningEvent(string EventId, string Trigger, DateTimeOffset OccurredAt, DateOnly Day, Yen? AmountYen, string? StoreId, string? Channel)
{
    public TimeOnly LocalTime { get; init; }
}
