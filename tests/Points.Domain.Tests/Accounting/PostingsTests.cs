using FsCheck.Xunit;
using Points.Domain.Accounting;
using Points.Domain.Ledger;
using Points.Domain.Tests.Ledger;
using static Points.Domain.Tests.Ledger.LedgerScenario;

namespace Points.Domain.Tests.Accounting;

/// <summary>F40: every entry posts to the program's accounts, and the liability accounts always equal the balance, to the point.</summary>
public sealed class PostingsTests
{
    [Property(MaxTest = 500)]
    public bool AfterAnyWorkload_TheLiabilitiesEqualTheBalance_AndThePayableTheHeldPoints(int[] script)
    {
        var ledger = new LedgerScenario { PurchasedPolicy = new Points.Domain.Expiry.ExpiryPolicy.FixedMonths(1, false) };
        var references = new List<string>();
        var holds = new List<string>();
        foreach (var (step, i) in script.Select((s, i) => (s, i)))
        {
            var n = (int)((uint)step % 1000);
            var amount = n / 10 % 150 + 1;
            _ = (n % 12) switch
            {
                11 => ledger.Run(new LedgerCommand.Migrate((LotKind)(amount % 3), amount, ledger.Today.AddDays(-amount), ledger.Today.AddDays(amount % 50))),
                0 => ledger.Run(Earn(amount, reference: Remember(references, $"E{i}"))),
                1 => ledger.Run(Earn(amount, LotKind.Special, ledger.Today.AddDays(amount % 40), Remember(references, $"S{i}"))),
                2 => ledger.Run(new LedgerCommand.Credit(EntryType.Purchase, amount, LotKind.Purchased, null)),
                3 or 4 => ledger.Run(Spend(amount, Remember(references, $"R{i}"))),
                5 when references.Count > 0 => ledger.Run(ledger.Reverse(references[amount % references.Count], amount % 3 == 0 ? amount : null)),
                6 => ledger.Run(new LedgerCommand.PlaceHold(Remember(holds, $"H{i}"), amount, new HashSet<LotKind> { LotKind.Regular, LotKind.Special })),
                7 when holds.Count > 0 => ledger.Run(amount % 2 == 0 ? new LedgerCommand.ReleaseHold(holds[^1]) : new LedgerCommand.SettleHold(holds[^1])),
                8 => Advance(ledger, amount % 60),
                9 => ledger.Run(new LedgerCommand.Debit(EntryType.Adjust, amount)),
                _ => ledger.Run(Earn(amount) with { PendingUntil = ledger.Today.AddDays(amount % 20) }),
            };
        }
        var postings = ledger.Journal.SelectMany(e => Postings.Of(e, 1)).ToList();
        return Postings.CreditBalance(postings, Account.PointsLiability) + Postings.CreditBalance(postings, Account.PrepaidLiability) == ledger.State.Balance.Value
            && Postings.CreditBalance(postings, Account.WithdrawalsPayable) == ledger.State.Held.Value
            && Postings.CreditBalance(postings, Account.PrepaidLiability) <= ledger.State.Lots.Where(l => l.Kind == LotKind.Purchased).Sum(l => l.Remaining.Value)
            && postings.All(p => p.Points > 0 && p.Debit != p.Credit);
    }

    [Fact]
    public void EachEntryPosts_AtTheYenPerPointItWasWrittenUnder()
    {
        var ledger = new LedgerScenario();
        var entries = ledger.Accept(new LedgerCommand.Credit(EntryType.Purchase, 100, LotKind.Purchased, null));
        var spent = ledger.Accept(Spend(30));

        var bought = Assert.Single(Postings.Of(entries[0] with { YenPerPoint = 2 }, 1));
        Assert.Equal(new Posting(Account.Cash, Account.PrepaidLiability, 100, 200), bought);
        Assert.Equal(new Posting(Account.PrepaidLiability, Account.PointsRedeemed, 30, 30), Assert.Single(Postings.Of(spent.Single(e => e.Type == EntryType.Spend), 1)));
    }

    [Fact]
    public void MigratedPoints_AreAnOpeningBalance_NotAnExpense()
    {
        var ledger = new LedgerScenario();
        var migrated = Assert.Single(ledger.Accept(new LedgerCommand.Migrate(LotKind.Regular, 40, ledger.Today.AddYears(-1), ledger.Today.AddMonths(2))));
        Assert.Equal(new Posting(Account.OpeningBalance, Account.PointsLiability, 40, 40), Assert.Single(Postings.Of(migrated, 1)));
    }
}
