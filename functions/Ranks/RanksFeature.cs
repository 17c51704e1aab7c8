using Points.Functions.Ledger.Outbox;
using Points.Functions.Ledger;
using Points.Domain.Ranks;
using System.Text.Json;
using Points.Functions.Hosting;

namespace Points.Functions.Ranks;

/// <summary>
/// Ranks and periodic grants (F18, F19): the monthly evaluation and rank points, anniversary points, the lists they read,
/// and the queue of shards they fan out to.
/// </summary>
public sealed class RanksFeature : Feature
{
    public override void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<LedgerJobQueue>();
        services.AddOutboxHandler<ListUnderRank, RankIndex>("rank-listing");
        services.AddOutboxHandler<ListForAnniversary, AnniversaryIndex>("anniversary-listing");
        services.AddOutboxHandler<ListForBirthday, BirthdayIndex>("birthday-listing");
        services.AddSingleton<MemberCommitStep>(change => RankRules.DeriveListing(change.Before, change.After, change.Today));
        services.AddSingleton<MemberCommitStep>(change => Anniversaries.DeriveListing(change.Before, change.After, change.Today));
        services.AddSingleton<MemberCommitStep>(change => Birthdays.DeriveListing(change.Before, change.After, change.Today));
        AddJob<EvaluateRanksJob>(services);
        AddJob<AllocateRankPointsJob>(services);
        AddJob<GrantAnniversaryPointsJob>(services);
        AddJob<GrantBirthdayPointsJob>(services);
        services.AddSingleton<LedgerJobProcessor>();
    }

    /// <summary>A fan-out job: its timer function resolves it by type, <see cref="LedgerJobProcessor"/> finds it by name.</summary>
    private static void AddJob<TJob>(IServiceCollection services) where TJob : FanOutJob
    {
        services.AddSingleton<TJob>();
        services.AddSingleton<FanOutJob>(sp => sp.GetRequiredService<TJob>());
    }

    public override void MapFunctions(WebApplication app)
    {
        app.MapTimerFunction<EvaluateRanksJob>(EvaluateRanksJob.FunctionName, RunTimerAsync);
        app.MapTimerFunction<AllocateRankPointsJob>(AllocateRankPointsJob.FunctionName, RunTimerAsync);
        app.MapTimerFunction<GrantAnniversaryPointsJob>(GrantAnniversaryPointsJob.FunctionName, RunTimerAsync);
        app.MapTimerFunction<GrantBirthdayPointsJob>(GrantBirthdayPointsJob.FunctionName, RunTimerAsync);
        app.MapFunction(LedgerJobProcessor.FunctionName, (HttpContext http, LedgerJobProcessor processor) => ProcessShardAsync(http, processor));
    }

    // The thin handlers of the periodic functions: parse the host's invocation, run, reply with a log line.

    /// <summary>The queue trigger's binding name in <c>declarations/ProcessLedgerJobs/function.json</c>.</summary>
    public const string ShardBinding = "shard";

    /// <summary>A fan-out timer job run as the host invokes it; the job computes what is due itself.</summary>
    public static async Task<string> RunTimerAsync(FanOutJob job, bool isPastDue, CancellationToken cancellationToken)
    {
        var summary = await job.RunAsync(isPastDue, cancellationToken);
        return $"{job.Name}: periods [{string.Join(", ", summary.Periods)}], {summary.Members} members in {summary.Shards} shards.";
    }

    /// <summary>
    /// A queue invocation (<c>{Data: {shard: "message text"}, Metadata: {DequeueCount, Id, ...}}</c>). A message that is
    /// not a shard is refused (400): the host retries it, then moves it to <c>ledger-jobs-poison</c> for a look.
    /// </summary>
    public static async Task<IResult> ProcessShardAsync(HttpContext http, LedgerJobProcessor processor)
    {
        var payload = await InvocationPayload.ReadAsync(http.Request.Body, keepData: true, http.RequestAborted);
        var text = payload.Data.ValueKind == JsonValueKind.Object && payload.Data.TryGetProperty(ShardBinding, out var data)
            ? data.ValueKind == JsonValueKind.Object ? data.GetRawText() : InvocationPayload.Unwrap(data) // the host may encode the text twice
            : null;
        if (LedgerJobQueue.Parse(text) is not { } shard)
        {
            return Results.BadRequest($"Message {payload.MetadataString("Id")} is not a ledger job shard.");
        }
        if (shard.Scan is { } step)
        {
            var scans = http.RequestServices.GetServices<ILedgerScanJob>();
            // An unknown job fails the message: after 5 attempts it waits in the poison queue for a look.
            var scan = scans.FirstOrDefault(s => s.Name == shard.Job) ?? throw new ArgumentException($"Unknown ledger scan job '{shard.Job}'.");
            return InvocationReply.Ok(await scan.StepAsync(step, http.RequestAborted));
        }
        var summary = await processor.ProcessAsync(shard, http.RequestAborted);
        return InvocationReply.Ok($"{shard.Job} {shard.Period} ({shard.List}, dequeue count {payload.MetadataString("DequeueCount")}): "
            + $"{summary.Members} members, {summary.RankChanges} rank changes, {summary.PointsGranted} points granted, {summary.ListEntriesRemoved} list entries removed.");
    }
}
