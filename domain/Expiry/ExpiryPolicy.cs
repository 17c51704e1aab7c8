namespace Points.Domain.Expiry;

/// <summary>
/// How long regular (or purchased) points live (product.md F15). A lot keeps the expiry computed when it was granted;
/// changing the policy only affects lots granted afterwards, except that <see cref="Rolling"/> extends open lots on
/// activity by its own definition, from the time it is in force. Expiry dates are whole days in the program time zone,
/// inclusive: a lot expiring on D can be spent until 23:59:59 on D.
/// </summary>
public abstract record ExpiryPolicy
{
    private ExpiryPolicy() { }

    /// <summary>The expiry date of regular points earned on <paramref name="earnedOn"/>, or null for no expiry.</summary>
    public abstract DateOnly? ExpiryFor(DateOnly earnedOn);

    /// <summary>
    /// Earn date + <paramref name="Months"/> months, clamped to the month's end (2026-01-31 + 1 month = 2026-02-28),
    /// or the last day of that month when <paramref name="EndOfMonth"/>.
    /// </summary>
    public sealed record FixedMonths(int Months, bool EndOfMonth) : ExpiryPolicy
    {
        public override DateOnly? ExpiryFor(DateOnly earnedOn)
        {
            var date = earnedOn.AddMonths(Months); // DateOnly.AddMonths clamps to the month's last day.
            return EndOfMonth ? LastDayOfMonth(date) : date;
        }
    }

    /// <summary>
    /// Points earned in a fiscal year (starting on the first day of <paramref name="StartMonth"/>) expire at the end of
    /// the fiscal year <paramref name="YearsAfter"/> later. Start April, 1 year after, earned 2026-11-23 (FY2026)
    /// → 2028-03-31.
    /// </summary>
    public sealed record FiscalYear(int StartMonth, int YearsAfter) : ExpiryPolicy
    {
        public override DateOnly? ExpiryFor(DateOnly earnedOn)
        {
            var fiscalYearStart = earnedOn.Month >= StartMonth ? earnedOn.Year : earnedOn.Year - 1;
            var nextStart = new DateOnly(fiscalYearStart + YearsAfter + 1, StartMonth, 1);
            return nextStart.AddDays(-1);
        }
    }

    /// <summary>
    /// Earn date + <paramref name="Months"/> months (clamped to the month's end), and every activity the program counts
    /// (an earn, a spend) moves the expiry of all open lots of the kind to activity date + <paramref name="Months"/>
    /// months: a member active within every window never loses points. An extension only ever moves a date later.
    /// </summary>
    public sealed record Rolling(int Months, bool OnEarn, bool OnSpend) : ExpiryPolicy
    {
        public override DateOnly? ExpiryFor(DateOnly earnedOn) => earnedOn.AddMonths(Months);

        /// <summary>Whether an entry of <paramref name="activity"/> extends the open lots.</summary>
        public bool ExtendsOn(Ledger.EntryType activity) =>
            (activity == Ledger.EntryType.Earn && OnEarn) || (activity == Ledger.EntryType.Spend && OnSpend);
    }

    /// <summary>Regular points never expire.</summary>
    public sealed record None : ExpiryPolicy
    {
        public override DateOnly? ExpiryFor(DateOnly earnedOn) => null;
    }

    public const int MonthsMax = 120;

    /// <summary>Checks a policy coming from settings; returns a message naming what is wrong, or null.</summary>
    public static string? Validate(ExpiryPolicy policy) => policy switch
    {
        FixedMonths f when f.Months is < 1 or > MonthsMax => $"months must be 1..{MonthsMax}",
        FiscalYear y when y.StartMonth is < 1 or > 12 => "startMonth must be 1..12",
        FiscalYear y when y.YearsAfter is < 0 or > 10 => "yearsAfter must be 0..10",
        Rolling r when r.Months is < 1 or > MonthsMax => $"months must be 1..{MonthsMax}",
        Rolling { OnEarn: false, OnSpend: false } => "extendOn must name at least one activity (earn, spend)",
        _ => null,
    };

    public static DateOnly LastDayOfMonth(DateOnly date) =>
        new(date.Year, date.Month, DateTime.DaysInMonth(date.Year, date.Month));
}
