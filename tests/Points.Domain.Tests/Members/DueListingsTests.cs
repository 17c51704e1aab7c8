using Points.Domain.Ledger;
using Points.Domain.Members;
using static Points.Domain.Tests.Members.MemberScenario;

namespace Points.Domain.Tests.Members;

/// <summary>The due-index listings a commit derives: each due date once, always a day whose daily job has not run.</summary>
public sealed class DueListingsTests
{
    [Fact]
    public void NewExpiryDate_IsListedTheDayAfter_Once()
    {
        var member = With(100); // regular points expire 2027-11-30 (12 months, end of month)
        var (listed, items) = DueListings.Derive(null, member, Today);
        Assert.Equal([new ListForDueDate(DueListings.ExpiryKind, new DateOnly(2027, 12, 1))], items);
        Assert.Empty(DueListings.Derive(member, listed, Today).Items);
    }

    [Fact]
    public void ALotAlreadyPastItsExpiry_IsListedForTomorrow()
    {
        var member = With();
        var restored = LedgerDecider.Decide(member.Ledger, new LedgerCommand.Credit(EntryType.Adjust, 10, LotKind.Special, Today), Context());
        member = member with { Ledger = ((LedgerOutcome.Accepted)restored).State };

        // Two days later the special lot expiring "today" has not been swept yet: it is listed for the day after.
        var (_, items) = DueListings.Derive(null, member, Today.AddDays(2));
        Assert.Equal([new ListForDueDate(DueListings.ExpiryKind, Today.AddDays(3))], items);
    }

    [Fact]
    public void PastListings_Drop_SoTheMemberStaysSmall()
    {
        var member = With(100);
        var (listed, _) = DueListings.Derive(null, member, Today);
        var (later, items) = DueListings.Derive(listed, listed, new DateOnly(2027, 12, 2));
        Assert.Empty(later.Listings.Expiry.Where(d => d <= new DateOnly(2027, 12, 2)));
        Assert.Single(items); // the lot (now due) is listed again, for the next day
    }

    private static Member After(Member member, LedgerCommand command, Points.Domain.Expiry.ExpiryPolicy? policy = null, DateOnly? today = null)
    {
        var context = Context(today is { } day ? new DateTimeOffset(day.ToDateTime(new TimeOnly(12, 0)), Jst) : null);
        if (policy is not null) context = context with { RegularExpiry = policy };
        return member with { Ledger = ((LedgerOutcome.Accepted)LedgerDecider.Decide(member.Ledger, command, context)).State };
    }

    [Fact]
    public void LotsThatMoved_LeaveTheirOldDate_AndAreListedOnTheNewOne()
    {
        var rolling = new Points.Domain.Expiry.ExpiryPolicy.Rolling(12, true, true);
        var member = After(With(), new LedgerCommand.Credit(EntryType.Earn, 100, LotKind.Regular, null), rolling); // expires 2027-11-23
        var (listed, _) = DueListings.Derive(null, member, Today);
        var later = Today.AddMonths(2);

        var moved = After(listed, new LedgerCommand.Debit(EntryType.Spend, 10), rolling, later); // now 2028-01-23
        var (after, items) = DueListings.Derive(listed, moved, later);

        Assert.Equal(
            [new ListForDueDate(DueListings.ExpiryKind, new DateOnly(2028, 1, 24)), new LeaveDueDate(DueListings.ExpiryKind, new DateOnly(2027, 11, 24), moved.Ledger.LastSeq)],
            items);
        Assert.Equal([new DateOnly(2028, 1, 24)], after.Listings.Expiry.AsEnumerable());
        Assert.Equal([new DateOnly(2027, 11, 24)], after.Listings.Left.AsEnumerable());
    }

    [Fact]
    public void ALotFallingDueOnADateTheMemberLeft_ListsItAgain_AsAReturn()
    {
        var member = With(100); // regular points expire 2027-11-30
        var (listed, _) = DueListings.Derive(null, member, Today);
        var spent = After(listed, new LedgerCommand.Debit(EntryType.Spend, 100));
        var (left, leaving) = DueListings.Derive(listed, spent, Today);
        Assert.Equal([new LeaveDueDate(DueListings.ExpiryKind, new DateOnly(2027, 12, 1), spent.Ledger.LastSeq)], leaving);

        var earned = After(left, new LedgerCommand.Credit(EntryType.Earn, 5, LotKind.Regular, null));
        var (back, items) = DueListings.Derive(left, earned, Today);

        Assert.Equal([new ListForDueDate(DueListings.ExpiryKind, new DateOnly(2027, 12, 1)) { ReturnsAtSeq = earned.Ledger.LastSeq }], items);
        Assert.Empty(back.Listings.Left);
        Assert.True(earned.Ledger.LastSeq > spent.Ledger.LastSeq); // the return is later than the leave: the job reads the member
    }
}
