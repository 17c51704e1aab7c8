using System.Collections.Immutable;
using Points.Domain.Earning;
using Points.Domain.Expiry;
using Points.Domain.Ledger;
using Points.Domain.Members;
using Points.Domain.Primitives;

namespace Points.Domain.Tests.Members;

/// <summary>Members and contexts for the feature deciders' tests: one JST day, the default ranks, a 12-month end-of-month policy.</summary>
internal static class MemberScenario
{
    public static readonly TimeSpan Jst = TimeSpan.FromHours(9);
    public static readonly DateOnly Today = new(2026, 11, 23);
    public static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, Jst);
    public static readonly IReadOnlyList<RankDefinition> DefaultRanks = RankDefinition.Defaults;

    public static LedgerContext Context(DateTimeOffset? now = null) =>
        new(now ?? Now, DateOnly.FromDateTime((now ?? Now).ToOffset(Jst).DateTime), new ExpiryPolicy.FixedMonths(12, EndOfMonth: true), "test");

    /// <summary>A registered member with <paramref name="points"/> regular points (earned today), of <paramref name="rank"/>, with tags.</summary>
    public static Member With(long points = 0, string rank = "bronze", string[]? tags = null, params MonthlyPurchases[] purchases)
    {
        var member = Member.Register(MemberId.Parse("m-1"), new MemberProfile
        {
            JoinedOn = new DateOnly(2025, 4, 1),
            ReferralCode = "REF12345",
            Tags = [.. tags ?? []],
        });
        if (points > 0)
        {
            var credit = LedgerDecider.Decide(member.Ledger, new LedgerCommand.Credit(EntryType.Earn, points, LotKind.Regular, null), Context());
            member = member with { Ledger = ((LedgerOutcome.Accepted)credit).State };
        }
        return member with { Earning = MemberEarning.New with { Rank = rank, Purchases = [.. purchases] } };
    }

    public static MonthlyPurchases Bought(string month, long yen) => new(month, yen, 1, ImmutableArray<string>.Empty);

    public static MemberDecision.Accepted Accepted(MemberDecision decision) => decision switch
    {
        MemberDecision.Accepted a => a,
        MemberDecision.Rejected r => throw new Xunit.Sdk.XunitException($"Expected acceptance, got {r.Reason}: {r.Detail}"),
        _ => throw new InvalidOperationException(),
    };

    public static Enum Rejected(MemberDecision decision) => decision switch
    {
        MemberDecision.Rejected r => r.Reason,
        _ => throw new Xunit.Sdk.XunitException("Expected a rejection."),
    };
}
