using Points.Domain.Ledger;

namespace Points.Domain.Accounting;

/// <summary>The program's accounts (F40). The two liability accounts together always equal the members' balances; withdrawals payable, their held points.</summary>
public enum Account
{
    /// <summary>Points given away (earned, granted): their cost.</summary>
    MarketingExpense,
    /// <summary>Points owed to members that they did not pay for (regular and special).</summary>
    PointsLiability,
    /// <summary>Points owed to members that they bought (prepaid value, Payment Services Act).</summary>
    PrepaidLiability,
    /// <summary>Points used: the liability released into the sale they paid for.</summary>
    PointsRedeemed,
    /// <summary>Points that expired unused.</summary>
    Breakage,
    /// <summary>Money received for bought points, or paid back and out.</summary>
    Cash,
    /// <summary>Points held for a withdrawal until it is paid or released.</summary>
    WithdrawalsPayable,
    /// <summary>Points the members held in the old system when the program moved here: the opening balance, not an expense of this program.</summary>
    OpeningBalance,
}

/// <summary>One double entry of a journal entry: <paramref name="Points"/> (positive) from the credit account to the debit account, and their yen.</summary>
public sealed record Posting(Account Debit, Account Credit, long Points, long Yen);

/// <summary>
/// How every journal entry maps to the program's accounts (F40): a pure table, so reports and exports post the same way.
/// Each entry's points split by the kind of the lots they moved (bought points are prepaid liability, others points
/// liability; points beyond the lots, the member's debt, count as points liability); yen at the entry's own yen per point.
/// Pending points post when they activate. Summed over a member's history, the liability accounts equal the balance
/// and withdrawals payable the held points, to the point (tested on random workloads).
/// </summary>
public static class Postings
{
    public static IReadOnlyList<Posting> Of(JournalEntry entry, int defaultYenPerPoint)
    {
        var yenPerPoint = entry.YenPerPoint ?? defaultYenPerPoint;
        if (entry.Pending || entry.Points.IsZero) return []; // promised, or moved nowhere (an extension)
        var postings = new List<Posting>();
        void Post(Account debit, Account credit, long points)
        {
            if (points != 0) postings.Add(points > 0 ? new(debit, credit, points, points * yenPerPoint) : new(credit, debit, -points, -points * yenPerPoint));
        }
        // The liability side, by lot kind: bought points are prepaid value.
        var prepaid = entry.Lots.Where(l => l.Kind == LotKind.Purchased).Sum(l => l.Points.Value);
        var owed = entry.Points.Value - prepaid;
        // The other side: what points coming in (or going out) come from (or go to).
        var other = entry.Type switch
        {
            EntryType.Earn or EntryType.Adjust or EntryType.Activate or EntryType.Invalidate => Account.MarketingExpense,
            EntryType.Purchase or EntryType.Refund or EntryType.Withdraw => Account.Cash,
            EntryType.Spend => Account.PointsRedeemed,
            // A reversal mirrors what it reverses: points given back were used, points taken back were given.
            EntryType.Reverse => entry.Points.IsPositive ? Account.PointsRedeemed : Account.MarketingExpense,
            EntryType.Expire => Account.Breakage,
            EntryType.Hold or EntryType.Release => Account.WithdrawalsPayable,
            EntryType.Migrate => Account.OpeningBalance,
            _ => throw new ArgumentOutOfRangeException(nameof(entry), entry.Type, "An entry type without accounting."),
        };
        if (entry.Type == EntryType.Withdraw)
        {
            // Held points leave for good: the payable is paid out (the balance moved when they were held).
            Post(Account.WithdrawalsPayable, Account.Cash, -entry.Points.Value);
            return postings;
        }
        // Points coming in credit a liability and debit the other account; points going out the reverse.
        Post(other, Account.PointsLiability, owed);
        Post(other, Account.PrepaidLiability, prepaid);
        return postings;
    }

    /// <summary>The points balance of an account over postings: credits less debits (a liability's natural side).</summary>
    public static long CreditBalance(IEnumerable<Posting> postings, Account account) =>
        postings.Sum(p => (p.Credit == account ? p.Points : 0) - (p.Debit == account ? p.Points : 0));
}
