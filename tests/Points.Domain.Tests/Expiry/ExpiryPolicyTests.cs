using Points.Domain.Expiry;
using static Points.Domain.Tests.Ledger.LedgerScenario;

namespace Points.Domain.Tests.Expiry;

public sealed class ExpiryPolicyTests
{
    [Theory]
    [InlineData("2026-11-23", 12, true, "2027-11-30")] // domain.md worked example
    [InlineData("2026-01-31", 1, false, "2026-02-28")] // clamped to the month's end
    [InlineData("2028-01-31", 1, false, "2028-02-29")]
    [InlineData("2026-11-23", 12, false, "2027-11-23")]
    [InlineData("2026-02-28", 1, true, "2026-03-31")]
    public void FixedMonths_ExpiryFor(string earnedOn, int months, bool endOfMonth, string expected) =>
        Assert.Equal(D(expected), new ExpiryPolicy.FixedMonths(months, endOfMonth).ExpiryFor(D(earnedOn)));

    [Theory]
    [InlineData("2026-11-23", 4, 1, "2028-03-31")] // domain.md worked example (FY2026 = 2026-04-01..2027-03-31)
    [InlineData("2026-03-31", 4, 1, "2027-03-31")]
    [InlineData("2026-04-01", 4, 0, "2027-03-31")]
    [InlineData("2026-11-23", 1, 1, "2027-12-31")]
    public void FiscalYear_ExpiryFor(string earnedOn, int startMonth, int yearsAfter, string expected) =>
        Assert.Equal(D(expected), new ExpiryPolicy.FiscalYear(startMonth, yearsAfter).ExpiryFor(D(earnedOn)));

    [Fact]
    public void None_NeverExpires() => Assert.Null(new ExpiryPolicy.None().ExpiryFor(D("2026-11-23")));
}
