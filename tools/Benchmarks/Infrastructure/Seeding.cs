using System.Diagnostics;
using Microsoft.Azure.Cosmos;
using Points.Domain.Expiry;
using Points.Domain.Ledger;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Functions.Ledger;
using Points.Functions.Members;

namespace Points.Benchmarks.Infrastructure;

/// <summary>Fast ways to create many members for a scenario's setup (never measured as part of a scenario's figures).</summary>
public static class Seeding
{
    public const int Concurrency = 32;

    /// <summary>
    /// A profile as registration writes it. Seeded members get a placeholder referral code: reserving unique codes
    /// (one more write per member, see ReferralCodes) is part of the HTTP registration, which no scenario measures.
    /// </summary>
    public static MemberProfile Profile(string memberId, DateOnly joinedOn) => new() { JoinedOn = joinedOn, ReferralCode = "SEED-" + memberId };

    /// <summary>The account document a registration creates for a new member: a profile and an empty ledger.</summary>
    public static AccountDocument NewAccount(string memberId, DateTimeOffset now, DateOnly today) =>
        AccountDocument.Of(Member.Register(MemberId.Parse(memberId), Profile(memberId, today)), now);

    /// <summary>
    /// A member who earned <paramref name="points"/> regular points today, decided by the real <see cref="LedgerDecider"/>
    /// (so lots, journal and sequence numbers are consistent), as the account document after that commit.
    /// </summary>
    public static AccountDocument AccountWithRegularPoints(string memberId, long points, DateTimeOffset now, DateOnly today, ExpiryPolicy policy)
    {
        var account = NewAccount(memberId, now, today);
        var outcome = LedgerDecider.Decide(account.Ledger, new LedgerCommand.Credit(EntryType.Earn, points, LotKind.Regular, null),
            new LedgerContext(now, today, policy, "bench-seed"));
        var accepted = (LedgerOutcome.Accepted)outcome;
        return account with { Member = account.Member with { Ledger = accepted.State }, Journal = accepted.Entries };
    }

    /// <summary>Writes account documents with plain Cosmos SDK upserts, <see cref="Concurrency"/> at a time; returns the time taken.</summary>
    public static async Task<TimeSpan> UpsertAccountsAsync(Container ledger, IReadOnlyList<AccountDocument> accounts)
    {
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(accounts, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (account, ct) =>
            await ledger.UpsertItemAsync(account, new PartitionKey(account.MemberId), cancellationToken: ct));
        return watch.Elapsed;
    }

    /// <summary>Registers members through the app's commit path (<see cref="MemberLedger"/>: read, then create), <see cref="Concurrency"/> at a time.</summary>
    public static async Task<TimeSpan> RegisterAsync(MemberLedger ledger, IReadOnlyList<string> memberIds, DateOnly today)
    {
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(memberIds, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (memberId, ct) =>
            await ledger.ExecuteAsync(MemberId.Parse(memberId), MembersFeature.Register(MemberId.Parse(memberId),
                new ProfileChange(today, null, null, null, null), new Newcomer("SEED-" + memberId, null, null), null, "bench-seed")));
        return watch.Elapsed;
    }
}
