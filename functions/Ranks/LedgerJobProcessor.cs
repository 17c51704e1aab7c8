using System.Text.Json;
using Points.Domain.Primitives;
using Points.Functions.Earning;
using Points.Functions.Ledger;
using Points.Functions.Settings;
using Points.Functions.Storage;

namespace Points.Functions.Ranks;

/// <summary>
/// Processes one shard from the <c>ledger-jobs</c> queue (function <c>ProcessLedgerJobs</c>): each member through their
/// ledger with the job's operation, idempotent per member and period, so a shard delivered twice or retried after a
/// partial failure grants nothing twice. Then it tidies the list the member came from: an entry that no longer applies
/// (rank lowered, join date changed, member gone) is removed after the commit, so a crash in between leaves only an
/// entry the next run removes.
/// </summary>
public sealed partial class LedgerJobProcessor(
    MemberLedger ledger, MemberLists lists, RankIndex rankIndex, ProgramSettingsStore settingsStore, EarningConfigStore earningConfig,
    ILogger<LedgerJobProcessor> log)
{
    public const string FunctionName = "ProcessLedgerJobs";
    /// <summary>Members of one shard processed at once: enough to overlap round trips, modest per instance (Azure adds instances).</summary>
    public const int ParallelMembersMax = 8;

    public sealed record Summary(int Members, int RankChanges, long PointsGranted, int ListEntriesRemoved);

    public async Task<Summary> ProcessAsync(LedgerJobShard shard, CancellationToken cancellationToken)
    {
        var settings = await settingsStore.GetAsync(cancellationToken);
        var plan = shard.Job switch
        {
            EvaluateRanksJob.FunctionName => RankPlan(PeriodicOperations.EvaluateRank(shard.Period, settings), shard.List),
            AllocateRankPointsJob.FunctionName => RankPlan(PeriodicOperations.AllocateRankPoints(shard.Period, settings), shard.List),
            GrantAnniversaryPointsJob.FunctionName => await AnniversaryPlanAsync(shard, settings, cancellationToken),
            _ => throw new ArgumentException($"Unknown ledger job '{shard.Job}'.", nameof(shard)), // fails: after 5 attempts, the poison queue
        };
        int rankChanges = 0, removed = 0;
        long granted = 0;
        await Parallel.ForEachAsync(shard.Members, new ParallelOptions { MaxDegreeOfParallelism = ParallelMembersMax, CancellationToken = cancellationToken },
            async (member, ct) =>
            {
                if (!MemberId.TryParse(member, out var memberId)) return;
                var result = await ledger.ExecuteAsync(memberId, plan.Operation);
                if (result is OperationResult.Rejected rejected)
                {
                    LogRejected(log, shard.Job, shard.Period, member, rejected.Code); // A business refusal: retrying the shard would not change it.
                    return;
                }
                var account = (result as OperationResult.Applied)?.Account;
                if (result is OperationResult.Applied applied && JsonSerializer.Deserialize<PeriodicOutcome>(applied.Body, JsonDefaults.Options) is { } outcome)
                {
                    if (outcome.RankBefore is { } before && before != outcome.Rank) Interlocked.Increment(ref rankChanges);
                    Interlocked.Add(ref granted, outcome.PointsGranted);
                }
                if (account is null || !plan.Belongs(account))
                {
                    if (account is not null) await plan.ListWhereItBelongs(memberId, account, ct); // e.g. lowered from gold to silver
                    await lists.RemoveAsync(shard.List, memberId, ct);
                    Interlocked.Increment(ref removed);
                }
            });
        LogShard(log, shard.Job, shard.Period, shard.List, shard.Members.Count, rankChanges, granted, removed);
        return new Summary(shard.Members.Count, rankChanges, granted, removed);
    }

    /// <summary>The operation for each member, whether the member still belongs in the shard's list, and where else to list them.</summary>
    private sealed record Plan(MemberOperation Operation, Func<AccountDocument, bool> Belongs, Func<MemberId, AccountDocument, CancellationToken, Task> ListWhereItBelongs);

    private Plan RankPlan(MemberOperation operation, string list) =>
        new(operation, account => RankIndex.ListOf(account.Earning.Rank) == list,
            (memberId, account, ct) => rankIndex.ListIfAboveBaseAsync(memberId, account.Earning.Rank, ct));

    private async Task<Plan> AnniversaryPlanAsync(LedgerJobShard shard, ProgramSettings settings, CancellationToken cancellationToken)
    {
        var (rules, campaigns) = await earningConfig.GetActiveAsync(cancellationToken);
        return new Plan(PeriodicOperations.GrantAnniversary(ProgramCalendar.ParseDay(shard.Period), rules, campaigns, settings),
            account => AnniversaryIndex.ListOf(account.Profile.JoinedOn) == shard.List,
            (memberId, account, ct) => lists.AddAsync(AnniversaryIndex.ListOf(account.Profile.JoinedOn), memberId, ct));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Job} {Period} {List}: {Members} members, {RankChanges} rank changes, {Points} points granted, {Removed} list entries removed")]
    private static partial void LogShard(ILogger log, string job, string period, string list, int members, int rankChanges, long points, int removed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Job} {Period}: member {MemberId} refused: {Code}")]
    private static partial void LogRejected(ILogger log, string job, string period, string memberId, string code);
}
