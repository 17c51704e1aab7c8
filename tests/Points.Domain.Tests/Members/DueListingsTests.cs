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
}
