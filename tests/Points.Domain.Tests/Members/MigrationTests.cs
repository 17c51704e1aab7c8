using Points.Domain.Ledger;
using Points.Domain.Members;
using Points.Domain.Primitives;
using static Points.Domain.Tests.Members.MemberScenario;

namespace Points.Domain.Tests.Members;

/// <summary>Opening balances (issue 17): each migrated lot keeps its dates; a member migrates by one file only.</summary>
public sealed class MigrationTests
{
    private static MigratedLot Lot(long points, LotKind kind, string earnedOn, string? expiresOn) =>
        new(kind, new PointAmount(points), DateOnly.Parse(earnedOn, System.Globalization.CultureInfo.InvariantCulture),
            expiresOn is null ? null : DateOnly.Parse(expiresOn, System.Globalization.CultureInfo.InvariantCulture), "old-42");

    [Fact]
    public void EveryLot_KeepsItsEarnAndExpiryDates_AsAMigrateEntry()
    {
        var first = Accepted(Migration.Decide(With(), Lot(300, LotKind.Regular, "2025-06-01", "2027-05-31"), "file-a", Row(), Context()));
        var second = Accepted(Migration.Decide(first.Member, Lot(50, LotKind.Purchased, "2024-01-10", null), "file-a", Row(), Context()));

        var lots = second.Member.Ledger.Lots.OrderBy(l => l.Kind).Select(l => (l.Kind, l.Remaining.Value, l.EarnedOn, l.ExpiresOn));
        Assert.Equal([(LotKind.Regular, 300L, new DateOnly(2025, 6, 1), (DateOnly?)new DateOnly(2027, 5, 31)), (LotKind.Purchased, 50L, new DateOnly(2024, 1, 10), null)], lots);
        var entry = Assert.Single(second.Entries);
        Assert.Equal((EntryType.Migrate, 50L, 350L, "old-42", Migration.Reason), (entry.Type, entry.Points.Value, entry.BalanceAfter.Value, entry.Reference, entry.Reason));
        Assert.Equal(0, second.Member.Ledger.LifetimeEarned); // brought over, not earned here
        Assert.Equal(("file-a", Today, 2), (second.Member.Migration!.FileKey, second.Member.Migration.MigratedOn, second.Member.Migration.Rows.Length));
    }

    [Fact]
    public void ALotThatExpiredInTheOldSystem_IsRefused_AndOneExpiringToday_IsTaken()
    {
        Assert.Equal(LedgerRejection.ExpiryInPast, Rejected(Migration.Decide(With(), Lot(10, LotKind.Special, "2026-01-01", "2026-11-22"), "file-a", Row(), Context())));
        Assert.Equal(10, Accepted(Migration.Decide(With(), Lot(10, LotKind.Special, "2026-01-01", "2026-11-23"), "file-a", Row(), Context())).Member.Ledger.Balance.Value);
    }

    private static long _row;

    /// <summary>A new row number of the file for each lot.</summary>
    private static long Row() => Interlocked.Increment(ref _row);

    [Fact]
    public void TheSameRowOfTheSameFile_AppliesOnce_HoweverLater()
    {
        var migrated = Accepted(Migration.Decide(With(), Lot(10, LotKind.Regular, "2026-01-01", "2027-01-01"), "file-a", 7, Context())).Member;
        Assert.Equal(MigrationRejection.AlreadyMigrated, Rejected(Migration.Decide(migrated, Lot(10, LotKind.Regular, "2026-01-01", "2027-01-01"), "file-a", 7, Context())));
        Assert.Equal(20, Accepted(Migration.Decide(migrated, Lot(10, LotKind.Regular, "2026-01-01", "2027-01-01"), "file-a", 8, Context())).Member.Ledger.Balance.Value);
    }

    [Fact]
    public void AnotherFile_ForAMigratedMember_IsRefused()
    {
        var migrated = Accepted(Migration.Decide(With(), Lot(10, LotKind.Regular, "2026-01-01", "2027-01-01"), "file-a", Row(), Context())).Member;
        Assert.Equal(MigrationRejection.AlreadyMigrated, Rejected(Migration.Decide(migrated, Lot(10, LotKind.Regular, "2026-01-01", "2027-01-01"), "file-b", Row(), Context())));
    }
}
