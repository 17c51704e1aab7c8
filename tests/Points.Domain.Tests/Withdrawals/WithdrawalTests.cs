using Points.Domain.Ledger;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Domain.Withdrawals;
using static Points.Domain.Tests.Members.MemberScenario;

namespace Points.Domain.Tests.Withdrawals;

/// <summary>domain.md "Withdrawal": the money, the age rule, the checks in order, and the request's life.</summary>
public sealed class WithdrawalTests
{
    private static readonly WithdrawalPolicy Policy = new() { Enabled = true, MinimumPoints = 1_000, FeeFixedYen = 330, AgeLimitYears = 18 };
    private static readonly BankAccountOnFile Bank = new("bank-v1");

    /// <summary>domain.md's three worked examples, the threshold's edge, a percent fee.</summary>
    [Theory]
    [InlineData(150_000, 330, 0, 15_315, 134_355)]      // example 1
    [InlineData(100_000, 330, 0, 0, 99_670)]            // example 2: below the threshold
    [InlineData(1_500_000, 0, 0, 204_200, 1_295_800)]   // example 3: 102,100 + floor(500,000 × 20.42%)
    [InlineData(119_999, 330, 0, 0, 119_669)]           // one yen under the threshold
    [InlineData(120_000, 330, 0, 12_252, 107_418)]      // at the threshold: 120,000 × 10.21% = 12,252
    [InlineData(10_000, 0, 330, 0, 9_670)]              // 3.30% fee: floor(10,000 × 0.033) = 330
    [InlineData(999, 0, 330, 0, 967)]                   // floor(999 × 0.033) = 32.967 → 32
    public void Quote_FollowsTheWorkedExamples(long points, long feeFixed, int feeBasisPoints, long tax, long net)
    {
        var quote = WithdrawalQuote.For(points, 1, new WithdrawalPolicy { FeeFixedYen = feeFixed, FeeRateBasisPoints = feeBasisPoints });
        Assert.Equal((points, tax, net), (quote.Gross.Value, quote.Tax.Value, quote.Net));
    }

    [Theory]
    [InlineData("2006-11-24", "2026-11-23", 20)]
    [InlineData("2006-11-25", "2026-11-23", 19)]
    [InlineData("2004-02-29", "2022-02-28", 18)] // born on Feb 29: reached on Feb 28 in common years
    [InlineData("2004-02-29", "2022-02-27", 17)]
    [InlineData("2004-02-29", "2024-02-28", 20)] // and in leap years
    [InlineData("2000-01-01", "2017-12-31", 18)]
    public void JapaneseAge_IsReachedTheDayBeforeTheBirthday(string born, string day, int age) =>
        Assert.Equal(age, JapaneseAge.On(DateOnly.Parse(born), DateOnly.Parse(day)));

    private static Member Adult(long points) => With(points) with { Profile = With().Profile with { BirthDate = new DateOnly(1990, 1, 1) } };

    public static TheoryData<string, WithdrawalPolicy, Member, long, BankAccountOnFile?, Enum> Refusals => new()
    {
        { "disabled", Policy with { Enabled = false }, Adult(5_000), 2_000, Bank, WithdrawalRejection.WithdrawalsDisabled },
        { "below minimum", Policy, Adult(5_000), 999, Bank, WithdrawalRejection.BelowMinimum },
        { "fee larger than the gross", Policy with { FeeFixedYen = 2_000 }, Adult(5_000), 2_000, Bank, WithdrawalRejection.NetNotPositive },
        { "under age", Policy, With(5_000) with { Profile = With().Profile with { BirthDate = new DateOnly(2008, 11, 25) } }, 2_000, Bank, WithdrawalRejection.UnderAge },
        { "no birth date", Policy, With(5_000), 2_000, Bank, WithdrawalRejection.UnderAge },
        { "no bank account", Policy, Adult(5_000), 2_000, null, WithdrawalRejection.NoBankAccount },
        { "monthly limit", Policy with { MonthlyRequestsMax = 1 }, Adult(5_000) with { Withdrawals = MemberWithdrawals.None.Counting("2026-11", 1) }, 2_000, Bank, WithdrawalRejection.MonthlyLimitReached },
        { "more than the balance", Policy, Adult(1_500), 2_000, Bank, LedgerRejection.InsufficientPoints },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Request_IsRefusedInTheDocumentedOrder(string name, WithdrawalPolicy policy, Member member, long points, BankAccountOnFile? bank, Enum expected) =>
        Assert.True(expected.Equals(Rejected(WithdrawalDecider.Request(member, new RequestWithdrawal("w-1", points, bank), policy, 1, Context()))), name);

    [Fact]
    public void PurchasedPoints_AreNotWithdrawable()
    {
        var member = Adult(0);
        var bought = (LedgerOutcome.Accepted)LedgerDecider.Decide(member.Ledger, new LedgerCommand.Credit(EntryType.Purchase, 5_000, LotKind.Purchased, null), Context());
        member = member with { Ledger = bought.State };
        Assert.Equal(LedgerRejection.InsufficientPoints, Rejected(WithdrawalDecider.Request(member, new RequestWithdrawal("w-1", 2_000, Bank), Policy, 1, Context())));
    }

    [Fact]
    public void Request_HoldsThePoints_ApproveDebitsThem_PaidCloses_AndRepeatsAreAnsweredAgain()
    {
        var requested = Accepted(WithdrawalDecider.Request(Adult(5_000), new RequestWithdrawal("w-1", 2_000, Bank), Policy, 1, Context()));
        Assert.Equal((3_000L, 2_000L), (requested.Member.Ledger.Balance.Value, requested.Member.Ledger.Held.Value));
        Assert.Equal(new WithdrawalResponse("w-1", 2_000, 2_000, 330, 0, 1_670, WithdrawalStatus.Requested, Now), requested.Result);

        var approved = Accepted(WithdrawalDecider.Approve(requested.Member, "w-1", Context()));
        Assert.Equal((3_000L, 0L, EntryType.Withdraw), (approved.Member.Ledger.Balance.Value, approved.Member.Ledger.Held.Value, approved.Entries.Single().Type));
        Assert.Empty(Accepted(WithdrawalDecider.Approve(approved.Member, "w-1", Context())).Entries); // again: the same answer, nothing moves
        Assert.Equal(WithdrawalRejection.InvalidState, Rejected(WithdrawalDecider.Cancel(approved.Member, "w-1", Context())));

        var paid = Accepted(WithdrawalDecider.MarkPaid(approved.Member, "w-1", Context()));
        Assert.Empty(paid.Member.Withdrawals.Open);
        Assert.Equal(WithdrawalStatus.Paid, ((WithdrawalResponse)Accepted(WithdrawalDecider.MarkPaid(paid.Member, "w-1", Context())).Result).Status);
        Assert.Equal(WithdrawalRejection.InvalidState, Rejected(WithdrawalDecider.Reject(paid.Member, "w-1", "late", Context())));
        Assert.Equal(WithdrawalRejection.WithdrawalNotFound, Rejected(WithdrawalDecider.Approve(paid.Member, "w-404", Context())));
    }

    [Fact]
    public void Reject_GivesThePointsBackToTheSameLots_AndALotThatExpiredMeanwhileExpiresAtOnce()
    {
        var member = Adult(0);
        foreach (var (points, expiry) in new[] { (1_500L, new DateOnly(2026, 11, 30)), (1_500L, new DateOnly(2027, 3, 31)) })
        {
            var credit = (LedgerOutcome.Accepted)LedgerDecider.Decide(member.Ledger, new LedgerCommand.Credit(EntryType.Adjust, points, LotKind.Special, expiry), Context());
            member = member with { Ledger = credit.State };
        }
        var requested = Accepted(WithdrawalDecider.Request(member, new RequestWithdrawal("w-1", 2_000, Bank), Policy, 1, Context()));

        var later = Context(new DateTimeOffset(2026, 12, 2, 12, 0, 0, Jst)); // the lot of 2026-11-30 has expired meanwhile
        var rejected = Accepted(WithdrawalDecider.Reject(requested.Member, "w-1", "documents missing", later));

        Assert.Equal([EntryType.Release, EntryType.Expire], rejected.Entries.Select(e => e.Type));
        var lot = Assert.Single(rejected.Member.Ledger.Lots);
        Assert.Equal((new DateOnly(2027, 3, 31), 1_500L), (lot.ExpiresOn!.Value, lot.Remaining.Value));
        Assert.Equal(0, rejected.Member.Withdrawals.RequestsIn("2026-11")); // a rejected request does not count toward the limit
    }
}
