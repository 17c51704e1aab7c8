using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Domain.Ranks;
using Points.Functions.Ledger;
using Points.Functions.Settings;
using Points.Functions.Storage;

namespace Points.Functions.Ranks;

/// <summary>
/// What a fan-out job does with each member of a shard: the member operation, whether the member still belongs in the
/// shard's list after it, and where else to list a member who no longer does.
/// </summary>
public sealed record LedgerJobPlan(MemberOperation Operation, Func<Member, bool> Belongs, Func<MemberId, Member, CancellationToken, Task> ListWhereItBelongs)
{
    /// <summary>A rank list's plan: a member whose rank changed belongs under the new rank (if above the base), not here.</summary>
    public static LedgerJobPlan ForRankList(MemberOperation operation, string list, RankIndex rankIndex) =>
        new(operation, member => RankIndex.ListOf(member.Earning.Rank) == list,
            (memberId, member, ct) => rankIndex.ListIfAboveBaseAsync(memberId, member.Earning.Rank, ct));
}

/// <summary>
/// Processes one shard from the <c>ledger-jobs</c> queue (function <c>ProcessLedgerJobs</c>): each member through their
/// ledger with the job's operation, idempotent per member and period, so a shard delivered twice or retried after a
/// partial failure grants nothing twice. Then it tidies the list the member came from: an entry that no longer applies
/// (rank lowered, join date changed, member gone) is removed after the commit, so a crash in between leaves only an
/// entry the next run removes. Jobs are found by name among the registered fan-out jobs.
/// </summary>
public sealed partial class LedgerJobProcessor(MemberLedger ledger, MemberLists lists, ProgramSettingsStore settingsStore, IEnumerable<FanOutJob> jobs,
    ILogger<LedgerJobProcessor> log)
{
    public const string FunctionName = "ProcessLedgerJobs";
    /// <summary>Members of one shard processed at once: enough to overlap round trips, modest per instance (Azure adds instances).</summary>
    public const int ParallelMembersMax = 8;

    private readonly IReadOnlyDictionary<string, FanOutJob> _jobs = jobs.ToDictionary(j => j.Name, StringComparer.Ordinal);

    public sealed record Summary(int Members, int RankChanges, long PointsGranted, int ListEntriesRemoved);

    public async Task<Summary> ProcessAsync(LedgerJobShard shard, CancellationToken cancellationToken)
    {
        var settings = await settingsStore.GetAsync(cancellationToken);
        // An unknown job fails the shard: after 5 attempts it waits in the poison queue for a look.
        var job = _jobs.GetValueOrDefault(shard.Job) ?? throw new ArgumentException($"Unknown ledger job '{shard.Job}'.", nameof(shard));
        var plan = await job.PlanAsync(shard, settings, cancellationToken);
        int rankChanges = 0, removed = 0;
        long granted = 0;
        await Parallel.ForEachAsync(shard.Members, new ParallelOptions { MaxDegreeOfParallelism = ParallelMembersMax, CancellationToken = cancellationToken },
            async (member, ct) =>
            {
                if (!MemberId.TryParse(member, out var memberId)) return;
                var result = await ledger.ExecuteAsync(memberId, plan.Operation);
                if (result is OperationResult.Rejected rejected)
                {
                    LogRejected(log, shard.Job, shard.Period, member, rejected.Reason.ToString()); // A business refusal: retrying the shard would not change it.
                    return;
                }
                var after = (result as OperationResult.Applied)?.Member;
                if (result is OperationResult.Applied { Result: PeriodicOutcome outcome })
                {
                    if (outcome.RankBefore is { } before && before != outcome.Rank) Interlocked.Increment(ref rankChanges);
                    Interlocked.Add(ref granted, outcome.PointsGranted);
                }
                if (after is null || !plan.Belongs(after))
                {
                    if (after is not null) await plan.ListWhereItBelongs(memberId, after, ct); // e.g. lowered from gold to silver
                    await lists.RemoveAsync(shard.List, memberId, ct);
                    Interlocked.Increment(ref removed);
                }
            });
        LogShard(log, shard.Job, shard.Period, shard.List, shard.Members.Count, rankChanges, granted, removed);
        return new Summary(shard.Members.Count, rankChanges, granted, removed);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Job} {Period} {List}: {Members} members, {RankChanges} rank changes, {Points} points granted, {Removed} list entries removed")]
    private static partial void LogShard(ILogger log, string job, string period, string list, int members, int rankChanges, long points, int removed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Job} {Period}: member {MemberId} refused: {Reason}")]
    private static partial void LogRejected(ILogger log, string job, string period, string memberId, string reason);
}
